#!/usr/bin/env bash
# Run every benchmark in bench/ and print one table (make bench).
#   bench/run.sh [ARGS...]     ARGS go to each benchmark (bench/verify.sh takes N)
# A benchmark is bench/*.sh other than this script and the generators (gen-*.sh); each prints a header line
# starting "benchmark" and then its rows. The table has the first header only. Exits non-zero when one failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
status=0
header=
for b in "$here"/*.sh; do
	case ${b##*/} in run.sh | gen-*.sh) continue ;; esac
	echo "bench: ${b##*/}" >&2
	if ! out=$("$b" "$@"); then
		echo "bench: ${b##*/} failed" >&2
		status=1
		continue
	fi
	while IFS= read -r line; do
		case $line in
		benchmark*)
			[ -z "$header" ] || continue
			header=$line
			;;
		esac
		printf '%s\n' "$line"
	done <<<"$out"
done
exit "$status"
