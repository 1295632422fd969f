#!/usr/bin/env bats
# Issue 14 item 7 (DOMAIN §8, tax-agent staff 涉税服务人员): a client enterprise's legal representative or
# administrator grants a tax agency an agency agreement (agency_filing); both sides list it, either side revokes
# it; a person whose relation with the agency holds agency_filing enters the client through it ("via": "agency"),
# only while it is current, and the sessions so entered end with it. Attacks: entering without an agreement,
# after a revoke, or with the client's declaration password; the agency granting for the client; the staff
# granting further; a client's staff who is not its legal representative or administrator granting.
load helper

load bind-helper

# the agency: 孙代理 is its legal representative; 周员工 its staff (agency_filing), 吴办税 a tax handler without it
SUN_DOC=$(ric 11010519700505005) ZHOU_DOC=$(ric 11010519880606006) WU_DOC=$(ric 11010519890707007)

local_setup() {
	bind_fixture
	people <<PEOPLE
sun_boss $SUN_DOC 孙代理 13800138005
zhou_staff $ZHOU_DOC 周员工 13800138006
wu_tax $WU_DOC 吴办税 13800138007
PEOPLE
	read -r AG AG2 < <(uscc 2 7 | paste -sd' ')
	taxid-bind enterprise add tin="$AG" name=诚信税务师事务所 operator=op1 \
		legal_rep:="$(jq -nc --arg d "$SUN_DOC" '{doc_type:"201", doc_no:$d, name:"孙代理"}')" >/dev/null
	taxid-bind enterprise add tin="$AG2" name=另一事务所 operator=op1 \
		legal_rep:="$(jq -nc --arg d "$SUN_DOC" '{doc_type:"201", doc_no:$d, name:"孙代理"}')" >/dev/null
	R=$(sess wang_rep 13800138001)
	B=$(sess sun_boss 13800138005)
	S=$(sess zhou_staff 13800138006)
	staff "$S" zhou_staff '["agency_filing"]'
}

# staff SESSION LOGIN PERMISSIONS: the agency's legal representative grants LOGIN a tax-handler relation with
# PERMISSIONS at the agency, and LOGIN confirms it.
staff() {
	local rel
	rel=$(taxid-bind grant session="$B" tin="$AG" role=tax_handler login_name="$2" permissions:="$3" | jq -r .relation)
	taxid-bind confirm session="$1" relation="$rel" | jq -e '.state == "active"' >/dev/null
}

# agree: wang_rep lets the agency act for E1; prints the agreement id.
agree() { taxid-bind agency grant session="$R" tin=$E1 agency="$AG" | jq -r .agreement; }

# alive TOKEN: "yes" when the session still works (it confirms a QR login), else the refusal's code.
alive() {
	local out
	out=$(taxid-login qr confirm session="$1" qr="$(taxid-login qr issue | jq -r .qr)")
	if jq -e .confirmed <<<"$out" >/dev/null; then echo yes; else jq -r .error.code <<<"$out"; fi
}

@test "the client grants, both sides list it, the agency's staff enter the client through it, audited" {
	run taxid-bind agency grant session="$R" tin=$E1 agency="$AG" valid_until=2027-11-24
	assert_success
	g=$(jfield .agreement)
	[ "$(jfield '.state + " " + .agency + " " + (.permissions | join(",")) + " " + .valid_until')" = "active $AG agency_filing 2027-11-24" ]
	# listed on the client's side and on the agency's
	run taxid-bind agency list session="$R" tin=$E1
	assert_success
	[ "$(jfield '.side + " " + (.agreement | tostring) + " " + .tin + " " + .agency_name + " " + .history[0].event + " " + .history[0].by')" = \
		"client $g $E1 诚信税务师事务所 granted wang_rep" ]
	run taxid-bind agency list session="$S" tin="$AG"
	assert_success
	[ "$(jfield '.side + " " + .enterprise + " " + .state')" = "agency 上海测试有限公司 active" ]
	# an outsider of both sees neither
	run taxid-bind agency list session="$(sess qian_other 13800138004)" tin=$E1
	[ "$(jfield .error.code)" = not_authorized ]
	# the staff enter the client, in a scope that names the agency
	run taxid-bind enter session="$S" tin=$E1 agency="$AG"
	assert_success
	[ "$(jfield '.via + " " + .agency + " " + (.agreement | tostring) + " " + (.permissions | join(","))')" = "agency $AG $g agency_filing" ]
	[ "$(jfield .session.scope)" = "enterprise:$E1/agency:$AG" ]
	[ "$(jfield .role)" = null ]
	[ "$(alive "$(jfield .session.token)")" = yes ]
	run dbq "SELECT action || ' ' || actor FROM audit WHERE action IN ('agency_grant', 'enter') ORDER BY id"
	assert_output "agency_grant account:1
enter account:6"
	[ "$(dbq "SELECT json_extract(detail, '\$.via') || json_extract(detail, '\$.agreement') FROM audit WHERE action = 'enter'")" = "agency$g" ]
}

@test "without an agreement the agency's staff cannot enter the client; nor can anyone but its agency_filing staff" {
	run taxid-bind enter session="$S" tin=$E1 agency="$AG"
	assert_failure 1
	[ "$(jfield .error.code)/$(jfield .error.field)/$(jfield .error.reason)" = not_authorized/agency/no_agreement ]
	agree >/dev/null
	# an agreement with another agency of the same staff's employer does not count: it names $AG only
	run taxid-bind enter session="$S" tin=$E2 agency="$AG"
	[ "$(jfield .error.reason)" = no_agreement ]
	# a tax handler of the agency without agency_filing, and a stranger, are not its staff
	W=$(sess wu_tax 13800138007)
	staff "$W" wu_tax '["declaration"]'
	run taxid-bind enter session="$W" tin=$E1 agency="$AG"
	[ "$(jfield .error.code)/$(jfield .error.reason)" = not_authorized/not_agency_staff ]
	run taxid-bind enter session="$(sess qian_other 13800138004)" tin=$E1 agency="$AG"
	[ "$(jfield .error.reason)" = not_agency_staff ]
	# an agreement that has not begun yet, or has ended, lets nobody in
	run taxid-bind agency grant session="$R" tin=$E2 agency="$AG" valid_from=2026-11-26
	[ "$(jfield .state)" = scheduled ]
	run taxid-bind enter session="$S" tin=$E2 agency="$AG"
	[ "$(jfield .error.reason)" = no_agreement ]
	run taxid-bind enter session="$S" tin=$E1 agency="$AG"
	assert_success
	run taxid-bind --now 2026-11-25T15:59:00Z enter session="$(TAXID_NOW=2026-11-25T15:50:00Z sess zhou_staff 13800138006)" tin=$E2 agency="$AG"
	[ "$(jfield .error.reason)" = no_agreement ] # 23:59 local, the day before valid_from
}

@test "after a revoke by the client, enter is refused and the sessions entered through it stop working" {
	g=$(agree)
	run taxid-bind enter session="$S" tin=$E1 agency="$AG"
	t1=$(jfield .session.token)
	# a QR login confirmed by that session derives one with the same scope
	qr=$(taxid-login qr issue | jq -r .qr)
	taxid-login qr confirm session="$t1" qr="$qr" | jq -e .confirmed >/dev/null
	t2=$(taxid-login qr poll qr="$qr" | jq -r .session.token)
	[ "$(alive "$t2")" = yes ]
	run taxid-bind agency revoke session="$R" agreement="$g"
	assert_success
	[ "$(jfield '.state + " " + .side + " " + (.sessions_revoked | tostring)')" = "revoked client 2" ]
	[ "$(alive "$t1")" = session_invalid ]
	[ "$(alive "$t2")" = session_invalid ]
	run taxid-bind enter session="$S" tin=$E1 agency="$AG"
	[ "$(jfield .error.reason)" = no_agreement ]
	# revoked once; history kept on both sides
	run taxid-bind agency revoke session="$R" agreement="$g"
	[ "$(jfield .error.code)/$(jfield .error.state)" = relation_state/revoked ]
	run taxid-bind agency list session="$B" tin="$AG"
	[ "$(jfield '.state + " " + ([.history[].event] | join(",")) + " " + .history[1].note')" = "revoked granted,revoked by the client" ]
	run dbq "DELETE FROM agency_event"
	assert_failure
	run dbq "DELETE FROM agency_agreement"
	assert_failure
	# the client may grant again: a new agreement, and the staff enter again
	run taxid-bind agency grant session="$R" tin=$E1 agency="$AG"
	[ "$(jfield .agreement)" != "$g" ]
	run taxid-bind enter session="$S" tin=$E1 agency="$AG"
	assert_success
}

@test "the agency revokes too; a session dies at once when the agency ends its staff's relation" {
	g=$(agree)
	t=$(taxid-bind enter session="$S" tin=$E1 agency="$AG" | jq -r .session.token)
	# a person of neither side's legal representative or administrator cannot revoke
	run taxid-bind agency revoke session="$S" agreement="$g"
	[ "$(jfield .error.code)" = not_authorized ]
	run taxid-bind agency revoke session="$B" agreement="$g"
	assert_success
	[ "$(jfield .side)" = agency ]
	[ "$(alive "$t")" = session_invalid ]
	# a new agreement; then the agency ends the staff's relation: the session stops on its next request
	agree >/dev/null
	t=$(taxid-bind enter session="$S" tin=$E1 agency="$AG" | jq -r .session.token)
	[ "$(alive "$t")" = yes ]
	rel=$(dbq "SELECT r.id FROM relation r JOIN account a ON a.person_id = r.person_id WHERE a.login_name = 'zhou_staff'")
	taxid-bind revoke session="$B" relation="$rel" | jq -e '.state == "revoked"' >/dev/null
	[ "$(alive "$t")" = session_invalid ]
	run taxid-bind enter session="$S" tin=$E1 agency="$AG"
	[ "$(jfield .error.reason)" = not_agency_staff ]
}

@test "the agency cannot make the client grant, the staff cannot grant further, nor a client's tax handler" {
	# the agency's legal representative, for the client
	run taxid-bind agency grant session="$B" tin=$E1 agency="$AG"
	assert_failure 1
	[ "$(jfield .error.code)" = not_authorized ]
	agree >/dev/null
	# the staff: neither from their own session nor from the one they entered the client with (no chaining)
	run taxid-bind agency grant session="$S" tin=$E1 agency="$AG2"
	[ "$(jfield .error.code)" = not_authorized ]
	t=$(taxid-bind enter session="$S" tin=$E1 agency="$AG" | jq -r .session.token)
	run taxid-bind agency grant session="$t" tin=$E1 agency="$AG2"
	[ "$(jfield .error.code)" = session_scoped ]
	# a tax handler and the finance manager of the client are not its legal representative or administrator
	Z=$(sess zhao_tax 13800138003)
	rel=$(taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax | jq -r .relation)
	taxid-bind confirm session="$Z" relation="$rel" >/dev/null
	run taxid-bind agency grant session="$Z" tin=$E1 agency="$AG2"
	[ "$(jfield .error.code)/$(jfield .error.your_role)" = not_authorized/tax_handler ]
	F=$(sess li_fin 13800138002)
	taxid-bind bind session="$F" tin=$E1 role=finance_manager | jq -e .ok >/dev/null
	run taxid-bind agency grant session="$F" tin=$E1 agency="$AG2"
	[ "$(jfield .error.your_role)" = finance_manager ]
	# an administrator may
	rel=$(taxid-bind grant session="$R" tin=$E1 role=administrator login_name=qian_other | jq -r .relation)
	Q=$(sess qian_other 13800138004)
	taxid-bind confirm session="$Q" relation="$rel" >/dev/null
	run taxid-bind agency grant session="$Q" tin=$E1 agency="$AG2"
	assert_success
	[ "$(dbq "SELECT count(*) FROM agency_agreement")" = 2 ]
}

@test "the agency's staff cannot use the client's declaration password nor change the client's relations" {
	declpw set "$R" $E1 Decl2026pw 13800138001 | jq -e .declaration_password_set >/dev/null
	agree >/dev/null
	run taxid-bind enter session="$S" tin=$E1 agency="$AG" declaration_password=Decl2026pw
	assert_failure 1
	[ "$(jfield .error.code)/$(jfield .error.field)/$(jfield .error.reason)" = bad_value/declaration_password/not_with_agency ]
	[ "$(dbq "SELECT count(*) FROM lock_counter WHERE scope LIKE 'declaration:%'")" = 0 ]
	run taxid-bind declpw reset session="$S" tin=$E1 declaration_password=Mine2026pw
	[ "$(jfield .error.code)" = not_authorized ]
	run taxid-bind grant session="$S" tin=$E1 role=tax_handler login_name=qian_other
	[ "$(jfield .error.code)" = not_authorized ]
	rep=$(dbq "SELECT min(id) FROM relation")
	rel=$(taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=qian_other | jq -r .relation)
	run taxid-bind revoke session="$S" relation="$rel"
	[ "$(jfield .error.code)" = not_authorized ]
	t=$(taxid-bind enter session="$S" tin=$E1 agency="$AG" | jq -r .session.token)
	for a in "grant tin=$E1 role=tax_handler login_name=qian_other" "revoke relation=$rel" "revoke relation=$rep" \
		"declpw reset tin=$E1 declaration_password=Mine2026pw" "agency revoke agreement=1"; do
		# shellcheck disable=SC2086
		run taxid-bind $a session="$t"
		[ "$(jfield .error.code)" = session_scoped ]
	done
	[ "$(dbq "SELECT state FROM relation WHERE id = $rel")" = pending ]
}

@test "agency grant refuses the client itself, an unknown or inactive agency, and a second open agreement" {
	run taxid-bind agency grant session="$R" tin=$E1 agency=$E1
	[ "$(jfield .error.code)/$(jfield .error.field)/$(jfield .error.reason)" = bad_value/agency/same_as_client ]
	run taxid-bind agency grant session="$R" tin=$E1 agency=91310115MA5E6F7G8T
	[ "$(jfield .error.code)/$(jfield .error.field)" = not_found/agency ]
	run taxid-bind agency grant session="$R" tin=$E1
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/agency ]
	taxid-bind enterprise update tin="$AG2" status=suspended operator=op1 >/dev/null
	run taxid-bind agency grant session="$R" tin=$E1 agency="$AG2"
	[ "$(jfield .error.code)/$(jfield .error.field)" = enterprise_inactive/agency ]
	g=$(agree)
	run taxid-bind agency grant session="$R" tin=$E1 agency="$AG"
	[ "$(jfield .error.code)/$(jfield .error.agreement)" = "relation_exists/$g" ]
	run taxid-bind agency grant session="$R" tin=$E2 agency="$AG" valid_until=2026-11-24
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/valid_until ]
	run taxid-bind agency revoke session="$R" agreement=999
	[ "$(jfield .error.code)/$(jfield .error.field)" = not_found/agreement ]
}
