#!/usr/bin/env bash
# Print N NDJSON identity requests for taxid-verify (default action "identity"), reproducibly.
#   bench/gen-identity.sh N [SEED]        (SEED default 1; same N and SEED, same bytes with the same awk)
# Mix: 70% valid 18-digit resident IDs (real county codes of data/gb2260-history.tsv, birth 1930-2008, correct
# MOD 11-2 check character), 10% valid 15-digit resident IDs, 10% 18-digit IDs with a wrong check character,
# 5% other document types (passports, permits, residence permits, foreign PR cards), 5% junk. The junk is
# well-formed JSON that is a bad request (missing or mistyped members, unknown types, arrays, strings, bad
# lengths), so `jq .` reads the whole file too. One awk process does it all.
set -euo pipefail

usage() {
	echo "usage: bench/gen-identity.sh N [SEED]" >&2
	exit 64
}
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
n=$1
seed=${2:-1}
case $n in '' | *[!0-9]*) usage ;; esac
case $seed in '' | *[!0-9]*) usage ;; esac

here=$(cd "$(dirname "$0")" && pwd)
regions=$here/../data/gb2260-history.tsv
[ -r "$regions" ] || { echo "gen-identity: cannot read $regions" >&2; exit 66; }

# shellcheck disable=SC2016 # an awk program, not shell
exec awk -v n="$n" -v seed="$seed" -F '\t' '
function mainland(p) {
	return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) || (p >= 41 && p <= 46) ||
	       (p >= 50 && p <= 54) || (p >= 61 && p <= 65)
}
function ri(lo, hi) { return lo + int(rand() * (hi - lo + 1)) }
function pad(v, w) { return sprintf("%0" w "d", v) }
function mdays(y, m) {
	if (m == 2)
		return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : 28
	return (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31
}
function birth(lo, hi,    y, m) {
	y = ri(lo, hi)
	m = ri(1, 12)
	return pad(y, 4) pad(m, 2) pad(ri(1, mdays(y, m)), 2)
}
function check(body,    s, i) {
	s = 0
	for (i = 1; i <= 17; i++)
		s += substr(body, i, 1) * w[i]
	return substr("10X98765432", s % 11 + 1, 1)
}
function ric18(    b) {
	b = code[ri(1, ncode)] birth(1930, 2008) pad(ri(0, 999), 3)
	return b check(b)
}
function name() { return sur[ri(1, nsur)] giv[ri(1, ngiv)] (rand() < 0.5 ? giv[ri(1, ngiv)] : "") }
function req(type, no, extra) {
	return "{\"doc_type\":\"" type "\",\"doc_no\":\"" no "\",\"name\":\"" name() "\"" extra ",\"ref\":" ref "}"
}
function other(    k, b) {
	k = ri(1, 8)
	if (k == 1) return req("227", (rand() < 0.5 ? "E" : "G") pad(ri(0, 99999999), 8), "")
	if (k == 2) return req("cn_passport", "E" substr("ABCDEFGHJKLMNPQRSTUVWXYZ", ri(1, 24), 1) pad(ri(0, 9999999), 7), "")
	if (k == 3) return req("210", (rand() < 0.5 ? "H" : "M") pad(ri(0, 99999999), 8), "")
	if (k == 4) return req("213", pad(ri(0, 99999999), 8), "")
	if (k == 5) return req("208", "P" pad(ri(0, 99999999), 8), ",\"nationality\":\"USA\"")
	if (k == 6) return req("233", a3[ri(1, na3)] pad(ri(0, 999999), 6) pad(ri(0, 999999), 6), "")
	if (k == 7) { b = "810000" birth(1950, 2008) pad(ri(0, 999), 3); return req("237", b check(b), "") }
	b = "830000" birth(1950, 2008) pad(ri(0, 999), 3)
	return req("tw_residence", b check(b), "")
}
function junk(    k) {
	k = ri(1, 8)
	if (k == 1) return "{\"doc_type\":\"201\",\"ref\":" ref "}"
	if (k == 2) return "{\"doc_type\":\"999\",\"doc_no\":\"" ric18() "\",\"ref\":" ref "}"
	if (k == 3) return "{\"doc_type\":\"201\",\"doc_no\":" ri(0, 999999999) ",\"ref\":" ref "}"
	if (k == 4) return "[\"201\",\"" ric18() "\"]"
	if (k == 5) return "{\"doc_type\":\"201\",\"doc_no\":\"" substr(ric18(), 1, ri(1, 17)) "\",\"ref\":" ref "}"
	if (k == 6) return "\"" ric18() "\""
	if (k == 7) return "{\"doc_type\":\"201\",\"doc_no\":\"" ric18() "\",\"nationality\":\"XXX\",\"ref\":" ref "}"
	return "{}"
}
BEGIN {
	split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
	nsur = split("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林 高 罗", sur, " ")
	ngiv = split("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀 霞 平 刚 桂 英 华 玉", giv, " ")
	na3 = split("USA GBR JPN KOR DEU FRA CAN AUS RUS SGP", a3, " ")
}
/^#/ { next }
$1 ~ /^[0-9][0-9][0-9][0-9][0-9][0-9]$/ && $1 !~ /00$/ && mainland(substr($1, 1, 2) + 0) { code[++ncode] = $1 }
END {
	if (ncode == 0) {
		print "gen-identity: no county codes in the region table" > "/dev/stderr"
		exit 1
	}
	srand(seed)
	for (ref = 1; ref <= n; ref++) {
		r = rand()
		if (r < 0.70) {
			t = rand()
			print req(t < 0.8 ? "201" : "resident_id", ric18(), "")
		} else if (r < 0.80) {
			b = code[ri(1, ncode)] substr(birth(1930, 1999), 3) pad(ri(0, 999), 3)
			print req("201", b, "")
		} else if (r < 0.90) {
			b = ric18()
			c = substr(b, 18, 1)
			d = substr("0123456789X", (index("0123456789X", c) + ri(0, 9)) % 11 + 1, 1)
			print req("201", substr(b, 1, 17) d, "")
		} else if (r < 0.95) {
			print other()
		} else {
			print junk()
		}
	}
}' "$regions"
