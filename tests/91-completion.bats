#!/usr/bin/env bats
# 91-completion: bash and zsh completion offer what the tools' own tables say ('TOOL __complete'), files
# after --db, nothing after --now, and work for a 'taxid TOOL' dispatcher.
load helper

load completion-helper

local_setup() {
	export USE_FRAMEWORK=0 FRAMEWORK BASH_COMP
	if [ -r "$FRAMEWORK" ]; then USE_FRAMEWORK=1; fi
}

# both_ways TEST-FUNCTION: run it with and (when installed) without bash-completion's framework.
both_ways() {
	local fw=$USE_FRAMEWORK
	USE_FRAMEWORK=0 "$1"
	if [ "$fw" = 1 ]; then USE_FRAMEWORK=1 "$1"; fi
}

check_actions() {
	run comp taxid-verify ''
	assert_success
	assert_line identity
	assert_line uscc
	assert_line trust
	assert_line sms
	refute_line 'trust add'
}

@test "taxid-verify <TAB> offers the actions and groups" {
	both_ways check_actions
}

check_group() {
	run comp taxid-verify trust ''
	assert_success
	assert_output "add
remove
list"
}

@test "taxid-verify trust <TAB> offers add remove list" {
	both_ways check_group
}

check_outbox() {
	run comp taxid-verify sms outbox --
	assert_success
	assert_line --limit
	assert_line --db
	refute_line --strict-region
}

@test "taxid-verify sms outbox --<TAB> offers --limit" {
	both_ways check_outbox
}

check_db_option() {
	run comp taxid-verify --d
	assert_success
	assert_output --db
}

@test "taxid-verify --d<TAB> offers --db" {
	both_ways check_db_option
}

check_files() {
	mkdir -p dir
	touch mydata.db
	run comp taxid-verify --db myd
	assert_success
	assert_output mydata.db
	run comp taxid-verify -d myd
	assert_output mydata.db
	# bash splits --db=myd at '=': the word to replace is "myd"
	run comp taxid-verify --db = myd
	assert_output mydata.db
	run comp taxid-verify --db mydata.db trust ''
	assert_output "add
remove
list"
}

@test "files after -d and --db, and the file is not taken for an action" {
	both_ways check_files
}

check_values() {
	touch nowfile
	run comp taxid-verify --now ''
	assert_success
	assert_output ''
	run comp taxid-verify --tz ''
	assert_output ''
	run comp taxid-verify sms outbox --limit ''
	assert_output ''
	run comp taxid-verify identity doc_type = ''
	assert_output ''
}

@test "nothing after --now, --tz, an option that takes a value, or KEY=" {
	both_ways check_values
}

check_members() {
	run comp taxid-verify identity doc
	assert_success
	assert_line doc_type=
	assert_line doc_no=
	refute_line name=
	run comp taxid-verify sms send ''
	assert_line phone=
	assert_line purpose=
}

@test "request members are offered as KEY=" {
	both_ways check_members
}

check_dispatcher() {
	run comp taxid ''
	assert_success
	assert_line verify
	run comp taxid verify trust ''
	assert_output "add
remove
list"
	run comp taxid verify sms outbox --l
	assert_output --limit
	# the taxid-db aliases: 'taxid keys rotate' is 'taxid db keys rotate'
	run comp taxid ''
	assert_line keys
	assert_line doctor
	run comp taxid keys ''
	assert_output rotate
	run comp taxid keys rotate --b
	assert_output --batch
}

@test "a 'taxid' dispatcher completes 'taxid verify ...' as taxid-verify" {
	both_ways check_dispatcher
}

check_every_option() {
	local bin tool word sub action opt missing=() checked=0
	local -a words
	for bin in "$TAXID_BIN"/taxid-*; do
		tool=$(basename "$bin")
		while IFS= read -r word; do
			case $word in -* | '' | *=) continue ;; esac
			local subs
			subs=$("$tool" __complete "$word")
			if grep -qx -- --help <<<"$subs"; then
				set -- "$word"
			else
				set --
				while IFS= read -r sub; do set -- "$@" "$word $sub"; done <<<"$subs"
			fi
			for action in "$@"; do
				read -ra words <<<"$action"
				run comp "$tool" "${words[@]}" --
				while IFS= read -r opt; do
					checked=$((checked + 1))
					grep -qxF -- "$opt" <<<"$output" || missing+=("$tool $action: $opt")
				done < <("$tool" __complete "${words[@]}" | grep -- '^--')
			done
		done < <("$tool" __complete)
	done
	[ "$checked" -gt 0 ]
	if [ "${#missing[@]}" -ne 0 ]; then
		printf 'not offered: %s\n' "${missing[@]}"
		return 1
	fi
}

@test "every option of every action of every tool is offered" {
	both_ways check_every_option
}

@test "the bash completion registers every tool and the dispatcher" {
	run bash -c '. "$BASH_COMP" && complete -p'
	assert_success
	local t
	for t in taxid taxid-verify taxid-register taxid-login taxid-bind taxid-lockout taxid-survival; do
		assert_line "complete -F _taxid $t"
	done
}

@test "the bash completion is shellcheck clean" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	run shellcheck -s bash "$BASH_COMP"
	assert_success
}

@test "zsh parses _taxid" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	run zsh -n "$ZSH_COMP"
	assert_success
	assert_output ''
}


@test "zsh completion offers the same candidates" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	export ZSH_COMP
	run zcomp taxid-verify trust ''
	assert_success
	assert_output "add
remove
list"
	run zcomp taxid-verify ''
	assert_line identity
	assert_line sms
	run zcomp taxid-verify sms outbox --
	assert_line --limit
	run zcomp taxid-verify --db ''
	assert_output FILES
	run zcomp taxid-verify --now ''
	assert_output MESSAGE
	run zcomp taxid-verify sms outbox --limit ''
	assert_output MESSAGE
	run zcomp taxid verify trust ''
	assert_output "add
remove
list"
	run zcomp taxid keys ''
	assert_output rotate
}

check_csv_values() {
	run comp taxid-register --input ''
	assert_success
	assert_output "ndjson
csv"
	run comp taxid-register --input csv im
	assert_output import
	run comp taxid-lockout list --format ''
	assert_output "csv
json"
	run comp taxid-survival report --format ''
	assert_output "csv
html
json"
}

@test "ndjson and csv after --input; after --format, the formats the action's help names" {
	both_ways check_csv_values
}

@test "zsh completion offers the --input and --format values too" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	run zcomp taxid-register --input ''
	assert_success
	assert_output "ndjson
csv"
	run zcomp taxid-register --input csv im
	assert_line import
	run zcomp taxid-survival report --format ''
	assert_output "csv
html
json"
}

@test "every tool of the build is registered for completion, in bash (complete -F) and in zsh (#compdef)" {
	local t n seen=0
	for t in "$TAXID_BIN"/taxid-*; do
		n=${t##*/}
		seen=$((seen + 1))
		bash -c '. "$BASH_COMP" && complete -p "$1"' _ "$n" >/dev/null || { echo "bash: $n not registered"; return 1; }
		head -n 1 "$ZSH_COMP" | grep -qE "^#compdef( .*)? $n( |\$)" || { echo "zsh: $n not in #compdef"; return 1; }
	done
	[ "$seen" -ge 8 ]
}
