#!/usr/bin/env bash
# Benchmark taxid-verify against jq on N identity requests: two rows, one process and every processor.
#   bench/verify.sh [N]          (default 1000000; make bench runs it through bench/run.sh)
# The requests come from bench/gen-identity.sh N (BENCH_SEED, default 1) into the scratch directory. Timed,
# alternately, best of BENCH_RUNS (bench/common.sh):
#   taxid-verify --no-progress --jobs 1 < file > /dev/null
#                             (row "verify": one process; an empty directory, TAXID_DB names a file that does
#                             not exist: identity validation needs no registry)
#   taxid-verify --no-progress < file > /dev/null
#                             (row "verify-jobs": the default, one worker per processor, `nproc` of them)
#   jq -c . < file > /dev/null                       (parse and print each request: the floor for any tool that
#                                                    reads the stream; timed again for each row)
# Both read every request; taxid-verify must answer each one (checked once before timing).
# Environment: BENCH_BIN, BENCH_TMP, BENCH_RUNS (bench/common.sh), BENCH_SEED.
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

n=$(size_arg verify "${1:-}" 1000000)
runs=$(runs_for "$n")
seed=${BENCH_SEED:-1}
need jq
need_bin taxid-verify
workdir
cd "$work"
export TAXID_DB=$work/absent/taxid.db TAXID_NOW=2026-11-25T08:00:00Z

echo "bench: verify: generating $n requests" >&2
data=$work/identity.ndjson
"$bench_dir/gen-identity.sh" "$n" "$seed" >"$data"

# What we time is the whole job: every request answered, the exit status a refusal at worst.
answered=$("$bin/taxid-verify" --no-progress <"$data" | wc -l) || true
[ "$answered" -eq "$n" ] || { echo "bench: taxid-verify answered $answered of $n requests" >&2; exit 70; }

# The workers must give the bytes of one process (checked once).
cmp <("$bin/taxid-verify" --no-progress --jobs 1 <"$data") <("$bin/taxid-verify" --no-progress <"$data") ||
	{ echo "bench: taxid-verify --jobs $(nproc) differs from --jobs 1" >&2; exit 70; }

taxid_one() { "$bin/taxid-verify" --no-progress --jobs 1 <"$data" >/dev/null || [ $? -eq 1 ]; }
taxid_all() { "$bin/taxid-verify" --no-progress <"$data" >/dev/null || [ $? -eq 1 ]; }
jq_stream() { jq -c . <"$data" >/dev/null; }

echo "bench: verify: $runs run(s) of each side, one process" >&2
best_pair "$runs" taxid_one jq_stream
header
row verify "$n" "$best_taxid" "jq -c ." "$best_ref"
echo "bench: verify: $runs run(s) of each side, $(nproc) processes" >&2
best_pair "$runs" taxid_all jq_stream
row verify-jobs "$n" "$best_taxid" "jq -c . ($(nproc) cpus)" "$best_ref"
