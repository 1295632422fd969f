# shellcheck shell=bash
# Sourced by the benchmarks in bench/ (not a benchmark itself): where the binaries are, scratch space, timing,
# and the one output format bench/run.sh reads.
#   BENCH_BIN   directory of the taxid-* binaries (default: the repository's bin/); e.g. BENCH_BIN=/tmp/b/bin after
#               `make O=/tmp/b`
#   BENCH_TMP   where the data and databases go (default $TMPDIR, else /tmp); never the repository
#   BENCH_RUNS  timed runs of each side, best kept (default 3 below 1,000,000 records, 1 from there on)
# Each benchmark prints a header line "benchmark<TAB>n<TAB>taxid_s<TAB>reference<TAB>ref_s<TAB>taxid_kb<TAB>ref_kb"
# and then one tab-separated row per measurement: its name, the records (or runs) n, taxid's seconds, the
# reference's command and seconds, and the peak resident memory of each side in KiB (GNU time's %M: the largest
# process of the run, the timing shell included, about 4 MiB). The two sides run alternately, each on its own
# fresh copy of the same input.

# Every variable is exported, so that a benchmark's functions see them when timed() runs them in a child shell.
set -a
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench_root=$(cd "$bench_dir/.." && pwd)
bin=${BENCH_BIN:-$bench_root/bin}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
export LC_ALL=C
unset TAXID_DB TAXID_KEYFILE TAXID_TZ
# The benchmarks pin the clock: their databases are created for tests.
export TAXID_TEST_DB=1

# The peak memory of every row comes from GNU time.
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is not installed (make test-deps)" >&2; exit 69; }

# need TOOL...: each is on PATH.
need() {
	local t
	for t; do
		command -v "$t" >/dev/null 2>&1 || { echo "bench: $t is not installed (make deps)" >&2; exit 69; }
	done
}

# need_bin NAME...: each is an executable in $bin.
need_bin() {
	local t
	for t; do
		[ -x "$bin/$t" ] || { echo "bench: $bin/$t is missing; build first (make O=DIR, then BENCH_BIN=DIR/bin)" >&2; exit 66; }
	done
}

# size_arg NAME N DEFAULT: N validated (a positive integer), DEFAULT when empty.
size_arg() {
	local v=${2:-$3}
	case $v in '' | *[!0-9]* | 0*) echo "usage: bench/$1.sh [N]  (N a positive integer)" >&2; exit 64 ;; esac
	echo "$v"
}

# runs_for N: how many timed runs of each side.
runs_for() {
	if [ -n "${BENCH_RUNS:-}" ]; then echo "$BENCH_RUNS"; elif [ "$1" -lt 1000000 ]; then echo 3; else echo 1; fi
}

# workdir: a fresh scratch directory in $work, removed on exit.
workdir() {
	work=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/taxid-bench.XXXXXX")
	# shellcheck disable=SC2064 # expand now: $work is this directory
	trap "rm -rf '$work'" EXIT
}

# timed FUNC [ARGS...]: "SECONDS KIB": the wall-clock seconds of one call and the peak resident memory of its
# largest process (stdout discarded, stderr kept for the error report); stops the benchmark when it fails. The
# call runs in a child shell under GNU time, and is timed inside it, so the child's start is not counted.
timed() {
	local t
	export -f "${1?}"
	# shellcheck disable=SC2016 # expanded by the child shell
	if ! t=$(/usr/bin/time -f %M -o "$work/rss" bash -c 'TIMEFORMAT=%3R; { time "$@" >/dev/null 2>"$work/stderr"; } 2>&1' \
		_ "$@"); then
		echo "bench: $* failed:" >&2
		cat "$work/stderr" >&2
		exit 70
	fi
	echo "$t $(tail -n 1 "$work/rss")"
}

# peak FUNC [ARGS...]: the peak resident memory in KiB of one untimed call (for the benchmarks timed in batches).
peak() {
	local t
	t=$(timed "$@") || exit
	echo "${t#* }"
}

# best_pair RUNS TAXID_FUNC REF_FUNC [PREP_FUNC]: run PREP (when given), TAXID and REF alternately RUNS times;
# sets best_taxid and best_ref to the shortest of each. Each function gets the run number (0-based).
# Also sets kb_taxid and kb_ref to the largest peak memory of each side over the runs.
best_pair() {
	local i t r
	best_taxid='' best_ref='' kb_taxid=0 kb_ref=0
	for ((i = 0; i < $1; i++)); do
		[ -z "${4:-}" ] || "$4" "$i"
		t=$(timed "$2" "$i")
		r=$(timed "$3" "$i")
		best_taxid=$(awk -v a="$best_taxid" -v b="${t% *}" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }')
		best_ref=$(awk -v a="$best_ref" -v b="${r% *}" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }')
		kb_taxid=$((${t#* } > kb_taxid ? ${t#* } : kb_taxid))
		kb_ref=$((${r#* } > kb_ref ? ${r#* } : kb_ref))
	done
}

# alternate RUNS N TAXID_FUNC REF_FUNC: RUNS batches of N calls of each side, one call of each in turn (so
# both see the same load on a shared machine); sets best_taxid and best_ref to the shortest batch of each, in
# seconds. Each function gets the call number (0-based, counting across batches). The caller measures the
# peak memory (peak) itself, into kb_taxid and kb_ref.
alternate() {
	local run i a b c ts rs
	best_taxid='' best_ref=''
	for ((run = 0; run < $1; run++)); do
		ts=0 rs=0
		for ((i = run * $2; i < (run + 1) * $2; i++)); do
			a=${EPOCHREALTIME/./}
			"$3" "$i" >/dev/null 2>"$work/stderr" || { echo "bench: $3 failed:" >&2; cat "$work/stderr" >&2; exit 70; }
			b=${EPOCHREALTIME/./}
			"$4" "$i" >/dev/null 2>"$work/stderr" || { echo "bench: $4 failed:" >&2; cat "$work/stderr" >&2; exit 70; }
			c=${EPOCHREALTIME/./}
			ts=$((ts + b - a)) rs=$((rs + c - b))
		done
		best_taxid=$(awk -v a="$best_taxid" -v b="$ts" 'BEGIN { b /= 1e6; print (a == "" || b < a + 0) ? sprintf("%.4f", b) : a }')
		best_ref=$(awk -v a="$best_ref" -v b="$rs" 'BEGIN { b /= 1e6; print (a == "" || b < a + 0) ? sprintf("%.4f", b) : a }')
	done
}

# import_reference N: in the current directory, people.ndjson (N fixture people, the input of an import) and the
# reference of bench/import.sh and bench/import-floor.sh: people.csv, the same records as CSV (jq, not timed),
# and import.sql, sqlite3's .import of it into one table with the same unique keys (document, login name, phone),
# with the settings taxid uses for an import (lib/db.c, REG_IMPORT_* in lib/sql.def), so that only the work
# differs.
import_reference() {
	"$bin/taxid-register" fixture --no-progress --count "$1" --seed 1 --password 'Bench!pass1' >people.ndjson
	jq -r '[.doc_type, .doc_no, .name, .nationality, .birth_date, .sex, .region, .login_name, .phone, .password_hash,
		(if .face_verified then 4 else 3 end)] | @csv' people.ndjson >people.csv
	cat >import.sql <<-'SQL'
		.bail on
		.output /dev/null
		PRAGMA journal_mode = WAL;
		PRAGMA synchronous = NORMAL;
		PRAGMA cache_size = -131072;
		PRAGMA temp_store = MEMORY;
		.output stdout
		CREATE TABLE person (doc_type TEXT NOT NULL, doc_no TEXT NOT NULL, name TEXT NOT NULL, nationality TEXT,
			birth_date TEXT, sex TEXT, region TEXT, login_name TEXT UNIQUE, phone TEXT UNIQUE, password_hash TEXT,
			level INTEGER, UNIQUE (doc_type, doc_no));
		.mode csv
		.import people.csv person
	SQL
}

# retirees N: N enrolment requests of retirees of region 110105 (valid resident ID numbers, names, pension accounts),
# each last certified on 2026-01-01: the seeds bench/survival.sh and bench/pg-survival.sh enrol and then clone.
retirees() {
	awk -v n="$1" 'BEGIN {
	split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " "); cc = "10X98765432"
	for (i = 0; i < n; i++) {
		body = sprintf("110105%04d%02d%02d%03d", 1940 + int(i / 336) % 20, int(i / 28) % 12 + 1, i % 28 + 1, int(i / 6720))
		s = 0
		for (k = 1; k <= 17; k++) s += substr(body, k, 1) * w[k]
		printf "{\"kind\":\"retiree\",\"doc_type\":\"201\",\"doc_no\":\"%s%s\",\"name\":\"测试%d\",\"pension_account\":\"62220%06d\",", body, substr(cc, s % 11 + 1, 1), i, i
		printf "\"region\":\"110105\",\"insurance_type\":\"enterprise\",\"benefit_start\":\"2010-01\",\"last_certified\":\"2026-01-01\"}\n"
	}
}'
}

header() { printf 'benchmark\tn\ttaxid_s\treference\tref_s\ttaxid_kb\tref_kb\n'; }

# row NAME N TAXID_S REFERENCE REF_S: with the peak memory of the last best_pair or alternate
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" "${kb_taxid:-0}" "${kb_ref:-0}"; }
