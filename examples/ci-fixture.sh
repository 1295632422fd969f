#!/bin/bash
# ci-fixture.sh: a CI step that builds a throw-away database of N synthetic people (each with an account whose
# password is known to the tests) and, when taxid-bind is installed, M enterprises whose legal representatives
# are some of those people. The same seed gives the same people, so test expectations can be written down.
#
# usage: ci-fixture.sh [N [M]]        N people (default 100), M enterprises (default N/10)
# Environment:
#   TAXID_DB           the database to create (default ./fixture.db); an existing one is refused
#   FIXTURE_SEED       the generator's seed (default 1)
#   FIXTURE_PASSWORD   every account's password (default Fixture-pw-1)
#   FIXTURE_OUT        a file for the people as NDJSON, unmasked, for the tests to read (default: not kept)
# Prints one JSON summary line; exit status 0 when every record was imported.
set -euo pipefail

people=${1:-100}
enterprises=${2:-$((people / 10))}
case $people$enterprises in *[!0-9]*) echo "usage: ci-fixture.sh [N [M]]" >&2; exit 64 ;; esac
export TAXID_DB=${TAXID_DB:-./fixture.db}
# A fixture is a test database: it accepts a pinned clock (TAXID_NOW) for the tests that use it.
export TAXID_TEST_DB=1
seed=${FIXTURE_SEED:-1}
password=${FIXTURE_PASSWORD:-Fixture-pw-1}
if [ -e "$TAXID_DB" ]; then
	echo "ci-fixture: $TAXID_DB exists; remove it first (a fixture starts empty)" >&2
	exit 73
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# People: deterministic synthetic persons, imported with one argon2id hash of the shared password.
taxid-register fixture --count "$people" --seed "$seed" --password "$password" >"$work/people.ndjson"
taxid-register import <"$work/people.ndjson" >"$work/imported.ndjson" || true
ok=$(jq -s 'map(select(.ok)) | length' "$work/imported.ndjson")
if [ -n "${FIXTURE_OUT:-}" ]; then
	jq -c --arg pw "$password" 'del(.password_hash) + {password: $pw}' "$work/people.ndjson" >"$FIXTURE_OUT"
fi

# Enterprises: valid unified social credit codes (GB 32100, with the GB 11714 organisation code inside), each
# with one of the people as legal representative. Only when taxid-bind is there.
ent_ok=null
if [ "$enterprises" -gt 0 ] && command -v taxid-bind >/dev/null 2>&1; then
	awk -v n="$enterprises" -v seed="$seed" 'BEGIN {
		a = "0123456789ABCDEFGHJKLMNPQRTUWXY"
		split("1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28", w, " ")
		split("3 7 9 10 5 8 4 2", ow, " ")
		for (i = 0; i < n; i++) {
			org = sprintf("%08d", (seed * 7919 + i * 104729) % 100000000)
			s = 0
			for (k = 1; k <= 8; k++) s += substr(org, k, 1) * ow[k]
			c = 11 - s % 11
			org = org (c == 10 ? "X" : c == 11 ? "0" : c)
			body = "91110105" org
			s = 0
			for (k = 1; k <= 17; k++) s += (index(a, substr(body, k, 1)) - 1) * w[k]
			c = (31 - s % 31) % 31
			print body substr(a, c + 1, 1)
		}
	}' >"$work/tins"
	# legal representatives: the first M people (resident IDs and other documents alike)
	jq -c '{doc_type, doc_no, name}' "$work/people.ndjson" | head -n "$enterprises" >"$work/reps"
	paste -d '\t' "$work/tins" "$work/reps" |
		jq -R -c 'split("\t") as [$tin, $rep] | ($rep | fromjson) as $r
			| {tin: $tin, name: ("测试企业" + $tin[10:17] + "有限公司"), legal_rep: $r, operator: "ci-fixture"}' |
		taxid-bind enterprise import >"$work/enterprises.ndjson" || true
	ent_ok=$(jq -s 'map(select(.ok)) | length' "$work/enterprises.ndjson")
fi

jq -nc --arg db "$TAXID_DB" --argjson n "$people" --argjson ok "$ok" --argjson m "$enterprises" \
	--argjson eok "$ent_ok" --argjson seed "$seed" \
	'{db: $db, seed: $seed, people: $n, imported: $ok}
	 + (if $eok == null then {enterprises: null} else {enterprises: $m, enterprises_imported: $eok} end)'
[ "$ok" -eq "$people" ] && { [ "$ent_ok" = null ] || [ "$ent_ok" -eq "$enterprises" ]; }
