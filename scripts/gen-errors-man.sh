#!/bin/bash
# Print the rows of taxid-records(5)'s error table, in mdoc, from the one error table (lib/errors.def), so
# the page lists every code with its exit status and its English and Chinese message exactly.
#   scripts/gen-errors-man.sh                      print the rows on stdout
#   scripts/gen-errors-man.sh --update PAGE        replace the rows between the page's
#                                                  '.\" BEGIN error table' and '.\" END error table' lines
# Exit status: 0; 1 when a line of errors.def cannot be read (the table must stay exact).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
def=${TAXID_ERRORS_DEF:-$here/lib/errors.def}
hdr=${TAXID_ERRORS_H:-$here/lib/errors.h}

# Exit status of each class, from errors.h's enum (TAXID_EXIT_REFUSED = 1, ...).
declare -A status
while read -r name value; do
	status[$name]=$value
done < <(sed -nE 's/^[[:space:]]*TAXID_EXIT_([A-Z]+)[[:space:]]*=[[:space:]]*([0-9]+).*/\1 \2/p' "$hdr")

# A C string literal's contents as an mdoc quoted argument: \\ -> \e, \" -> \(dq.
mdoc_string() {
	local s=$1
	s=${s//\\\\/\\e}
	s=${s//\\\"/\\(dq}
	printf '"%s"' "$s"
}

rows() {
	local n=0 line code cls en zh
	local re='^X\([[:space:]]*[A-Z0-9_]+,[[:space:]]*"([a-z0-9_]+)",[[:space:]]*([A-Z]+),[[:space:]]*"((\\.|[^"\\])*)",[[:space:]]*"((\\.|[^"\\])*)"\)[[:space:]]*$'
	while IFS= read -r line; do
		n=$((n + 1))
		case $line in
		X\(*) ;;
		*) continue ;;
		esac
		if ! [[ $line =~ $re ]]; then
			echo "gen-errors-man: $def:$n: cannot read this entry" >&2
			return 1
		fi
		code=${BASH_REMATCH[1]} cls=${BASH_REMATCH[2]} en=${BASH_REMATCH[3]} zh=${BASH_REMATCH[5]}
		if [ -z "${status[$cls]:-}" ]; then
			echo "gen-errors-man: $def:$n: unknown exit class '$cls'" >&2
			return 1
		fi
		printf '.It Li %s Ta %s Ta %s\n' "$code" "${status[$cls]}" "$(mdoc_string "$en")"
		printf '.It \\& Ta \\& Ta %s\n' "$(mdoc_string "$zh")"
	done <"$def"
}

if [ "${1:-}" = --update ]; then
	page=${2:?usage: gen-errors-man.sh [--update PAGE]}
	new=$(rows)
	if ! grep -q '^\.\\" BEGIN error table' "$page" || ! grep -q '^\.\\" END error table' "$page"; then
		echo "gen-errors-man: $page has no BEGIN/END error table lines" >&2
		exit 1
	fi
	tmp=$(mktemp "$page.XXXXXX")
	trap 'rm -f "$tmp"' EXIT
	{
		sed '/^\.\\" BEGIN error table/q' "$page"
		printf '%s\n' "$new"
		sed -n '/^\.\\" END error table/,$p' "$page"
	} >"$tmp"
	cat "$tmp" >"$page"
	exit 0
fi
rows
