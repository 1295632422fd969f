# Shared by the taxid-bind tests (load helper first): two enterprises, their role holders, and people with
# accounts and sessions.

E1=91310115MA27Y4U47J # 上海测试有限公司: legal representative 王法人, finance manager 李财务
E2=91310115MA1B2C3D8U # 第二测试有限公司: legal representative 王法人, no finance manager
PW='Secr3t!pass'

REP='{"doc_type":"201","doc_no":"110105198001010016","name":"王法人"}'
FIN='{"doc_type":"201","doc_no":"110105198502020028","name":"李财务"}'

# people: import face-verified persons (level 4) with accounts: LOGIN DOC NAME PHONE, one per line.
people() {
	local hash login doc name phone
	hash=$(phc "$PW")
	while read -r login doc name phone; do
		jq -nc --arg l "$login" --arg d "$doc" --arg n "$name" --arg p "$phone" --arg h "$hash" \
			'{doc_type:"201", doc_no:$d, name:$n, login_name:$l, phone:$p, password_hash:$h, face_verified:true}'
	done | taxid-register import >/dev/null
}

# sess LOGIN PHONE: a login session token (password + SMS), at $TAXID_NOW.
sess() { login_sms "$1" "$PW" "$2" | jq -r .session.token; }

# bind_fixture: four people with accounts (wang_rep, li_fin, zhao_tax, qian_other; phones 13800138001-4) and the
# two enterprises, E1 with 王法人 and 李财务, E2 with 王法人 only.
bind_fixture() {
	people <<'PEOPLE'
wang_rep 110105198001010016 王法人 13800138001
li_fin 110105198502020028 李财务 13800138002
zhao_tax 110105199003030031 赵办税 13800138003
qian_other 110105197504040044 钱其他 13800138004
PEOPLE
	taxid-bind enterprise add tin=$E1 name=上海测试有限公司 legal_rep:="$REP" finance_manager:="$FIN" operator=op1 >/dev/null
	taxid-bind enterprise add tin=$E2 name=第二测试有限公司 legal_rep:="$REP" operator=op1 >/dev/null
}

# face_sess LOGIN DOC: a login session whose second factor was face (password + a face verdict for DOC), at
# $TAXID_NOW; needs an issuer "face" trusted for face verdicts (keygen face; trust face face).
face_sess() {
	local out
	out=$(taxid-login account="$1" password="$PW" second_factor=face) || { echo "$out" >&2; return 1; }
	jq -nc --arg t "$(jq -r .login_tx <<<"$out")" --argjson f "$(verdict face face "$2")" '{login_tx:$t, face:$f}' |
		taxid-login 2fa | jq -r .session.token
}

# declpw ACTION SESSION TIN PASSWORD PHONE: both steps of 'declpw set|reset' (the code goes to PHONE); prints
# the second step's result.
declpw() {
	local out ch code
	out=$(taxid-bind declpw "$1" session="$2" tin="$3" declaration_password="$4") || { echo "$out"; return 1; }
	ch=$(jq -r .sms.challenge <<<"$out")
	code=$(sms_code "$5")
	taxid-bind declpw "$1" session="$2" tin="$3" declaration_password="$4" \
		sms:="$(jq -nc --arg c "$ch" --arg k "$code" '{challenge:$c, code:$k}')"
}
