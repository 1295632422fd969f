#!/usr/bin/env bats
# 80-taxid: the 'taxid' entry point runs taxid-TOOL (beside itself first, then on PATH), lists the tools,
# opens their pages, and its completions delegate to the tool's.
load helper
load completion-helper

# fake DIR NAME TEXT: an executable DIR/NAME that prints TEXT and its arguments.
fake() {
	mkdir -p "$1"
	printf '#!/bin/sh\necho "%s $*"\n' "$3" >"$1/$2"
	chmod +x "$1/$2"
}

@test "taxid --version, -V, --help and -h" {
	run --separate-stderr taxid --version
	assert_success
	# the version, then the licence (issue 18 item 9)
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} =~ ^taxid\ [0-9a-z.-]+$ ]]
	assert_line --index 1 'License: Apache-2.0'
	run taxid -V
	assert_success
	assert_output --regexp '^taxid '
	run taxid --help
	assert_success
	assert_line --partial 'usage: taxid'
	assert_line --partial 'help TOOL'
	run taxid -h
	assert_success
	assert_line --partial 'usage: taxid'
}

@test "taxid and taxid-TOOL print the same version" {
	local v
	v=$(taxid --version)
	run taxid-verify --version
	assert_output "taxid-verify ${v#taxid }"
	assert_line 'License: Apache-2.0'
}

@test "no tool is a usage error (64) with the usage on stderr" {
	run --separate-stderr taxid
	assert_failure 64
	assert_output ''
	[[ $stderr == *'usage: taxid'* ]]
	run --separate-stderr taxid --bogus
	assert_failure 64
	[[ $stderr == *"unknown option '--bogus'"* ]]
}

@test "taxid TOOL ARGS runs taxid-TOOL ARGS: same output, same status, same stdin" {
	run taxid verify uscc value=91350100M000100Y43
	assert_success
	local want
	want=$(taxid-verify uscc value=91350100M000100Y43)
	assert_output "$want"
	run taxid verify uscc value=12345
	assert_failure 1
	[ "$(jfield .error.code)" = bad_format ]
	run bash -c 'printf "%s\n" "{\"value\":\"91350100M000100Y43\"}" "{\"value\":\"x\"}" | taxid verify uscc | jq -c .ok'
	assert_output $'true\nfalse'
	run taxid verify uscc --help
	assert_success
	assert_output --partial 'usage: taxid-verify'
}

@test "a tool beside taxid wins over one on PATH; PATH is the fallback" {
	mkdir -p here/bin
	cp "$TAXID_BIN/taxid" here/bin/
	fake here/bin taxid-verify beside
	fake onpath taxid-verify onpath
	fake onpath taxid-other other
	run env PATH="$PWD/onpath:$PATH" here/bin/taxid verify a 'b c'
	assert_success
	assert_output 'beside a b c'
	run env PATH="$PWD/onpath:$PATH" here/bin/taxid other x
	assert_success
	assert_output 'other x'
	# through a symlink the real executable's directory counts
	ln -s "$PWD/here/bin/taxid" link
	run env PATH="$PWD/onpath:$PATH" ./link verify
	assert_output 'beside '
}

@test "an unknown tool or a path is refused (64) and nothing runs" {
	run --separate-stderr taxid no-such-tool
	assert_failure 64
	[[ $stderr == *"'no-such-tool' is not a taxid tool"* ]]
	mkdir -p d
	fake d taxid-evil evil
	run --separate-stderr taxid ../d/evil
	assert_failure 64
	run --separate-stderr taxid Verify
	assert_failure 64
}

@test "taxid help lists every tool with its one-line purpose" {
	run --separate-stderr taxid help
	assert_success
	local bin t purpose
	for bin in "$TAXID_BIN"/taxid-*; do
		t=$(basename "$bin")
		purpose=$("$bin" --help | sed -n 2p)
		[ -n "$purpose" ]
		assert_line --regexp "^  ${t#taxid-} +$(sed 's/[].[*^$()+?{}|\\]/\\&/g' <<<"$purpose")\$"
	done
	assert_line --regexp '^  verify +Validate identifiers'
}

@test "taxid help TOOL opens man taxid-TOOL, or the source tree's page with man -l" {
	mkdir -p inst/bin tree/bin tree/man
	cp "$TAXID_BIN/taxid" inst/bin/
	cp "$TAXID_BIN/taxid" tree/bin/
	touch tree/man/taxid-verify.1 tree/man/taxid-records.5
	fake fakeman man man
	run env PATH="$PWD/fakeman:$PATH" inst/bin/taxid help register
	assert_success
	assert_output 'man taxid-register'
	run env PATH="$PWD/fakeman:$PATH" tree/bin/taxid help verify
	assert_output "man -l $PWD/tree/bin/../man/taxid-verify.1"
	run env PATH="$PWD/fakeman:$PATH" tree/bin/taxid help records
	assert_output "man -l $PWD/tree/bin/../man/taxid-records.5"
	run env PATH="$PWD/fakeman:$PATH" tree/bin/taxid help login
	assert_output 'man taxid-login'
	run --separate-stderr env PATH="$PWD/fakeman:$PATH" taxid help ../etc/passwd
	assert_failure 64
	run --separate-stderr taxid help a b
	assert_failure 64
}

@test "taxid help TOOL renders the real page" {
	command -v man >/dev/null || skip "no man"
	mkdir -p tree/bin
	cp "$TAXID_BIN/taxid" tree/bin/
	ln -s "$TAXID_ROOT/man" tree/man
	run env MANPAGER=cat PAGER=cat MANWIDTH=80 tree/bin/taxid help verify
	assert_success
	assert_output --partial 'taxid-verify'
	assert_output --partial 'EXAMPLES'
}

@test "taxid(1) is lint clean and documents every command" {
	run mandoc -Tlint -W warning "$TAXID_ROOT/man/taxid.1"
	assert_output ''
	local w
	for w in 'Cm help' 'Fl V' 'Fl h' 'Ev PATH'; do
		grep -q "^\.It $w" "$TAXID_ROOT/man/taxid.1" || { echo "no .It $w"; return 1; }
	done
}


@test "bash: taxid <TAB> offers the tools and help; taxid help <TAB> the tools; the rest is the tool's" {
	run comp taxid ''
	assert_success
	assert_line verify
	assert_line register
	assert_line help
	assert_line --version
	run comp taxid he
	assert_output help
	run comp taxid help ''
	assert_line verify
	assert_line survival
	refute_line help
	run comp taxid help verify ''
	assert_output ''
	run comp taxid register fixture --c
	assert_output --count
	# called by path, the tools beside it are offered even when not on PATH
	mkdir -p only
	cp "$TAXID_BIN/taxid" only/
	fake only taxid-zeta zeta
	run comp "$PWD/only/taxid" ze
	assert_output zeta
}


@test "zsh: taxid <TAB> offers the tools and help; taxid help <TAB> the tools; the rest is the tool's" {
	command -v zsh >/dev/null || skip "no zsh"
	run zcomp taxid ''
	assert_success
	assert_line verify
	assert_line help
	run zcomp taxid help ''
	assert_line survival
	refute_line help
	run zcomp taxid verify sms ''
	assert_line send
	assert_line outbox
}
