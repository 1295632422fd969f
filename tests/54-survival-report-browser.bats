#!/usr/bin/env bats
# taxid-survival report --format html in a real browser (issue 18 item 7): headless Chromium renders the page to a
# PNG; tests/report-png-check finds the chart in the picture and measures every bar against the JSON report's
# figures; Chromium's log must hold no console message. Needs chromium and python3-pil (make test-deps).
load helper

# Debian's python3 with python3-pil (pyenv's python3 on PATH lacks it, as in 21-stdnum)
PY=/usr/bin/python3
SPECIALIST='operator:={"id":"sp-07","role":"specialist"}'

# render PAGE PNG LOG: PAGE as headless Chromium draws it at device scale 1, into PNG; what Chromium logged into LOG.
render() {
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
		--window-size=1200,1600 --user-data-dir="$BATS_TEST_TMPDIR/chromium" --enable-logging=stderr --v=0 \
		--screenshot="$PWD/$2" "file://$PWD/$1" >"$3" 2>&1
	[ -s "$2" ]
}

# retirees N REGION LAST_CERTIFIED: N retirees of REGION as NDJSON, with valid resident ID numbers born 1950.
retirees() {
	"$PY" - "$@" <<'EOF'
import json, sys
n, region, last = int(sys.argv[1]), sys.argv[2], sys.argv[3]
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
for i in range(n):
    body = "%s19500101%03d" % (region, i + 1)
    doc = body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]
    print(json.dumps({"kind": "retiree", "doc_type": "201", "doc_no": doc, "name": "退休%d" % i,
                      "pension_account": "62220202%08d" % i, "region": region, "insurance_type": "enterprise",
                      "benefit_start": "2010-01", "last_certified": last}, ensure_ascii=False))
EOF
}

@test "the HTML report in headless Chromium: a bar of the figure's height for every figure, at least 2 pixels for 1 beside 250, none for 0; no console message" {
	command -v chromium >/dev/null || fail "chromium is not installed (make test-deps)"
	"$PY" -c 'import PIL' || fail "python3-pil is not installed (make test-deps)"
	# one pensioner suspended in October and resumed in November; 250 more due in November
	retirees 1 110105 2025-10-15 >one.ndjson
	retirees 250 310101 2025-11-30 >many.ndjson
	taxid-survival enroll - "$SPECIALIST" <one.ndjson >/dev/null
	taxid-survival enroll - "$SPECIALIST" <many.ndjson >/dev/null
	taxid-survival run --as-of 2026-11-01 >/dev/null
	a=$(jq -r .doc_no one.ndjson)
	taxid-survival certify doc_type=201 "doc_no=$a" name=退休0 method=offline_device at=2026-11-20 \
		'operator:={"id":"op-test","role":"specialist"}' >/dev/null
	taxid-survival report --as-of 2026-11-25 --months 3 >report.json
	# the figures, by hand: October 1 due, 1 overdue, 1 suspended; November 1 certified, 250 due, 1 resumed
	[ "$(jq -c '.total.months | map([.month, .certified, .due, .overdue, .suspended, .resumed])' report.json)" = \
		'[["2026-09",0,0,0,0,0],["2026-10",0,1,1,1,0],["2026-11",1,250,0,0,1]]' ]
	taxid-survival report --as-of 2026-11-25 --months 3 --format html >report.html
	render report.html report.png chromium.log
	run "$PY" "$BATS_TEST_DIRNAME/report-png-check" report.json report.html report.png
	assert_success
	# 15 bars, 6 non-zero figures: 250 is the full 200 pixels, each 1 is 200/250 = 0 pixels raised to 2
	assert_output 'chart ok: 15 bars, 6 drawn'
	run grep -F 'CONSOLE' chromium.log
	refute_output

	# The checks can fail. A page that loses the October overdue bar is caught, naming it:
	sed 's|height="2" fill="#c62828"><title>2026-10 overdue: 1<|height="0" fill="#c62828"><title>2026-10 overdue: 1<|' \
		report.html >lost.html
	! cmp -s report.html lost.html || false
	render lost.html lost.png lost.log
	run "$PY" "$BATS_TEST_DIRNAME/report-png-check" report.json lost.html lost.png
	assert_failure 1
	assert_output 'bar 2026-10 overdue = 1: 0 pixels drawn, want 2'
	# a page whose bars are drawn at another scale (the 250 bar at half height) is caught:
	sed 's|y="36" width="8" height="200" fill="#1565c0">|y="136" width="8" height="100" fill="#1565c0">|' \
		report.html >half.html
	! cmp -s report.html half.html || false
	render half.html half.png half.log
	run "$PY" "$BATS_TEST_DIRNAME/report-png-check" report.json half.html half.png
	assert_failure 1
	assert_output 'bar 2026-11 due = 250: 100 pixels drawn, want 200'
	# and a script error in the page reaches the log this test reads
	sed 's|</body>|<script>console.error("from-the-page"); notDefined();</script></body>|' report.html >noisy.html
	render noisy.html noisy.png noisy.log
	run grep -F 'CONSOLE' noisy.log
	assert_output --partial 'from-the-page'
	assert_output --partial 'notDefined is not defined'
}
