#!/usr/bin/env bash
# Run a subset of the bats suite with every taxid tool under valgrind memcheck; fail on any memory error or leak.
#   scripts/valgrind.sh [FILE.bats ...]          (default: the subset below; make valgrind)
# TAXID_BIN names the binaries to check (default bin/, a normal build: not a sanitizer one). Each tool is replaced
# on PATH by a wrapper that runs it as
#   valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --track-fds=no
# with one log per process; afterwards every log must say "ERROR SUMMARY: 0 errors". Prints the bats summary, then
# "valgrind: N processes, M with errors" (and the logs of the first few that had some); exits 1 if M > 0 or a test
# failed, 2 when valgrind is missing.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 70
command -v valgrind >/dev/null 2>&1 || { echo "valgrind: not installed (apt-get install valgrind)" >&2; exit 2; }
bin=$(cd "${TAXID_BIN:-$root/bin}" && pwd) || exit 2
ls "$bin"/taxid-* >/dev/null 2>&1 || { echo "valgrind: no taxid-* in $bin (run make first)" >&2; exit 2; }

if [ $# -eq 0 ]; then
	# The record loop, the database and key files, the audit chain, verdicts, SMS, import, and the hostile corpus
	# through every tool: about 20 minutes on two cores (a process under memcheck takes a second). Not the kill,
	# soak or scale tests (timing, 20000 records), nor the argon2-heavy login files (pass them by name).
	set -- tests/00-records.bats tests/10-db.bats tests/11-audit.bats tests/12-verdicts.bats tests/13-sms.bats \
		tests/33-register-import.bats tests/71-hostile.bats
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/logs"
for t in "$bin"/taxid-* "$bin"/taxid; do
	[ -x "$t" ] || continue
	name=${t##*/}
	cat >"$work/bin/$name" <<EOF
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \\
	--log-file="$work/logs/$name.%p.log" "$t" "\$@"
EOF
	chmod +x "$work/bin/$name"
done

TAXID_BIN="$work/bin" tests/run "$@"
status=$?

total=0 bad=0
shown=0
for log in "$work"/logs/*.log; do
	[ -e "$log" ] || continue
	total=$((total + 1))
	# -q prints nothing for a clean run; anything else (an error, a leak) is a finding
	if [ -s "$log" ]; then
		bad=$((bad + 1))
		if [ "$shown" -lt 3 ]; then
			shown=$((shown + 1))
			echo "---- ${log##*/}"
			head -n 60 "$log"
		fi
	fi
done
echo "valgrind: $total processes, $bad with errors"
[ "$total" -gt 0 ] || exit 1
[ "$bad" -eq 0 ] && [ "$status" -eq 0 ]
