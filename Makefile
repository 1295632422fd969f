# taxid: one non-recursive GNU Makefile.
#   make                 build lib/libtaxid.a and bin/taxid-*
#   make check           run the bats suite against the built binaries
#   make check-pg        the same suite on PostgreSQL, in a throwaway cluster of its own (TESTS="tests/x.bats ...")
#   make demo            the main job on a local database (./demo.db)
#   make lint            mandoc -Tlint -W warning, shellcheck, no bats assertion that cannot fail, lib/LAYERS
#   make SANITIZE=address,undefined check
#   make DEVELOPER=0     no -Werror (the default outside a git checkout: a release tarball, the .deb)
#   make O=DIR           build everything (generated files too) under DIR
#   make install DESTDIR=... PREFIX=/usr ; make uninstall
#   make deps            install the Debian packages building and running (the demo) need
#   make test-deps       those and the test, lint, fuzz and valgrind tools (README: make test-deps && make check)
#   make fuzz            run each libFuzzer harness for FUZZ_SECONDS
#   make valgrind        a subset of the suite under valgrind memcheck (VALGRIND_TESTS=tests/x.bats ...)
#   make mutate          apply each mutant of tests/mutants.tsv to a copy, build, run its tests (MUTANTS=ids)
#   make proof           what CI runs beyond the suite: make fuzz and make valgrind
#   make bench           run the benchmarks (see bench/)
#   make deb             build the Debian package in a copy of the tree (deb-deps installs its tooling)

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DATADIR  ?= $(PREFIX)/share
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR  ?= $(DATADIR)/zsh/vendor-completions
EXAMPLESDIR ?= $(DATADIR)/doc/taxid/examples
DESTDIR  ?=

CC       ?= cc
PKG_CONFIG ?= pkg-config
PKGS     := sqlite3 libcrypto libargon2 jansson libpq
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || cat VERSION)

CFLAGS   ?= -O2 -g
# Forced so a packager's CFLAGS cannot drop them.
WARN     := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wformat=2 -Wformat-security -Wvla \
            -Wstrict-prototypes -Wmissing-prototypes -Wshadow -Wpointer-arith \
            -Wcast-qual -Wwrite-strings -Wundef -Wno-unused-parameter
# A developer build (a git checkout, CI) fails on any warning; a user's plain make of a release tarball or the
# Debian package (debian/rules: DEVELOPER=0) does not, so a newer compiler's new warning cannot stop it.
DEVELOPER ?= $(if $(wildcard .git),1,0)
ifeq ($(DEVELOPER),1)
WARN     += -Werror
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS  = $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Ilib -I$(P)build -DTAXID_VERSION='"$(VERSION)"'
ALL_LDFLAGS = $(LDFLAGS)
# libcsv (issue 18: CSV input) has no pkg-config file in Debian.
LIBS        = $(PKG_LIBS) -lcsv -lm

ifneq ($(SANITIZE),)
ALL_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

# O=DIR puts everything built under DIR (e.g. a sanitizer build beside the normal one): DIR/bin, DIR/build
# (objects and the generated regions.inc and holidays.inc), DIR/lib/libtaxid.a. The source tree is not written.
O        ?= .
P        := $(if $(filter .,$(O)),,$(O)/)
LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(patsubst lib/%.c,$(P)build/lib/%.o,$(LIB_SRC))
LIBA     := $(P)lib/libtaxid.a
CMD_SRC  := $(wildcard cmd/taxid-*.c)
BINS     := $(P)bin/taxid $(patsubst cmd/%.c,$(P)bin/%,$(CMD_SRC))
MANPAGES := $(wildcard man/*.[157])
# The Chinese pages (issue 18 item 5): same names, installed under $(MANDIR)/zh_CN.
MANPAGES_ZH := $(wildcard man/zh_CN/*.[157])
EXAMPLES := $(wildcard examples/*.sh)
# systemd units for the monthly survival run and the outbox drain (issue 18 item 4), as examples to copy.
SYSTEMD_EXAMPLES := $(wildcard examples/systemd/*.service examples/systemd/*.timer)

all: $(LIBA) $(BINS)

$(P)build/regions.inc: data/gb2260-history.tsv scripts/gen-regions.awk
	@mkdir -p $(P)build
	awk -f scripts/gen-regions.awk data/gb2260-history.tsv > $@.tmp && mv $@.tmp $@

$(P)build/lib/regions.o: $(P)build/regions.inc

# The State Council's holiday calendar (issue 13 item 7), compiled in the same way.
$(P)build/holidays.inc: data/holidays-cn.tsv scripts/gen-holidays.awk
	@mkdir -p $(P)build
	awk -f scripts/gen-holidays.awk data/holidays-cn.tsv > $@.tmp && mv $@.tmp $@

$(P)build/lib/holiday.o: $(P)build/holidays.inc

# The version is compiled in (git describe): what prints it is rebuilt when it changes, so that an
# incremental build never mixes versions.
VERSION_STAMP := $(P)build/version.stamp
$(shell mkdir -p $(P)build && (echo '$(VERSION)' | cmp -s - $(VERSION_STAMP) || echo '$(VERSION)' > $(VERSION_STAMP)))
$(P)build/lib/cmdline.o: $(VERSION_STAMP)

ifeq ($(V),1)
Q :=
else
Q := @
endif

$(P)build/lib/%.o: lib/%.c $(wildcard lib/*.h) lib/errors.def lib/sql.def lib/sql_pg.def
	@mkdir -p $(P)build/lib
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $(LIB_OBJ)

# The 'taxid' entry point only runs the tools: it needs none of the library.
$(P)bin/taxid: cmd/taxid.c $(VERSION_STAMP)
	@mkdir -p $(P)bin
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS)

$(P)bin/%: cmd/%.c $(LIBA) $(wildcard lib/*.h)
	@mkdir -p $(P)bin
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(ALL_LDFLAGS) $(LIBS)

check: all
	TAXID_BIN=$(abspath $(P)bin) tests/run

# Issue 16: scripts/pg-cluster.sh makes a PostgreSQL cluster in a temporary directory (socket only, run as an
# unprivileged user when invoked as root), runs the suite with one database per test, and removes the cluster on
# any exit. TESTS names some files; the default is all of them. tests/pg-sqlite.sql gives the tests' own SQL
# (dbq) the few SQLite functions it uses.
TESTS ?=
check-pg: all
	TAXID_BIN=$(abspath $(P)bin) scripts/pg-cluster.sh run --sql tests/pg-sqlite.sql tests/run $(TESTS)

demo: all
	TAXID_BIN=$(abspath $(P)bin) scripts/demo.sh

deps:
	scripts/deps.sh

test-deps:
	scripts/deps.sh --test

# The compiler and flags of this build, for scripts (mutate.sh compiles every mutant with them).
print-cc:
	@echo $(CC) $(ALL_CFLAGS)

# scripts/lint-layers.sh (issue 15): the one-way order of lib/LAYERS over the built objects, then sqlite3 only in
# lib/db*.
lint: $(LIB_OBJ)
	mandoc -Tlint -W warning $(MANPAGES) $(MANPAGES_ZH)
	shellcheck -s bash scripts/*.sh bench/*.sh tests/run tests/scan-wrap tests/scan-tee tests/secret-scan .ci/run completions/taxid.bash $(EXAMPLES)
	scripts/lint-bats.sh
	scripts/lint-layers.sh $(P)build

FUZZ_SECONDS ?= 20
fuzz: $(P)build/regions.inc $(P)build/holidays.inc
	FUZZ_GEN=$(P)build scripts/fuzz.sh $(FUZZ_SECONDS)

# Our own mutation check (issue 12): every mutant of tests/mutants.tsv must be killed by the tests it names.
# MUTANTS="id ..." runs some, MUTANTS_SAMPLE=N a sample; the results are in tests/MUTANTS.md.
mutate:
	scripts/mutate.sh

# Beyond the suite (the fault, soak and hostile-input tests are in it): the fuzzers, then memcheck.
proof: fuzz valgrind

# A subset of the suite with every tool under valgrind memcheck (scripts/valgrind.sh; files in VALGRIND_TESTS).
valgrind: all
	TAXID_BIN=$(abspath $(P)bin) scripts/valgrind.sh $(VALGRIND_TESTS)

# BENCH_SIZES, BENCH_RUNS, BENCH_TMP, ...: see bench/run.sh. Benchmarks the binaries of this build (O=DIR too).
bench: all
	BENCH_BIN=$(abspath $(P)bin) bench/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(EXAMPLESDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	for m in $(MANPAGES); do s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	for t in $(notdir $(BINS)); do install -m 0644 completions/taxid.bash $(DESTDIR)$(BASHCOMPDIR)/$$t; done
	install -m 0644 completions/_taxid $(DESTDIR)$(ZSHCOMPDIR)/_taxid
	$(if $(EXAMPLES),install -m 0755 $(EXAMPLES) $(DESTDIR)$(EXAMPLESDIR)/)
	for m in $(MANPAGES_ZH); do s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/zh_CN/man$$s && \
	    install -m 0644 $$m $(DESTDIR)$(MANDIR)/zh_CN/man$$s/ || exit 1; done
	$(if $(SYSTEMD_EXAMPLES),install -d $(DESTDIR)$(EXAMPLESDIR)/systemd && \
	    install -m 0644 $(SYSTEMD_EXAMPLES) $(DESTDIR)$(EXAMPLESDIR)/systemd/)

uninstall:
	for b in $(notdir $(BINS)); do rm -f $(DESTDIR)$(BINDIR)/$$b $(DESTDIR)$(BASHCOMPDIR)/$$b; done
	for m in $(notdir $(MANPAGES)); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$$m; done
	rm -f $(DESTDIR)$(ZSHCOMPDIR)/_taxid
	for e in $(notdir $(EXAMPLES)); do rm -f $(DESTDIR)$(EXAMPLESDIR)/$$e; done
	for m in $(notdir $(MANPAGES_ZH)); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/zh_CN/man$$s/$$m; done
	rmdir $(DESTDIR)$(MANDIR)/zh_CN/man1 $(DESTDIR)$(MANDIR)/zh_CN/man5 $(DESTDIR)$(MANDIR)/zh_CN/man7 \
	    $(DESTDIR)$(MANDIR)/zh_CN 2>/dev/null || true
	for e in $(notdir $(SYSTEMD_EXAMPLES)); do rm -f $(DESTDIR)$(EXAMPLESDIR)/systemd/$$e; done
	rmdir $(DESTDIR)$(EXAMPLESDIR)/systemd $(DESTDIR)$(EXAMPLESDIR) $(DESTDIR)$(dir $(EXAMPLESDIR)) 2>/dev/null || true

# The .deb is built in a copy of the tree (dpkg-buildpackage cleans the tree it builds in, and bin/ may be
# in use); it lands in $(O)/ as taxid_VERSION_ARCH.deb.
deb:
	scripts/deb.sh $(abspath $(O))

deb-deps:
	scripts/deps.sh --deb

clean:
	rm -rf $(P)build $(P)bin $(LIBA) asan

.PHONY: all check check-pg demo deps test-deps deb deb-deps lint print-cc mutate fuzz valgrind proof bench install uninstall clean
