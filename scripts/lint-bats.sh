#!/bin/bash
# Reject bats assertions that can never fail (issue 12): under bats, `set -e` ignores the status of a command
# negated with `!`, so a line `! cmd`, `a || ! b` or `a && ! b` that is not the last line of its test (or of a
# function in a test file) checks nothing. Write `run ! cmd`, `refute_output`, or guard it: `! cmd || false`.
# Usage: scripts/lint-bats.sh [FILE...]   (default: tests/*.bats tests/*.bash); prints FILE:LINE: and fails.
set -u
cd "$(dirname "$0")/.." || exit 70
if [ $# -eq 0 ]; then
	set -- tests/*.bats tests/*.bash
fi
awk '
function flush(   i) {
	for (i = 0; i < n - 1; i++)
		if (silent(L[i])) {
			printf "%s:%d: a negated command that is not the last line can never fail (add || false, or use run !): %s\n", FILENAME, N[i], L[i]
			bad++
		}
	n = 0
}
# silent(LINE): the line ends in a command negated with "!" that nothing after it checks.
function silent(s,   t, p, rest) {
	t = s
	gsub(/\047[^\047]*\047/, "\047\047", t)     # single-quoted text cannot hold an operator
	gsub(/"([^"\\]|\\.)*"/, "\"\"", t)           # nor double-quoted text
	if (t ~ /^[ \t]*(if|elif|while|until)[ \t]/)   # a condition is checked by its statement
		return 0
	if (t !~ /^[ \t]*![ \t]/ && t !~ /(\|\||&&)[ \t]*![ \t]/)
		return 0
	# the text after the last negation: guarded when it goes on with "||" (|| false, || return 1, || { ... })
	rest = t
	while ((p = match(rest, /(^[ \t]*|\|\||&&)[ \t]*![ \t]/)) > 0)
		rest = substr(rest, p + RLENGTH)
	return rest !~ /\|\|/
}
FNR == 1 { if (inblock) flush(); inblock = 0; n = 0; cont = "" }
/^@test .*\{[ \t]*$/ || /^[A-Za-z_][A-Za-z0-9_]*[ \t]*\(\)[ \t]*\{[ \t]*$/ { if (inblock) flush(); inblock = 1; n = 0; cont = ""; next }
inblock && /^\}/ { flush(); inblock = 0; next }
inblock {
	line = $0
	if (cont != "") { line = cont " " line; ln = cln } else ln = FNR
	if (line ~ /\\$/) { cont = substr(line, 1, length(line) - 1); cln = ln; next }
	cont = ""
	if (line ~ /^[ \t]*$/ || line ~ /^[ \t]*#/) next
	L[n] = line; N[n] = ln; n++
}
END { if (inblock) flush(); exit bad > 0 }
' "$@"
