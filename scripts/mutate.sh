#!/bin/bash
# make mutate: our own mutation check (issue 12). Each line of tests/mutants.tsv is a one-line change to a rule that
# matters; for each, a copy of the tree gets the change, is built, and the test files the line names are run
# against it. A mutant is killed when one of those tests fails. Prints one line per mutant, then
# "N killed, M survived"; fails if any mutant survives, does not build, or is NOT APPLIED (its original text is not
# found exactly once in its file: the list can never rot silently when the code moves on).
#
# tests/mutants.tsv: tab-separated  ID  FILE  ORIGINAL  REPLACEMENT  TEST-FILES (space-separated, under tests/;
# FILE.bats@REGEX runs only the tests of FILE whose names match REGEX, see runtests);
# every mutant of the list is also compiled (with the build's own flags, -Werror in a checkout) on every run, a
# sampled one or not: a mutant that no longer compiles (an unused variable once its use is mutated away) is
# found the day it breaks, not the day the sample happens to pick it.
# ORIGINAL and REPLACEMENT are literal text (no escapes); lines starting with # and blank lines are ignored.
#
# Environment:
#   MUTANTS="id1 id2"   run only these mutants
#   MUTANTS_SAMPLE=N    run a random sample of N mutants (MUTANTS_SEED picks it; default: the day of the year)
#   MUTATE_CHECK=1      only check that every mutant applies (exactly one match) and compiles, run no test
#   MUTATE_BASELINE=0   skip the run of the named test files on the unchanged copy (default: run it; a test file
#                       that fails unchanged would "kill" every mutant)
#   MUTATE_JOBS=N       make -jN (default 2)
set -u
cd "$(dirname "$0")/.." || exit 70
list=${MUTANTS_FILE:-tests/mutants.tsv}
jobs=${MUTATE_JOBS:-2}
t0=$(date +%s)

ids=() files=() origs=() repls=() tests=()
while IFS=$'\t' read -r id file orig repl tfiles extra; do
	case $id in '' | '#'*) continue ;; esac
	if [ -z "$tfiles" ] || [ -n "${extra:-}" ]; then
		echo "mutate: $list: mutant $id: want 5 tab-separated fields" >&2
		exit 65
	fi
	ids+=("$id") files+=("$file") origs+=("$orig") repls+=("$repl") tests+=("$tfiles")
done <"$list"

# count FILE TEXT: how many times TEXT occurs in FILE (literal, possibly several per line)
count() {
	ORIG=$2 awk 'BEGIN { o = ENVIRON["ORIG"] }
		{ s = $0; while ((i = index(s, o)) > 0) { n++; s = substr(s, i + length(o)) } }
		END { print n + 0 }' "$1"
}
# apply FILE TEXT REPLACEMENT: replace the one occurrence in place
apply() {
	ORIG=$2 REPL=$3 awk 'BEGIN { o = ENVIRON["ORIG"]; r = ENVIRON["REPL"] }
		{ i = index($0, o); if (i > 0) $0 = substr($0, 1, i - 1) r substr($0, i + length(o)); print }' "$1" >"$1.mut" &&
		mv "$1.mut" "$1"
}

# Which mutants: all, the named ones, or a sample.
sel=()
if [ -n "${MUTANTS:-}" ]; then
	for want in $MUTANTS; do
		found=
		for i in "${!ids[@]}"; do [ "${ids[$i]}" = "$want" ] && sel+=("$i") && found=1; done
		[ -n "$found" ] || { echo "mutate: no mutant $want in $list" >&2; exit 64; }
	done
elif [ "${MUTANTS_SAMPLE:-0}" -gt 0 ]; then
	seed=${MUTANTS_SEED:-$(date +%j)}
	# a keystream from the seed (the GNU shuf manual's way): `yes SEED` alone picked almost the same mutants each day
	mapfile -t sel < <(seq 0 $((${#ids[@]} - 1)) | shuf -n "$MUTANTS_SAMPLE" \
		--random-source=<(openssl enc -aes-256-ctr -pass pass:"taxid-mutate-$seed" -nosalt -pbkdf2 </dev/zero 2>/dev/null))
	echo "mutate: a sample of $MUTANTS_SAMPLE of ${#ids[@]} mutants (MUTANTS_SEED=$seed)"
else
	sel=("${!ids[@]}")
fi

# Every mutant of the list must apply to this tree, exactly once, whichever are run.
notapplied=0
for i in "${!ids[@]}"; do
	f=${files[$i]}
	n=0
	[ -f "$f" ] && n=$(count "$f" "${origs[$i]}")
	if [ "$n" != 1 ]; then
		printf 'NOT APPLIED  %-24s %s: original text found %s times: %s\n' "${ids[$i]}" "$f" "$n" "${origs[$i]}"
		notapplied=$((notapplied + 1))
	fi
	for t in ${tests[$i]}; do
		[ -f "tests/${t%%@*}" ] || { echo "NOT APPLIED  ${ids[$i]}: no test file tests/${t%%@*}"; notapplied=$((notapplied + 1)); }
	done
done
[ "$notapplied" -eq 0 ] || { echo "mutate: $notapplied mutants not applied; nothing run"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/taxid-mutate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Every mutant compiles: the file the mutant changes (a header: every lib/*.c that includes it), syntax only, in a
# copy of lib/ that gets each mutant in turn and is put back after it.
read -r -a cc < <(make -s print-cc)
mkdir -p "$tmp/chk" && cp -a lib "$tmp/chk/lib"
mkdir -p "$tmp/chk/build" && make -s build/regions.inc build/holidays.inc >/dev/null &&
	cp build/regions.inc build/holidays.inc "$tmp/chk/build/"
nocompile=0
for i in "${!ids[@]}"; do
	f=${files[$i]}
	case $f in
	*.c) srcs=("$f") ;;
	*.h) mapfile -t srcs < <(grep -l "#include \"${f##*/}\"" lib/*.c) ;;
	*) continue ;;
	esac
	apply "$tmp/chk/$f" "${origs[$i]}" "${repls[$i]}"
	for s in "${srcs[@]}"; do
		if ! err=$(cd "$tmp/chk" && "${cc[@]}" -Ibuild -fsyntax-only "$s" 2>&1); then
			printf 'NO COMPILE   %-24s %s\n' "${ids[$i]}" "$(grep -m1 'error' <<<"$err")"
			nocompile=$((nocompile + 1))
			break
		fi
	done
	cp "$f" "$tmp/chk/$f"
done
if [ "${MUTATE_CHECK:-0}" = 1 ]; then
	echo "mutate: ${#ids[@]} mutants, $notapplied not applied, $nocompile do not compile"
	[ "$nocompile" -eq 0 ]
	exit
fi
[ "$nocompile" -eq 0 ] || { echo "mutate: $nocompile mutants do not compile; nothing run"; exit 1; }

# The unchanged copy, built once; each mutant's copy starts from it, so only what the mutant touches is rebuilt.
mkdir "$tmp/base"
tar -cf - --exclude=./.git --exclude=./bin --exclude=./build --exclude=./lib/libtaxid.a --exclude='*.db' \
	--exclude='*.db-wal' --exclude='*.db-shm' --exclude='*.db-journal' . | tar -C "$tmp/base" -xf -
if ! make -C "$tmp/base" -j"$jobs" >"$tmp/base.log" 2>&1; then
	tail -n 20 "$tmp/base.log"
	echo "mutate: the unchanged tree does not build"
	exit 1
fi
# runtests DIR [--first] SPEC...: the test files against DIR's binaries; prints the failing tests' names.
# A SPEC is FILE.bats, or FILE.bats@REGEX to run only its tests whose names match REGEX (bats --filter; no
# spaces: write . for one). --first stops at the first failing test (one kills a mutant; the rest need not run).
runtests() {
	local dir=$1 out=$tmp/tap first=0 pid status=0 spec s filter
	shift
	[ "$1" = --first ] && first=1 && shift
	: >"$out"
	for spec in "$@"; do
		s=0 filter=()
		[[ $spec == *@* ]] && filter=(--filter "${spec#*@}")
		(cd "$dir" && TAXID_BIN="$dir/bin" exec setsid bats --tap "${filter[@]}" "tests/${spec%%@*}") >>"$out" 2>&1 &
		pid=$!
		while kill -0 "$pid" 2>/dev/null; do
			if [ "$first" = 1 ] && grep -q '^not ok ' "$out"; then
				kill -TERM -- "-$pid" 2>/dev/null
				break
			fi
			sleep 1
		done
		wait "$pid" || s=$?
		[ "$s" -eq 0 ] || status=$s
		[ "$status" -eq 0 ] || [ "$first" = 0 ] || break
	done
	grep '^not ok ' "$out" | sed 's/^not ok [0-9]* //' | head -n 3
	if [ "$status" -ne 0 ] && ! grep -q '^not ok ' "$out"; then
		echo "(bats failed: $(tail -n 1 "$out"))"
	fi
	return "$status"
}
if [ "${MUTATE_BASELINE:-1}" = 1 ]; then
	# shellcheck disable=SC2086 # the test files are a space-separated list
	mapfile -t union < <(for i in "${sel[@]}"; do printf "%s\n" ${tests[$i]}; done | sort -u)
	if ! why=$(runtests "$tmp/base" "${union[@]}"); then
		echo "mutate: the named test files fail on the unchanged tree: $why"
		exit 1
	fi
	echo "mutate: baseline: ${union[*]} pass on the unchanged tree ($(($(date +%s) - t0)) s)"
fi

killed=0 survived=0 broken=0
for i in "${sel[@]}"; do
	id=${ids[$i]} f=${files[$i]}
	m0=$(date +%s)
	rm -rf "$tmp/m"
	cp -a "$tmp/base" "$tmp/m"
	apply "$tmp/m/$f" "${origs[$i]}" "${repls[$i]}"
	if [ "$(count "$tmp/m/$f" "${repls[$i]}")" -lt 1 ]; then
		printf 'NOT APPLIED  %-24s %s\n' "$id" "$f"
		broken=$((broken + 1))
		continue
	fi
	if ! make -C "$tmp/m" -j"$jobs" >"$tmp/m.log" 2>&1; then
		printf 'BUILD FAILED %-24s %s\n' "$id" "$(grep -m1 'error' "$tmp/m.log")"
		broken=$((broken + 1))
		continue
	fi
	# shellcheck disable=SC2086 # the test files are a space-separated list
	if why=$(runtests "$tmp/m" --first ${tests[$i]}); then
		printf 'survived     %-24s %4ss  %s: %s -> %s  (%s)\n' "$id" $(($(date +%s) - m0)) "$f" "${origs[$i]}" "${repls[$i]}" "${tests[$i]}"
		survived=$((survived + 1))
	else
		printf 'killed       %-24s %4ss  by: %s\n' "$id" $(($(date +%s) - m0)) "$(head -n 1 <<<"$why")"
		killed=$((killed + 1))
	fi
done
echo "mutate: $(($(date +%s) - t0)) s in all"
[ "$broken" -eq 0 ] || echo "$broken mutants not applied or not built"
echo "$killed killed, $survived survived"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]
