#!/bin/bash
# Extract the runnable examples of a man page, so that a test runs them and they cannot rot.
# A runnable example is a '.Bd -literal' block between a '.\" example' line and a '.\" end' line;
# its text is a bash script. The mdoc escapes an example may use are undone: \e \& \- \(aq \(dq \(ti \(ha.
#   scripts/man-examples.sh PAGE        every example of PAGE, each after a '# example N: PAGE:LINE' line
#   scripts/man-examples.sh PAGE N      only the N-th example (from 1), as a script
#   scripts/man-examples.sh -n PAGE     the number of examples
# Exit status: 0; 1 when N is out of range or a block is not closed; 64 on bad usage.
set -eu

usage() {
	echo "usage: man-examples.sh [-n] PAGE [N]" >&2
	exit 64
}

count=0
if [ "${1:-}" = -n ]; then
	count=1
	shift
fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	usage
fi
page=$1 want=${2:-0}
case $want in '' | *[!0-9]*) usage ;; esac
[ -r "$page" ] || {
	echo "man-examples: cannot read '$page'" >&2
	exit 1
}

# Undo the escapes: \e last, through a sentinel, so that "\e&" stays a backslash and an ampersand.
unescape() {
	sed -e 's/\\e/\x01/g' -e 's/\\&//g' -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' \
		-e 's/\\(ti/~/g' -e 's/\\(ha/^/g' -e 's/\x01/\\/g'
}

awk -v want="$want" -v count="$count" -v page="$page" '
	/^\.\\" example[[:space:]]*$/ { if (inside) { bad = NR; exit } inside = 1; n++; start = NR;
		if (!count && !want) printf "%s# example %d: %s:%d\n", (n > 1 ? "\n" : ""), n, page, NR; next }
	/^\.\\" end[[:space:]]*$/ { if (!inside) next; inside = 0; next }
	inside && /^\./ { next }
	inside && !count && (!want || want == n) { print }
	END {
		if (bad || inside) { printf "man-examples: %s:%d: example not closed by a .\\\" end line\n", page, start > "/dev/stderr"; exit 1 }
		if (count) print n + 0
		else if (want && want > n) { printf "man-examples: %s has %d examples\n", page, n > "/dev/stderr"; exit 1 }
	}
' "$page" | unescape
exit "${PIPESTATUS[0]}"
