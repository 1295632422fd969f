#!/usr/bin/env bats
# 84-install: 'make install DESTDIR=... PREFIX=/usr' puts binaries, man pages, bash and zsh completions and
# examples where Debian looks for them, and 'make uninstall' removes exactly what install put there.
load helper

local_setup() {
	# the build that TAXID_BIN belongs to: bin/ of the tree, or O=DIR's DIR/bin
	O=$(cd "$TAXID_BIN/.." && pwd)
	[ "$O" = "$TAXID_ROOT" ] && O=.
	D=$BATS_TEST_TMPDIR/root
	export O D
}

# files DIR: every file and symlink under DIR, relative, sorted.
files() { (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort); }

@test "install puts everything in the Debian paths, and uninstall removes exactly that" {
	mkdir -p "$D/usr/bin" "$D/usr/share/man/man1"
	echo keep >"$D/usr/bin/other-tool"
	echo keep >"$D/usr/share/man/man1/other.1"
	run make -C "$TAXID_ROOT" -s O="$O" install DESTDIR="$D" PREFIX=/usr
	assert_success
	local want=() b m e
	for b in "$TAXID_BIN"/taxid "$TAXID_BIN"/taxid-*; do
		b=$(basename "$b")
		want+=("usr/bin/$b" "usr/share/bash-completion/completions/$b")
	done
	for m in "$TAXID_ROOT"/man/*.[157]; do
		m=$(basename "$m")
		want+=("usr/share/man/man${m##*.}/$m")
	done
	# the Chinese pages under zh_CN (issue 18 item 5)
	for m in "$TAXID_ROOT"/man/zh_CN/*.[157]; do
		m=$(basename "$m")
		want+=("usr/share/man/zh_CN/man${m##*.}/$m")
	done
	for e in "$TAXID_ROOT"/examples/*.sh; do want+=("usr/share/doc/taxid/examples/$(basename "$e")"); done
	for e in "$TAXID_ROOT"/examples/systemd/*.service "$TAXID_ROOT"/examples/systemd/*.timer; do
		want+=("usr/share/doc/taxid/examples/systemd/$(basename "$e")")
	done
	want+=(usr/share/zsh/vendor-completions/_taxid usr/bin/other-tool usr/share/man/man1/other.1)
	diff <(printf '%s\n' "${want[@]}" | LC_ALL=C sort) <(files "$D")
	# modes: programs and examples executable, the rest not
	[ "$(stat -c %a "$D/usr/bin/taxid")" = 755 ]
	[ "$(stat -c %a "$D/usr/share/doc/taxid/examples/ci-fixture.sh")" = 755 ]
	[ "$(stat -c %a "$D/usr/share/man/man1/taxid.1")" = 644 ]
	[ "$(stat -c %a "$D/usr/share/doc/taxid/examples/systemd/taxid-survival-run.service")" = 644 ]
	[ "$(stat -c %a "$D/usr/share/doc/taxid/examples/systemd/taxid-outbox-drain.timer")" = 644 ]
	[ "$(stat -c %a "$D/usr/share/zsh/vendor-completions/_taxid")" = 644 ]

	run make -C "$TAXID_ROOT" -s O="$O" uninstall DESTDIR="$D" PREFIX=/usr
	assert_success
	run files "$D"
	assert_output "usr/bin/other-tool
usr/share/man/man1/other.1"
	# the examples' own directories went with them; shared directories stay
	[ ! -e "$D/usr/share/doc/taxid" ]
	[ ! -e "$D/usr/share/man/zh_CN" ]
	[ -d "$D/usr/bin" ]
}

@test "the installed entry point runs the installed tools, with PATH not pointing there" {
	make -C "$TAXID_ROOT" -s O="$O" install DESTDIR="$D" PREFIX=/usr >/dev/null
	run env PATH=/usr/bin:/bin "$D/usr/bin/taxid" verify uscc value=91350100M000100Y43
	assert_success
	[ "$(jfield .valid)" = true ]
	run env PATH=/usr/bin:/bin "$D/usr/bin/taxid" --version
	assert_output --regexp '^taxid '
	run mandoc -Tlint -W warning "$D"/usr/share/man/man*/* "$D"/usr/share/man/zh_CN/man*/*
	assert_output ''
	# the bash completion file of each tool registers that tool
	run bash -c ". '$D/usr/share/bash-completion/completions/taxid-survival' && complete -p taxid-survival taxid"
	assert_success
}

@test "install honours BINDIR, MANDIR and the completion and example directories" {
	make -C "$TAXID_ROOT" -s O="$O" install DESTDIR="$D" PREFIX=/opt/t BINDIR=/opt/t/sbin \
		BASHCOMPDIR=/etc/bash_completion.d ZSHCOMPDIR=/opt/t/zsh EXAMPLESDIR=/opt/t/ex >/dev/null
	[ -x "$D/opt/t/sbin/taxid" ]
	[ -f "$D/opt/t/share/man/man7/taxid.7" ]
	[ -f "$D/etc/bash_completion.d/taxid-verify" ]
	[ -f "$D/opt/t/zsh/_taxid" ]
	[ -x "$D/opt/t/ex/survival-annual.sh" ]
	[ -f "$D/opt/t/ex/systemd/taxid-survival-run.timer" ]
	[ -f "$D/opt/t/share/man/zh_CN/man7/taxid.7" ]
	make -C "$TAXID_ROOT" -s O="$O" uninstall DESTDIR="$D" PREFIX=/opt/t BINDIR=/opt/t/sbin \
		BASHCOMPDIR=/etc/bash_completion.d ZSHCOMPDIR=/opt/t/zsh EXAMPLESDIR=/opt/t/ex >/dev/null
	run files "$D"
	assert_output ''
}

@test "debian/: native format, Build-Depends for every pkg-config library, shlibs Depends, rules uses the Makefile" {
	local deb=$TAXID_ROOT/debian
	[ "$(cat "$deb/source/format")" = "3.0 (native)" ]
	[ -x "$deb/rules" ]
	grep -q '^	dh \$@' "$deb/rules"
	grep -q 'PREFIX=/usr' "$deb/rules"
	grep -q '^Depends: \${shlibs:Depends}, \${misc:Depends}' "$deb/control"
	local pkgs lib
	pkgs=$(sed -nE 's/^PKGS +:= +//p' "$TAXID_ROOT/Makefile")
	[ -n "$pkgs" ]
	for lib in $pkgs; do
		case $lib in
		sqlite3) grep -q 'libsqlite3-dev' "$deb/control" ;;
		libcrypto) grep -q 'libssl-dev' "$deb/control" ;;
		libargon2) grep -q 'libargon2-dev' "$deb/control" ;;
		jansson) grep -q 'libjansson-dev' "$deb/control" ;;
		libpq) grep -q 'libpq-dev' "$deb/control" ;;
		*) echo "no Build-Depends rule for $lib"; return 1 ;;
		esac
	done
	# the changelog's version is the VERSION file's
	[ "$(sed -nE '1s/^taxid \(([^)]+)\).*/\1/p' "$deb/changelog")" = "$(cat "$TAXID_ROOT/VERSION")" ]
}

# deps_run ARGS...: scripts/deps.sh as root on a machine where nothing is installed, with apt-get recorded, not run;
# prints the packages it would install, one per line.
deps_run() {
	mkdir -p stub
	printf '#!/bin/sh\nexit 1\n' >stub/dpkg-query
	printf '#!/bin/sh\necho 0\n' >stub/id
	printf '#!/bin/sh\necho "$@" >>"%s/apt.log"\n' "$BATS_TEST_TMPDIR" >stub/apt-get
	chmod +x stub/*
	rm -f apt.log
	PATH="$BATS_TEST_TMPDIR/stub:$PATH" sh "$TAXID_ROOT/scripts/deps.sh" "$@" >/dev/null &&
		grep '^install ' apt.log | tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vxE 'install' | sort
}

@test "make deps installs what building and running need; the test and lint tools come with make test-deps" {
	run deps_run
	assert_success
	for p in build-essential pkg-config libsqlite3-dev libssl-dev libargon2-dev libjansson-dev libcsv-dev libpq-dev jq \
		openssl postgresql; do
		assert_line "$p"
	done
	for p in bats bats-assert shellcheck mandoc clang valgrind zsh sqlite3 python3-stdnum; do
		refute_line "$p"
	done
	run deps_run --test
	assert_success
	for p in libcsv-dev jq bats bats-support bats-assert bats-file shellcheck mandoc clang valgrind zsh sqlite3 python3-stdnum \
		postgresql; do
		assert_line "$p"
	done
	run deps_run --deb
	assert_line libcsv-dev
	assert_line debhelper
	refute_line bats
	run sh "$TAXID_ROOT/scripts/deps.sh" --bogus
	assert_failure 64
	# README's two commands name the targets
	grep -qxF '    make deps && make demo' "$TAXID_ROOT/README.md"
	grep -qxF '    make test-deps && make check && make check-pg' "$TAXID_ROOT/README.md"
	grep -q '^make test-deps ' "$TAXID_ROOT/.ci/run"
	grep -q 'make O=.ci-build/plain check-pg' "$TAXID_ROOT/.ci/run"
}
