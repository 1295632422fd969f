#!/bin/bash
# survival-annual.sh: the survival run for a day, with its exception list (who is suspended, overdue or in
# grace) mailed as CSV to the agency. Meant for cron, e.g. on the 25th of each month:
#   0 2 25 * *  TAXID_DB=/srv/taxid/taxid.db SURVIVAL_MAIL_TO=pension-desk@example.org survival-annual.sh
#
# usage: survival-annual.sh [AS_OF]          AS_OF: YYYY-MM-DD, default today (or the day of $TAXID_NOW)
# Environment:
#   TAXID_DB           the database (default ./taxid.db)
#   SURVIVAL_MAIL_TO   the recipient; the CSV is mailed with mail(1) when this is set and mail is installed
#   SURVIVAL_OUTBOX    where the CSV (and the mail, when it cannot be sent) is kept; default ./outbox
#   SURVIVAL_REGION    only this 6-digit region (default all)
#   SURVIVAL_REVEAL    1: unmasked document numbers and names in the CSV (each reveal is audited under
#                      $TAXID_OPERATOR, which must then name the operator who asked for it)
# Prints one JSON summary line. Exit status: 0 done, 1 the run refused something, else the tools' status.
set -euo pipefail

as_of=${1:-$(TZ=Asia/Shanghai date -d "${TAXID_NOW:-now}" +%F)}
outbox=${SURVIVAL_OUTBOX:-./outbox}
region=${SURVIVAL_REGION:-}
reveal=()
if [ "${SURVIVAL_REVEAL:-0}" = 1 ]; then
	[ -n "${TAXID_OPERATOR:-}" ] || { echo "survival-annual: SURVIVAL_REVEAL=1 needs TAXID_OPERATOR (who reveals)" >&2; exit 64; }
	reveal=(--reveal)
fi
filter=()
if [ -n "$region" ]; then filter=(--region "$region"); fi
mkdir -p "$outbox"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The run: terminations at 18, suspensions after a lapse, reminders; restartable, so a rerun is harmless.
status=0
taxid-survival run --as-of "$as_of" >"$work/run.ndjson" || status=$?
if [ "$status" -gt 1 ]; then
	echo "survival-annual: taxid-survival run failed with status $status" >&2
	exit "$status"
fi

# 2. The exception list: everyone not simply due (suspended, overdue, in grace), as CSV.
taxid-survival due "${reveal[@]}" --as-of "$as_of" --within 0 "${filter[@]}" >"$work/due.ndjson"
csv=$outbox/survival-exceptions-$as_of${region:+-$region}.csv
{
	echo '"status","region","doc_type","doc_no","name","valid_until","lapses_on","days_left","suspended_from","reason"'
	jq -r 'select(.ok and .status != "due")
		| [.status, .region, .doc_type, .doc_no, .name, .valid_until, .lapses_on, .days_left,
		   (.suspended.from // ""), (.suspended.reason // "")] | @csv' "$work/due.ndjson"
} >"$csv.tmp"
mv "$csv.tmp" "$csv"
exceptions=$(($(wc -l <"$csv") - 1))
summary=$(jq -c 'select(.run)' "$work/run.ndjson" | tail -n 1)
[ -n "$summary" ] || summary='{}'

# 3. Mail it, or keep it in the outbox for whoever collects it.
subject="taxid survival run $as_of: $exceptions exceptions"
mailed=null
if [ -n "${SURVIVAL_MAIL_TO:-}" ] && command -v mail >/dev/null 2>&1; then
	{
		printf '%s\n\nrun: %s\n\n' "$subject" "$summary"
		cat "$csv"
	} | mail -s "$subject" "$SURVIVAL_MAIL_TO"
	mailed=$(jq -n --arg to "$SURVIVAL_MAIL_TO" '$to')
elif [ -n "${SURVIVAL_MAIL_TO:-}" ]; then
	# no mail(1) here: leave a ready-to-send message beside the CSV
	{
		printf 'To: %s\nSubject: %s\nContent-Type: text/csv; charset=UTF-8\n\n' "$SURVIVAL_MAIL_TO" "$subject"
		cat "$csv"
	} >"$outbox/survival-exceptions-$as_of.eml"
fi

jq -nc --arg as_of "$as_of" --arg csv "$csv" --argjson n "$exceptions" --argjson run "$summary" \
	--argjson mailed "$mailed" \
	'{as_of: $as_of, run: ($run | del(.ok)), exceptions: $n, csv: $csv, mailed_to: $mailed}'
exit "$status"
