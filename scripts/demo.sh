#!/bin/bash
# The main job, end to end, on a local database ./demo.db: register people (hall code and face), log in with a
# second factor, lock an account with wrong passwords and unlock it, enrol pensioners, certify them by
# different methods, run the survival batch, show who is suspended and resume one; add an enterprise, bind,
# authorise, enter with the authorisation and with the declaration password. Prints each step, the command and its JSON result.
#
# usage: scripts/demo.sh [DIR]      (DIR: where demo.db goes, default the current directory)
# Environment: TAXID_BIN (the tools, default bin/ of this tree), DEMO_NOW (the pinned clock, default
# 2026-11-25T08:00:00Z, so that every run prints the same).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${TAXID_BIN:-$here/bin}
[ -x "$bin/taxid-verify" ] || { echo "demo: no tools in $bin (run make first)" >&2; exit 69; }
for t in jq openssl; do
	command -v "$t" >/dev/null || { echo "demo: needs $t (make deps installs it)" >&2; exit 69; }
done
dir=${1:-.}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# The demo pins the clock, which only a database created for tests accepts (taxid-db(5)).
export PATH="$bin:$PATH" TAXID_DB="$dir/demo.db" TAXID_NOW=${DEMO_NOW:-2026-11-25T08:00:00Z} TAXID_TEST_DB=1 LC_ALL=C.UTF-8
unset TAXID_KEYFILE TAXID_TZ LANG LC_MESSAGES
rm -f "$TAXID_DB" "$TAXID_DB.key" "$TAXID_DB-wal" "$TAXID_DB-shm"
keys=$(mktemp -d)
trap 'rm -rf "$keys" "$dir/secrets"' EXIT
cd "$dir"
# Passwords go to the tools from files (KEY=@FILE), never as operands that ps(1) shows to every user.
mkdir -m 700 -p secrets
# secret NAME VALUE: write secrets/NAME (mode 0600) for a KEY=@secrets/NAME operand.
secret() { (umask 077 && printf '%s\n' "$2" >"secrets/$1"); }
secret zhang_san 'Secr3t!pass'
secret wang_wu 'Wang-wu-2026'
secret declpw Decl2026pw
secret declpw_wrong Wrong2026pw

n=0
step() {
	n=$((n + 1))
	printf '\n== %d. %s\n' "$n" "$*"
}
note() { printf '   %s\n' "$*"; }

# show CMD ARG...: print the command (long JSON arguments shortened) and run it, each result line compact.
# The status is the command's: 0 all succeeded, 1 some request was refused.
show() {
	local a line=
	for a in "$@"; do
		if [ "${#a}" -gt 48 ]; then a="${a%%=*}=…"; fi
		case $a in *[[:space:]\'\"\{\}\;\&\|\<\>\(\)\$\`*?!]*) a="'$a'" ;; esac
		line+=" $a"
	done
	printf '$%s\n' "$line"
	local status=0
	"$@" >"$keys/out" || status=$?
	jq -c . "$keys/out"
	return "$status"
}

# must FILTER: the last result shown satisfies the jq FILTER, or the demo stops.
must() {
	tail -n 1 "$keys/out" | jq -e "$1" >/dev/null || { echo "demo: unexpected result (wanted $1)" >&2; exit 70; }
}

# field FILTER: a field of the last result shown.
field() { tail -n 1 "$keys/out" | jq -r "$1"; }

# An outside service's signing key: keygen NAME; trust NAME KIND...
keygen() {
	openssl genpkey -algorithm ed25519 -out "$keys/$1.pem" 2>/dev/null
	openssl pkey -in "$keys/$1.pem" -pubout -out "$keys/$1.pub"
}
trust() {
	local name=$1
	shift
	jq -nc --arg i "$name" --rawfile p "$keys/$name.pub" '{issuer:$i, kinds:$ARGS.positional, public_key:$p, operator:"op-01"}' \
		--args "$@" | taxid-verify trust add
}

# verdict ISSUER KIND SUBJECT [RESULT [AT]]: a verdict signed by ISSUER, as the outside service sends it.
verdict() {
	local p=$keys/payload
	jq -nc --arg k "$2" --arg s "$3" --arg r "${4:-pass}" --arg at "${5:-$TAXID_NOW}" --arg n "demo-$RANDOM$RANDOM" \
		'{kind:$k, subject:$s, result:$r, score:0.97, liveness:true, issued_at:$at, nonce:$n}' | tr -d '\n' >"$p"
	jq -nc --arg i "$1" --arg p "$(base64 -w0 <"$p")" \
		--arg s "$(openssl pkeyutl -sign -rawin -inkey "$keys/$1.pem" -in "$p" | base64 -w0)" \
		'{issuer:$i, payload:$p, sig:$s}'
}

# sms_code PHONE: play the SMS gateway: drain the outbox and take the newest code sent to PHONE.
sms_code() {
	taxid-verify sms outbox | jq -r --arg p "$1" 'select(.to == $p) | .body' | grep -oE '[0-9]{6}' | tail -n 1
}

# at MINUTES: the pinned instant plus MINUTES.
at() { date -u -d "$TAXID_NOW + $1 minutes" +%Y-%m-%dT%H:%M:%SZ; }

ZS=11010519491231002X   # 张三, Beijing Chaoyang, born 1949
WW=310115195607080015   # 王五, Shanghai Pudong, born 1956
ZL=44010619500315002X   # 赵六, Guangzhou Tianhe, born 1950
QQ=110105194808080017   # 钱七, born 1948
SB=110105195201200013   # 孙八, born 1952

printf 'taxid demo on %s (clock pinned at %s)\n' "$TAXID_DB" "$TAXID_NOW"

step "Validate a resident ID number (no database needed)"
show taxid-verify doc_type=201 doc_no=11010519491231002x
must .valid

step "Trust the outside services that sign verdicts: face comparison, captcha, passive survival data"
keygen face-svc
keygen captcha-svc
keygen data-svc
show trust face-svc face
show trust captcha-svc captcha
show trust data-svc survival
note "(trust NAME KIND: taxid-verify trust add with {issuer, kinds, public_key, operator} made by openssl genpkey -algorithm ed25519)"

step "Hall registration: an operator issues a one-time code to 张三 at the tax hall"
show taxid-register code doc_type=201 doc_no=$ZS name=张三 operator=op-07 hall=hall-chaoyang
must .ok
code=$(field .code)
note "the code is printed once; the database keeps only a keyed hash of it"

step "张三 registers with the code and an SMS code (the gateway reads the outbox)"
show taxid-verify sms send phone=13800138000 purpose=register
ch=$(field .challenge)
k=$(sms_code 13800138000)
note "the gateway drained the outbox (taxid-verify sms outbox) and delivered the code $k to 138****8000"
show taxid-register register method=code code="$code" doc_type=201 doc_no=$ZS name=张三 login_name=zhang_san \
	password=@secrets/zhang_san phone=13800138000 "sms:={\"challenge\":\"$ch\",\"code\":\"$k\"}" 'consent:={"pip":"2024.1"}'
must .ok

step "王五 registers at home by face comparison (a signed face verdict) and an SMS code"
show taxid-verify sms send phone=13900139000 purpose=register
ch=$(field .challenge)
k=$(sms_code 13900139000)
show taxid-register register method=face "face:=$(verdict face-svc face $WW)" doc_type=201 doc_no=$WW name=王五 \
	login_name=wang_wu password=@secrets/wang_wu phone=13900139000 "sms:={\"challenge\":\"$ch\",\"code\":\"$k\"}" \
	'consent:={"pip":"2024.1","face":"2023.2"}'
must .ok
show taxid-register show login_name=wang_wu
must .ok

step "张三 logs in: password, then the SMS code as second factor, then the session is checked"
show taxid-login account=zhang_san password=@secrets/zhang_san
must .ok
tx=$(field .login_tx)
ch=$(field .sms.challenge)
k=$(sms_code 13800138000)
show taxid-login 2fa login_tx="$tx" "sms:={\"challenge\":\"$ch\",\"code\":\"$k\"}"
must .ok
token=$(field .session.token // .token // empty)
if [ -n "$token" ]; then
	show taxid-login session check token="$token" || true
fi

step "Someone tries passwords on wang_wu: after the first failure each attempt needs a captcha; five lock it"
secret guess guess-1
show taxid-login --now "$(at 1)" account=wang_wu password=@secrets/guess || true
for i in 2 3 4 5; do
	secret guess "guess-$i"
	show taxid-login --now "$(at "$i")" account=wang_wu password=@secrets/guess \
		"captcha:=$(verdict captcha-svc captcha wang_wu pass "$(at "$i")")" || true
done
must '.error.code == "locked"'
show taxid-lockout --now "$(at 6)" status account=wang_wu
show taxid-lockout --now "$(at 6)" list
must .ok

step "An operator unlocks wang_wu, and 王五 logs in again"
show taxid-lockout --now "$(at 7)" clear account=wang_wu reason="owner called the hotline" operator=op-07
must .ok
show taxid-lockout --now "$(at 7)" history account=wang_wu
show taxid-login --now "$(at 8)" account=wang_wu password=@secrets/wang_wu \
	"captcha:=$(verdict captcha-svc captcha wang_wu pass "$(at 8)")" || true
must .ok
tx=$(field .login_tx)
ch=$(field .sms.challenge)
k=$(sms_code 13900139000)
show taxid-login --now "$(at 8)" 2fa login_tx="$tx" "sms:={\"challenge\":\"$ch\",\"code\":\"$k\"}"
must .ok
wang_token=$(field .session.token)

step "Enrol four pensioners (last certified on different days; 张三 with a reference photo for face checks)"
{
	jq -nc --arg d $ZS '{kind:"retiree", doc_type:"201", doc_no:$d, name:"张三", pension_account:"P-001", region:"110105",
		insurance_type:"enterprise", benefit_start:"2009-12", last_certified:"2025-12-01", photo:"fetched:province-portal"}'
	jq -nc --arg d $ZL '{kind:"retiree", doc_type:"201", doc_no:$d, name:"赵六", pension_account:"P-002", region:"440106",
		insurance_type:"enterprise", benefit_start:"2005-04", last_certified:"2025-12-10"}'
	jq -nc --arg d $QQ '{kind:"retiree", doc_type:"201", doc_no:$d, name:"钱七", pension_account:"P-003", region:"110105",
		insurance_type:"institution", benefit_start:"2008-09", last_certified:"2025-12-15"}'
	jq -nc --arg d $SB '{kind:"retiree", doc_type:"201", doc_no:$d, name:"孙八", pension_account:"P-004", region:"110105",
		insurance_type:"enterprise", benefit_start:"2012-02", last_certified:"2025-06-10"}'
} >"$keys/pensioners.ndjson"
show taxid-survival enroll - 'operator:={"id":"op-12","role":"officer"}' <"$keys/pensioners.ndjson"

step "Certify three of them, each by another method"
show taxid-survival certify doc_type=201 doc_no=$ZS name=张三 method=face "evidence:=$(verdict face-svc face $ZS)"
must .ok
show taxid-survival certify doc_type=201 doc_no=$ZL name=赵六 method=offline_device 'operator:={"id":"op-12","role":"officer"}'
must .ok
show taxid-survival certify doc_type=201 doc_no=$QQ name=钱七 method=passive "evidence:=$(verdict data-svc survival $QQ)"
must .ok

step "The monthly survival batch for 2026-11-25: 孙八's window lapsed in June, so his pension is suspended from December, the first month not yet paid"
show taxid-survival run --as-of 2026-11-25
must '.state == "done"'

step "Who is suspended, overdue or due within 30 days"
show taxid-survival due --as-of 2026-11-25

step "孙八 certifies at the agency with his fingerprint: payment resumes next month; June to November had been paid when the run suspended him, so there is nothing to pay back (status shows his payment ledger)"
show taxid-survival certify doc_type=201 doc_no=$SB name=孙八 method=fingerprint 'operator:={"id":"op-12","role":"officer"}'
must '.ok and .payment_resumes'
show taxid-survival status doc_type=201 doc_no=$SB

step "An enterprise with 张三 as legal representative; he binds to it, authorises 王五 as its tax handler, who confirms"
tin=91310115MA27Y4U47J
show taxid-bind enterprise add tin=$tin name=上海示例科技有限公司 \
	"legal_rep:={\"doc_type\":\"201\",\"doc_no\":\"$ZS\",\"name\":\"张三\"}" operator=op-07
must .ok
show taxid-bind --now "$(at 9)" bind session="$token" tin=$tin role=legal_rep
must '.ok and .state == "active"'
show taxid-bind --now "$(at 9)" grant session="$token" tin=$tin role=tax_handler login_name=wang_wu
must .ok
relation=$(field .relation)
show taxid-bind --now "$(at 9)" confirm session="$wang_token" relation="$relation"
must .ok

step "王五 enters the enterprise to file returns: his authorisation lets him in without the declaration password"
show taxid-bind --now "$(at 10)" enter session="$wang_token" tin=$tin
must '.ok and .via == "authorisation"'

step "张三 sets the enterprise's declaration password (an SMS code to his bound phone confirms it)"
show taxid-bind --now "$(at 10)" declpw set session="$token" tin=$tin declaration_password=@secrets/declpw
must '.next == "sms"'
ch=$(field .sms.challenge)
k=$(sms_code 13800138000)
show taxid-bind --now "$(at 10)" declpw set session="$token" tin=$tin declaration_password=@secrets/declpw \
	"sms:={\"challenge\":\"$ch\",\"code\":\"$k\"}"
must .ok

step "张三 revokes 王五's authorisation; 王五 now needs the declaration password (a wrong one is counted)"
show taxid-bind --now "$(at 11)" revoke session="$token" relation="$relation"
must .ok
show taxid-bind --now "$(at 11)" enter session="$wang_token" tin=$tin declaration_password=@secrets/declpw_wrong || true
must '.error.code == "declaration_password_wrong"'
show taxid-bind --now "$(at 11)" enter session="$wang_token" tin=$tin declaration_password=@secrets/declpw \
	"captcha:=$(verdict captcha-svc captcha $tin pass "$(at 11)")"
must '.ok and .via == "declaration_password"'
show taxid-bind --now "$(at 11)" list tin=$tin operator=op-07

step "The audit chain is intact"
show taxid-verify audit
must '.chain == "intact"'

printf '\ndemo: done; the database is %s (try: TAXID_DB=%s taxid-survival due)\n' "$TAXID_DB" "$TAXID_DB"
