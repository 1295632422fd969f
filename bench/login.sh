#!/usr/bin/env bash
# Benchmark login latency: N password steps of taxid-login against N runs of the argon2 CLI at the same
# parameters.
#   bench/login.sh [N]           (default 20)
# One fixture person is imported with a pre-hashed password and logs in once untimed (that first login
# re-hashes the migrated hash with the pepper at the policy's parameters). Then BENCH_RUNS (default 5) batches
# of N of each, one of each in turn, each a process of its own; the shortest batch of each side is kept:
#   taxid-login --now T account=LOGIN password=P     (open the database and key file, resolve the account,
#                                                    lock and captcha checks, HMAC pepper, one argon2id
#                                                    verification, a login transaction and an SMS code to the
#                                                    outbox, audit; T a day apart so no SMS limit hits)
#   argon2 SALT -id -t T -k M -p P -l 32 -e < pw      (one argon2id hash of a 64-character password, the length
#                                                    of taxid's peppered input; T, M, P read from the stored hash)
# Every taxid login must succeed ("next":"sms"), or the benchmark fails.
# Environment: BENCH_BIN, BENCH_TMP, BENCH_RUNS (bench/common.sh).
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

n=$(size_arg login "${1:-}" 20)
runs=${BENCH_RUNS:-5}
need argon2 sqlite3 jq
need_bin taxid-register taxid-login
workdir
cd "$work"
export TAXID_DB=$work/taxid.db
pw='Bench!pass1'
base=$(date -u -d 2026-11-25T08:00:00Z +%s)

"$bin/taxid-register" fixture --no-progress --count 1 --seed 1 --password "$pw" >person.ndjson
"$bin/taxid-register" --no-progress --now 2026-11-25T08:00:00Z import <person.ndjson | grep -q '"status":"created"' ||
	{ echo "bench: login: import failed" >&2; exit 70; }
login=$(jq -r .login_name person.ndjson)
"$bin/taxid-login" --now 2026-11-25T08:00:00Z account="$login" password="$pw" | grep -q '"next":"sms"' ||
	{ echo "bench: login: the warm-up login failed" >&2; exit 70; }

# The parameters in force, from the stored (now peppered) hash.
phc=$(sqlite3 taxid.db 'SELECT password_hash FROM account WHERE peppered = 1')
if [[ $phc =~ ^\$argon2id\$v=19\$m=([0-9]+),t=([0-9]+),p=([0-9]+)\$ ]]; then
	a_m=${BASH_REMATCH[1]} a_t=${BASH_REMATCH[2]} a_p=${BASH_REMATCH[3]}
else
	echo "bench: login: unexpected stored hash" >&2
	exit 70
fi
printf '%064d' 0 | tr 0 a >pw
salt=benchsaltbenchsa

# The clock of each login, made before timing: login K (counting across batches) on day K + 1 after the
# warm-up, so that neither the SMS cool-down nor the daily cap of codes per phone refuses it.
stamps=()
for ((i = 0; i < runs * n; i++)); do
	stamps[i]=$(date -u -d "@$((base + 86400 * (i + 1)))" +%Y-%m-%dT%H:%M:%SZ)
done

taxid_login() { "$bin/taxid-login" --now "${stamps[$1]}" account="$login" password="$pw" >>"$work/logins.ndjson"; }
argon2_hash() { argon2 "$salt" -id -t "$a_t" -k "$a_m" -p "$a_p" -l 32 -e <pw; }

echo "bench: login: $runs run(s) of $n logins each side (argon2id m=$a_m KiB, t=$a_t, p=$a_p)" >&2
alternate "$runs" "$n" taxid_login argon2_hash
ok=$(grep -c '"next":"sms"' logins.ndjson || true)
[ "$ok" -eq $((runs * n)) ] || { echo "bench: login: $ok of $((runs * n)) logins succeeded" >&2; exit 70; }
# The peak memory of one more login (a day after the last) and one more hash, untimed.
taxid_login_at() { "$bin/taxid-login" --now "$1" account="$login" password="$pw"; }
kb_taxid=$(peak taxid_login_at "$(date -u -d "@$((base + 86400 * (runs * n + 1)))" +%Y-%m-%dT%H:%M:%SZ)")
kb_ref=$(peak argon2_hash)
header
row login "$n" "$best_taxid" "argon2 -id -t $a_t -k $a_m -p $a_p" "$best_ref"
