#!/usr/bin/env bash
# Build the libFuzzer harnesses of fuzz/ and run each for SECONDS.
#   scripts/fuzz.sh SECONDS [HARNESS...]     (make fuzz FUZZ_SECONDS=20)
# The library is compiled from lib/*.c with clang and -fsanitize=fuzzer-no-link,address,undefined into
# build/fuzz/lib/ (lib/libtaxid.a is gcc-built without sanitizers); each fuzz/NAME.c links into build/fuzz/NAME.
# Each harness starts from its committed seeds fuzz/corpus/NAME/ plus what earlier runs found (build/fuzz/corpus/NAME/,
# where new inputs go; the committed seeds are never written). Crashes, leaks, timeouts and property failures leave
# a reproducer in build/fuzz/artifacts/NAME/; replay one with build/fuzz/NAME FILE.
# Prints one line per harness; exits 1 when any harness failed, 2 on a build error.
# Environment: FUZZ_GEN (where the generated .inc files are, default build), FUZZ_CC (default clang, else clang-14),
# FUZZ_JOBS (parallel compiles, default nproc), FUZZ_OUT (instead of build/fuzz, e.g. a directory outside the work
# tree).
set -euo pipefail

usage() {
	echo "usage: scripts/fuzz.sh SECONDS [HARNESS...]" >&2
	exit 64
}

[ $# -ge 1 ] || usage
secs=$1
shift
case $secs in '' | *[!0-9]*) usage ;; esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
	for c in clang clang-14; do
		if command -v "$c" >/dev/null 2>&1; then
			cc=$c
			break
		fi
	done
fi
[ -n "$cc" ] || { echo "fuzz: clang not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

if [ $# -gt 0 ]; then
	harnesses=("$@")
else
	harnesses=()
	for f in fuzz/fuzz_*.c; do
		h=${f##*/}
		harnesses+=("${h%.c}")
	done
fi

# -max_len per harness: identifiers are at most 64 characters after normalisation (a little more before: spaces,
# full-width forms), instants and zones are short, records are NDJSON streams.
max_len() {
	case $1 in
	fuzz_ids) echo 256 ;;
	fuzz_clock) echo 128 ;;
	fuzz_records) echo 4096 ;;
	fuzz_validators) echo 512 ;;
	*) echo 4096 ;;
	esac
}

pkgs=$(sed -nE 's/^PKGS +:= +//p' Makefile) # the libraries of the build (lib/db_pg.c needs libpq's headers)
# shellcheck disable=SC2086 # word splitting of pkg-config output is intended
read -r -a pkg_cflags <<<"$(pkg-config --cflags $pkgs)"
# shellcheck disable=SC2086
read -r -a pkg_libs <<<"$(pkg-config --libs $pkgs)"
sanitizers=address,undefined
gen=${FUZZ_GEN:-build} # where make put the generated regions.inc and holidays.inc (make O=DIR: DIR/build)
cflags=(-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter
	"-fsanitize=$sanitizers" -fno-sanitize-recover=all -Ilib "-I$gen" '-DTAXID_VERSION="fuzz"'
	"${pkg_cflags[@]}")

out=${FUZZ_OUT:-build/fuzz}
mkdir -p "$out/lib"
{ [ -f "$gen/regions.inc" ] && [ -f "$gen/holidays.inc" ]; } || make -s O=. "$gen/regions.inc" "$gen/holidays.inc"

# Compile the library: what changed since the last build, FUZZ_JOBS at a time.
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
objects=()
stale() { # OBJ SRC: 0 when OBJ is missing or older than SRC or a header
	[ -f "$1" ] || return 0
	[ "$2" -nt "$1" ] && return 0
	for dep in lib/*.h lib/*.def "$gen/regions.inc" "$gen/holidays.inc"; do
		[ "$dep" -nt "$1" ] && return 0
	done
	return 1
}
compile() { # SRC OBJ
	"$cc" "${cflags[@]}" -fsanitize=fuzzer-no-link -c -o "$2" "$1" || rm -f "$2"
}
n=0
for src in lib/*.c; do
	obj=$out/lib/$(basename "${src%.c}").o
	objects+=("$obj")
	stale "$obj" "$src" || continue
	[ "$n" -gt 0 ] || echo "fuzz: compiling lib/*.c with $cc -fsanitize=$sanitizers"
	n=$((n + 1))
	rm -f "$obj"
	compile "$src" "$obj" &
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
done
wait
# Objects of sources that no longer exist must not be linked in.
for obj in "$out"/lib/*.o; do
	[ -e "$obj" ] || continue
	base=$(basename "${obj%.o}")
	[ -f "lib/$base.c" ] || rm -f "$obj"
done
for obj in "${objects[@]}"; do
	[ -f "$obj" ] || { echo "fuzz: library build failed" >&2; exit 2; }
done

for h in "${harnesses[@]}"; do
	[ -f "fuzz/$h.c" ] || { echo "fuzz: no harness fuzz/$h.c" >&2; exit 64; }
	if ! "$cc" "${cflags[@]}" -fsanitize=fuzzer -o "$out/$h" "fuzz/$h.c" "${objects[@]}" "${pkg_libs[@]}" -lcsv -lm; then
		echo "fuzz: building $h failed" >&2
		exit 2
	fi
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
for h in "${harnesses[@]}"; do
	corpus=$out/corpus/$h
	artifacts=$out/artifacts/$h
	log=$out/$h.log
	mkdir -p "$corpus" "$artifacts"
	seeds=()
	[ -d "fuzz/corpus/$h" ] && seeds=("fuzz/corpus/$h")
	rc=0
	"$out/$h" -max_total_time="$secs" -max_len="$(max_len "$h")" -timeout=25 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "${seeds[@]}" >"$log" 2>&1 || rc=$?
	# (|| true: a harness that crashes on a seed prints no cov or corp line, and set -e must not end the script)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1) || true
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1) || true
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2) || true
	corp=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2) || true
	if [ "$rc" -eq 0 ]; then
		printf '%-14s ok     %ss, %s runs (%s/s), cov %s, corpus %s\n' "$h" "$secs" "${runs:-?}" "${speed:-?}" \
			"${cov:-?}" "${corp:-?}"
	else
		failed=1
		unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		what=$(grep -m 1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer): [a-zA-Z-]+|runtime error: .*|property failed.*' "$log" || true)
		printf '%-14s FAILED (exit %s) %s; reproducer %s; log %s\n' "$h" "$rc" "${what:-see log}" \
			"${unit:-none}" "$log"
	fi
done
exit "$failed"
