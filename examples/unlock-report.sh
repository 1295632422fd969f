#!/bin/bash
# unlock-report.sh: the nightly report of account locks for the hall supervisors: who is locked now, and every
# lock and unlock of the last day with who unlocked and why. Meant for cron:
#   30 6 * * *  TAXID_DB=/srv/taxid/taxid.db unlock-report.sh >/srv/reports/locks-$(date +\%F).txt
#
# usage: unlock-report.sh [HOURS]            HOURS: how far back the history goes (default 24)
# Environment:
#   TAXID_DB        the database (default ./taxid.db); TAXID_NOW pins the clock
#   REPORT_STATE    a file of the accounts seen locked by earlier runs (default ./unlock-report.accounts), so
#                   that an account unlocked since the last run still shows in the report; pruned of accounts
#                   with no lock or unlock within HOURS
#   REPORT_FORMAT   text (default) or json: one JSON object with the same content
set -euo pipefail

hours=${1:-24}
case $hours in '' | *[!0-9]*) echo "usage: unlock-report.sh [HOURS]" >&2; exit 64 ;; esac
state=${REPORT_STATE:-./unlock-report.accounts}
now=$(date -u -d "${TAXID_NOW:-now}" +%Y-%m-%dT%H:%M:%SZ)
since=$(date -u -d "$now - $hours hours" +%Y-%m-%dT%H:%M:%SZ)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Who is locked now, one line each; with the accounts of earlier runs, whose history to read.
taxid-lockout list >"$work/locked.ndjson"
{
	jq -r 'select(.ok) | .login_name // empty' "$work/locked.ndjson"
	if [ -r "$state" ]; then cat "$state"; fi
} | sort -u >"$work/accounts"
: >"$work/events.ndjson"
: >"$work/keep"
while IFS= read -r account; do
	[ -n "$account" ] || continue
	taxid-lockout history account="$account" |
		jq -c --arg a "$account" --arg since "$since" \
			'select(.ok and .at >= $since and (.event == "lock" or .event == "unlock")) + {account: $a}' \
			>"$work/one.ndjson" || true
	cat "$work/one.ndjson" >>"$work/events.ndjson"
	# keep watching an account while it is locked or had a lock or unlock in the period
	if [ -s "$work/one.ndjson" ] ||
		[ -n "$(jq -r --arg a "$account" 'select(.login_name == $a) | .login_name' "$work/locked.ndjson")" ]; then
		echo "$account" >>"$work/keep"
	fi
done <"$work/accounts"
cp "$work/keep" "$state.tmp" && mv "$state.tmp" "$state"

report=$(jq -n --arg now "$now" --arg since "$since" \
	--slurpfile locked "$work/locked.ndjson" --slurpfile events "$work/events.ndjson" '
	{at: $now, since: $since,
	 locked_now: [$locked[] | select(.ok) | {login_name, scope, failures, locked_at, locked_until, last_source}],
	 locks: [$events[] | select(.event == "lock") | {account, at, scope: .detail.scope}],
	 unlocks: [$events[] | select(.event == "unlock") | {account, at, by: .actor, reason: .detail.reason}]}')

if [ "${REPORT_FORMAT:-text}" = json ]; then
	jq -c . <<<"$report"
	exit 0
fi
jq -r '
	"taxid lock report \(.at) (since \(.since))",
	"",
	"locked now: \(.locked_now | length)",
	(.locked_now[] | "  \(.login_name // "?")\t\(.scope)\tlocked \(.locked_at) until \(.locked_until // "an operator unlocks")\t\(.failures) failures"),
	"",
	"locks in the period: \(.locks | length)",
	(.locks[] | "  \(.at)\t\(.account)\t\(.scope)"),
	"",
	"unlocks in the period: \(.unlocks | length)",
	(.unlocks[] | "  \(.at)\t\(.account)\tby \(.by // "expiry")\t\(.reason // "")")' <<<"$report"
