#!/usr/bin/env bats
# 90-docs: the man pages are lint-clean, list every error code, action, table and setting of the code, and
# their runnable examples (between '.\" example' and '.\" end' lines) run, so that the pages cannot rot.
load helper

MAN="$TAXID_ROOT/man"
# The Chinese pages (issue 18 item 5): the same names under man/zh_CN, held to the same checks.
ZH="$MAN/zh_CN"

# tool_actions TOOL: every action of TOOL, one per line ("identity", "trust add", ...), from the same tables
# that parse its command line: top-level words of 'TOOL __complete', and for a group word its sub-actions
# (a group's completion offers only sub-actions, not the common options).
tool_actions() {
	local tool=$1 word sub subs
	while IFS= read -r word; do
		case $word in -* | '' | *=) continue ;; esac
		subs=$("$tool" __complete "$word")
		if grep -qx -- --help <<<"$subs"; then
			echo "$word"
		else
			while IFS= read -r sub; do
				[ -n "$sub" ] && echo "$word $sub"
			done <<<"$subs"
		fi
	done < <("$tool" __complete)
}

@test "mandoc -Tlint -W warning prints nothing for any page" {
	run mandoc -Tlint -W warning "$MAN"/*.[1-8] "$ZH"/*.[1-8]
	assert_output ''
	assert_success
}

@test "taxid-records(5) lists every code of lib/errors.def" {
	local code missing=() n=0
	while IFS= read -r code; do
		n=$((n + 1))
		grep -qE "^\.It Li $code Ta [0-9]+ Ta " "$MAN/taxid-records.5" || missing+=("$code")
	done < <(sed -nE 's/^X\([A-Z0-9_]+, *"([a-z0-9_]+)".*/\1/p' "$TAXID_ROOT/lib/errors.def")
	[ "$n" -eq "$(grep -c '^X(' "$TAXID_ROOT/lib/errors.def")" ]
	[ "$n" -gt 0 ]
	if [ "${#missing[@]}" -ne 0 ]; then
		echo "not in taxid-records(5): ${missing[*]}"
		echo "regenerate with: scripts/gen-errors-man.sh --update man/taxid-records.5"
		return 1
	fi
}

@test "the error table of taxid-records(5) is exactly what scripts/gen-errors-man.sh prints" {
	run --separate-stderr "$TAXID_ROOT/scripts/gen-errors-man.sh"
	assert_success
	local want=$output have
	have=$(sed -n '/^\.\\" BEGIN error table/,/^\.\\" END error table/{/^\.\\"/!p}' "$MAN/taxid-records.5")
	if [ "$want" != "$have" ]; then
		diff <(echo "$want") <(echo "$have") || true
		echo "regenerate with: scripts/gen-errors-man.sh --update man/taxid-records.5"
		return 1
	fi
}

@test "every action of every tool that has a page is described in it" {
	local page tool action missing=() pages=0
	for page in "$MAN"/taxid-*.1 "$ZH"/taxid-*.1; do
		tool=$(basename "$page" .1)
		[ -x "$TAXID_BIN/$tool" ] || continue
		pages=$((pages + 1))
		local n=0
		while IFS= read -r action; do
			n=$((n + 1))
			grep -qxF ".It Cm $action" "$page" || missing+=("${page#"$MAN"/}: $action")
		done < <(tool_actions "$tool")
		[ "$n" -gt 0 ]
	done
	[ "$pages" -gt 0 ]
	if [ "${#missing[@]}" -ne 0 ]; then
		printf 'no ".It Cm ACTION" for: %s\n' "${missing[@]}"
		return 1
	fi
}

@test "every option and request member of every action is described in the tool's page" {
	local page tool action item missing=() n=0
	for page in "$MAN"/taxid-*.1 "$ZH"/taxid-*.1; do
		tool=$(basename "$page" .1)
		[ -x "$TAXID_BIN/$tool" ] || continue
		while IFS= read -r action; do
			# shellcheck disable=SC2086 # an action of two words is two arguments
			while IFS= read -r item; do
				n=$((n + 1))
				case $item in
				--help | --version | --db | --now | --tz | --reveal | --progress | --no-progress) ;;
				--*) grep -qE -- "Fl -${item#--}( |$)" "$page" || missing+=("${page#"$MAN"/} $action: option $item") ;;
				*=) grep -qE "(^|[ .])D[qo] ${item%=}( |$)" "$page" || missing+=("${page#"$MAN"/} $action: member ${item%=}") ;;
				esac
			done < <("$tool" __complete $action)
		done < <(tool_actions "$tool")
	done
	[ "$n" -gt 0 ]
	if [ "${#missing[@]}" -ne 0 ]; then
		printf 'not described (".Fl -OPTION", ".Dq MEMBER" or "Do MEMBER Dc"): %s\n' "${missing[@]}"
		return 1
	fi
}

@test "the error lists of the tool pages give the messages of lib/errors.def" {
	local page code en zh row want bad=() n=0
	for page in "$MAN"/*.[1-8] "$ZH"/*.[1-8]; do
		grep -q '^\.\\" BEGIN errors' "$page" || continue
		# Between '.\" BEGIN errors' and '.\" END errors': ".It Li CODE", '.Qq "ENGLISH" ,', '.Qq "CHINESE" :'.
		while IFS=$'\t' read -r code en zh; do
			n=$((n + 1))
			row=$(grep -E "^X\([A-Z0-9_]+, *\"$code\"," "$TAXID_ROOT/lib/errors.def") || {
				bad+=("$(basename "$page"): $code is not in lib/errors.def")
				continue
			}
			want=$(sed -E 's/^X\([^,]+, *"[^"]+", *[A-Z]+, *"([^"]*)", *"([^"]*)"\)$/\1\t\2/' <<<"$row")
			[ "$en"$'\t'"$zh" = "$want" ] || bad+=("$(basename "$page"): $code: '$en' / '$zh', want '$want'")
		done < <(awk '/^\.\\" BEGIN errors/ { on = 1; next } /^\.\\" END errors/ { on = 0 }
			on && /^\.It Li [a-z0-9_]+$/ { code = $3; getline en; getline zh
				sub(/^\.Qq "/, "", en); sub(/" ,$/, "", en); sub(/^\.Qq "/, "", zh); sub(/" :$/, "", zh)
				print code "\t" en "\t" zh }' "$page")
	done
	[ "$n" -gt 0 ]
	if [ "${#bad[@]}" -ne 0 ]; then
		printf '%s\n' "${bad[@]}"
		return 1
	fi
}

@test "taxid(7) and every tool page link each other" {
	local page name missing=()
	for page in "$MAN"/taxid-*.1 "$ZH"/taxid-*.1; do
		name=$(basename "$page" .1)
		grep -qxE "\.Xr $name 1( ,)?" "$(dirname "$page")/taxid.7" || missing+=("${page#"$MAN"/}: taxid.7 -> $name(1)")
		grep -qxE '\.Xr taxid 7( ,)?' "$page" || missing+=("${page#"$MAN"/}: $name(1) -> taxid(7)")
	done
	if [ "${#missing[@]}" -ne 0 ]; then
		printf 'missing link: %s\n' "${missing[@]}"
		return 1
	fi
}

@test "taxid-verify(1) describes identity, the trust and sms sub-actions and audit" {
	run tool_actions taxid-verify
	assert_success
	assert_line identity
	assert_line 'trust add'
	assert_line 'sms outbox'
	assert_line audit
}

@test "taxid-db(5) describes every table of a new database" {
	taxid-verify trust remove issuer=nobody >/dev/null || true
	local t missing=() n=0
	while IFS= read -r t; do
		n=$((n + 1))
		grep -qxF ".It Li $t" "$MAN/taxid-db.5" || missing+=("$t")
	done < <(if [ "$(db_engine)" = pg ]; then
		dbq "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
	else
		dbq "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	fi)
	[ "$n" -gt 0 ]
	if [ "${#missing[@]}" -ne 0 ]; then
		echo "tables not in taxid-db(5): ${missing[*]}"
		return 1
	fi
}

@test "taxid-db(5) describes every setting the code reads" {
	local key missing=() n=0
	while IFS= read -r key; do
		n=$((n + 1))
		grep -E '^\.It Li ' "$MAN/taxid-db.5" | grep -qF -- "$key" || missing+=("$key")
	done < <({
		grep -ohE 'taxid_setting_int\(ctx, "[a-z0-9_.]+"' "$TAXID_ROOT"/lib/*.c | sed -E 's/.*"(.*)"/\1/'
		grep -ohE 'sms_policy\(ctx, "[a-z0-9_]+"' "$TAXID_ROOT"/lib/*.c | sed -E 's/.*"(.*)"/sms.\1/'
	} | sort -u)
	[ "$n" -gt 0 ]
	if [ "${#missing[@]}" -ne 0 ]; then
		echo "settings not in taxid-db(5): ${missing[*]}"
		return 1
	fi
}

@test "scripts/man-examples.sh extracts examples and undoes mdoc escapes" {
	cat >page.7 <<'EOF'
.Sh EXAMPLES
.\" example
.Bd -literal
printf '%s\en' a\e&b
\&.x
.Ed
.\" end
.Bd -literal
not an example
.Ed
.\" example
.Bd -literal
echo two
.Ed
.\" end
EOF
	run "$TAXID_ROOT/scripts/man-examples.sh" -n page.7
	assert_success
	assert_output 2
	run "$TAXID_ROOT/scripts/man-examples.sh" page.7 1
	assert_success
	assert_output "printf '%s\n' a\&b
.x"
	run "$TAXID_ROOT/scripts/man-examples.sh" page.7 3
	assert_failure 1
}

@test "the examples of every page run in an empty directory and succeed" {
	local page n i dir failed=() total=0
	# the pages' examples use the default, ./taxid.db and its key beside it, on either suite
	unset TAXID_DB TAXID_KEYFILE
	for page in "$MAN"/*.[1-8] "$ZH"/*.[1-8]; do
		n=$("$TAXID_ROOT/scripts/man-examples.sh" -n "$page")
		if [ "$n" -eq 0 ]; then
			failed+=("${page#"$MAN"/}: no runnable example")
			continue
		fi
		for ((i = 1; i <= n; i++)); do
			total=$((total + 1))
			dir="$BATS_TEST_TMPDIR/examples/${page#"$MAN"/}-$i"
			mkdir -p "$dir/run"
			"$TAXID_ROOT/scripts/man-examples.sh" "$page" "$i" >"$dir/example.sh"
			# stdout and stderr apart: what an example prints on stdout may be a secret it was handed (an outbox
			# drain), which the secret scan must not take for a tool's stderr
			if ! (cd "$dir/run" && timeout 120 bash -e "$dir/example.sh") </dev/null >"$dir/log" 2>"$dir/err"; then
				failed+=("${page#"$MAN"/} example $i")
				echo "--- ${page#"$MAN"/} example $i:"
				cat "$dir/example.sh"
				echo "--- output:"
				cat "$dir/log"
				echo "--- stderr:"
				cat "$dir/err"
			fi
		done
	done
	[ "$total" -gt 0 ]
	if [ "${#failed[@]}" -ne 0 ]; then
		printf 'failed: %s\n' "${failed[@]}"
		return 1
	fi
}

@test "every page is also in Chinese under man/zh_CN, with the English page's examples, sections and lists" {
	local page zh e i missing=() bad=() n=0
	for page in "$MAN"/*.[1-8]; do
		n=$((n + 1))
		zh=$ZH/$(basename "$page")
		[ -f "$zh" ] || { missing+=("$(basename "$page")"); continue; }
		# the runnable examples are the English ones, byte for byte (the zh_CN example test runs them)
		e=$("$TAXID_ROOT/scripts/man-examples.sh" -n "$page")
		[ "$("$TAXID_ROOT/scripts/man-examples.sh" -n "$zh")" = "$e" ] || bad+=("$(basename "$page"): not $e examples")
		for ((i = 1; i <= e; i++)); do
			cmp -s <("$TAXID_ROOT/scripts/man-examples.sh" "$page" "$i") <("$TAXID_ROOT/scripts/man-examples.sh" "$zh" "$i") ||
				bad+=("$(basename "$page"): example $i differs")
		done
		# the same title, name, actions and error codes
		[ "$(grep -m1 '^\.Dt ' "$page")" = "$(grep -m1 '^\.Dt ' "$zh")" ] || bad+=("$(basename "$page"): .Dt differs")
		cmp -s <(grep -E '^\.(Nm [a-z-]+$|It Cm |It Li [a-z0-9_]+$)' "$page" | sort) <(grep -E '^\.(Nm [a-z-]+$|It Cm |It Li [a-z0-9_]+$)' "$zh" | sort) ||
			bad+=("$(basename "$page"): .Nm, '.It Cm' or '.It Li' lines differ")
		# translated: most of the prose is Chinese
		[ "$(LC_ALL=C.UTF-8 grep -cP '[\x{4e00}-\x{9fff}]' "$zh")" -gt "$(($(grep -vc '^\.' "$page") / 3))" ] ||
			bad+=("$(basename "$page"): little Chinese text")
	done
	[ "$n" -gt 0 ]
	if [ "${#missing[@]}" -ne 0 ] || [ "${#bad[@]}" -ne 0 ]; then
		[ "${#missing[@]}" -eq 0 ] || echo "no man/zh_CN page for: ${missing[*]}"
		printf '%s\n' "${bad[@]}"
		return 1
	fi
	# and no Chinese page without an English one
	for zh in "$ZH"/*.[1-8]; do
		[ -f "$MAN/$(basename "$zh")" ] || { echo "man/zh_CN/$(basename "$zh") has no English page"; return 1; }
	done
}
