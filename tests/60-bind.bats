#!/usr/bin/env bats
# taxid-bind: enterprises, binding by role, two-way authorisation, caps, expiry, revocation, unbinding, history
# (DOMAIN.md §5 and §8), through the real binary on a real database.
load helper

load bind-helper

local_setup() {
	bind_fixture
}

# rel_state TIN RELATION: the state list shows for a relation (operator view).
rel_state() { taxid-bind list tin="$1" operator=op1 | jq -r --argjson r "$2" 'select(.relation == $r) | .state'; }

@test "enterprise add refuses a taxpayer number with the validator's reason; accepts USCC and the legacy 15-character number, not the 20-character one" {
	run taxid-bind enterprise add tin=91310115MA27Y4U47K name=X legal_rep:="$REP" operator=op1
	assert_failure 1
	[ "$(jfield .error.code)" = bad_checksum ]
	[ "$(jfield .error.field)" = tin ]
	run taxid-bind enterprise add tin=91330106MA27Y4U46N name=X legal_rep:="$REP" operator=op1
	[ "$(jfield .error.code)" = bad_org_checksum ]
	run taxid-bind enterprise add tin=110105123456788 name=老企业 legal_rep:="$REP" operator=op1
	assert_success
	# the 20-character form embeds a resident ID number: refused, so that none is kept in clear
	run taxid-bind enterprise add tin=11010519491231002X01 name=个体户 legal_rep:="$REP" operator=op1
	assert_failure 1
	[ "$(jfield .error.code)/$(jfield .error.reason)/$(jfield .error.field)" = bad_value/embeds_personal_id/tin ]
	run taxid-bind enterprise add tin=$E1 name=again legal_rep:="$REP" operator=op1
	[ "$(jfield .error.code)" = enterprise_exists ]
	run taxid-bind enterprise add tin=91310115MA5E6F7G8T name=X legal_rep:='{"doc_type":"201","doc_no":"110105198001010016","name":"王发人"}' operator=op1
	[ "$(jfield .error.code)" = name_mismatch ]
	[ "$(jfield .error.field)" = legal_rep.name ]
	run taxid-bind enterprise add tin=91310115MA5E6F7G8T name=X legal_rep:='{"doc_type":"201","doc_no":"110105198001010017","name":"王法人"}' operator=op1
	[ "$(jfield .error.code)" = bad_checksum ]
	[ "$(jfield .error.field)" = legal_rep.doc_no ]
	run taxid-bind enterprise add tin=91310115MA5E6F7G8T name=X legal_rep:="$REP"
	[ "$(jfield .error.code)" = operator_required ]
	[ "$(jfield .error.field)" = operator ]
	[ "$(dbq "select count(*) from audit where action = 'enterprise_add' and actor = 'op1'")" = 3 ]
}

@test "enterprise show masks the role holders unless --reveal, which is audited" {
	run taxid-bind enterprise show tin=$E1
	assert_success
	[ "$(jfield .legal_rep.doc_no)" = '110105********0016' ]
	[ "$(jfield .legal_rep.name)" = '王*' ]
	[ "$(jfield .finance_manager.name)" = '李*' ]
	[ "$(jfield .relations.active)" = 1 ]
	[ "$(jfield .relations.pending)" = 1 ]
	[ "$(jfield .declaration_password_set)" = false ]
	run taxid-bind enterprise show tin=$E2
	[ "$(jfield .finance_manager)" = null ]
	run env TAXID_OPERATOR=op-test taxid-bind --reveal enterprise show tin=$E1
	[ "$(jfield .legal_rep.doc_no)" = 110105198001010016 ]
	[ "$(dbq "select count(*) from audit where action = 'reveal'")" = 1 ]
	! grep -q 110105198001010016 "$TAXID_DB"
}

@test "the legal representative is linked on add; the finance manager's link is pending until the person binds" {
	run taxid-bind list tin=$E1 operator=op1
	assert_success
	[ "$(jq -sr 'map(.role + ":" + .state) | join(",")' <<<"$output")" = "legal_rep:active,finance_manager:pending" ]
	F=$(sess li_fin 13800138002)
	run taxid-bind enter session="$F" tin=$E1
	[ "$(jfield .error.code)" = declaration_password_required ]
	run taxid-bind bind session="$F" tin=$E1 role=finance_manager
	assert_success
	[ "$(jfield .did)" = confirmed ]
	[ "$(rel_state $E1 2)" = active ]
	run taxid-bind enter session="$F" tin=$E1
	assert_success
	[ "$(jfield .via)" = authorisation ]
	[ "$(jfield .role)" = finance_manager ]
	taxid-bind list tin=$E1 operator=op1 | jq -e 'select(.relation == 2) | .history | map(.event) == ["linked_pending", "confirmed"]'
}

@test "bind succeeds only when the core record names the person in that role (role_mismatch)" {
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
	run taxid-bind bind session="$Z" tin=$E1 role=legal_rep
	assert_failure 1
	[ "$(jfield .error.code)" = role_mismatch ]
	run taxid-bind bind session="$R" tin=$E1 role=finance_manager
	[ "$(jfield .error.code)" = role_mismatch ]
	run taxid-bind bind session="$R" tin=$E2 role=finance_manager
	[ "$(jfield .error.code)" = role_mismatch ]
	run taxid-bind bind session="$R" tin=$E1 role=tax_handler
	[ "$(jfield .error.code)" = bad_value ]
	run taxid-bind bind session="$R" tin=$E1 role=legal_rep
	assert_success
	[ "$(jfield .did)" = already_bound ]
	run taxid-bind bind session=nope tin=$E1 role=legal_rep
	[ "$(jfield .error.code)" = session_invalid ]
	run taxid-bind bind session="$R" tin=91310115MA8H9J0K1P role=legal_rep
	[ "$(jfield .error.code)" = not_found ]
}

@test "a person registered after the enterprise was recorded binds as its legal representative" {
	taxid-bind enterprise add tin=91310115MA5E6F7G8T name=后注册公司 operator=op1 \
		legal_rep:='{"doc_type":"201","doc_no":"110105197005050053","name":"孙新人"}' >/dev/null
	run taxid-bind list tin=91310115MA5E6F7G8T operator=op1
	assert_output ''
	people <<<'sun_new 110105197005050053 孙新人 13800138005'
	S=$(sess sun_new 13800138005)
	run taxid-bind bind session="$S" tin=91310115MA5E6F7G8T role=legal_rep
	assert_success
	[ "$(jfield .did)" = bound ]
	taxid-bind list session="$S" | jq -e '.role == "legal_rep" and .state == "active" and .history[0].event == "bound" and .history[0].by == "sun_new"'
}

@test "grant -> confirm -> enter without the declaration password" {
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
	run taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax
	assert_success
	[ "$(jfield .state)" = pending ]
	[ "$(jfield '.permissions | join(",")')" = declaration,inquiry,payment ]
	rel=$(jfield .relation)
	run taxid-bind enter session="$Z" tin=$E1
	[ "$(jfield .error.code)" = declaration_password_required ]
	# the granter cannot confirm for the grantee
	run taxid-bind confirm session="$R" relation="$rel"
	[ "$(jfield .error.code)" = not_authorized ]
	run taxid-bind confirm session="$Z" relation="$rel"
	assert_success
	[ "$(jfield .state)" = active ]
	run taxid-bind enter session="$Z" tin=$E1
	assert_success
	[ "$(jfield .via)" = authorisation ]
	[ "$(jfield .role)" = tax_handler ]
	[ "$(jfield .session.scope)" = "enterprise:$E1" ]
	[ "$(jfield '.session.token | length')" -eq 43 ]
	[ "$(dbq "select kind || ' ' || scope from session order by id desc limit 1")" = "enterprise enterprise:$E1" ]
	# only the other enterprise still needs the password
	run taxid-bind enter session="$Z" tin=$E2
	[ "$(jfield .error.code)" = declaration_password_required ]
	run taxid-bind confirm session="$Z" relation="$rel"
	[ "$(jfield .error.code)" = relation_state ]
	run taxid-bind grant session="$R" tin=$E1 role=tax_handler doc_type=201 doc_no=110105199003030031
	[ "$(jfield .error.code)" = relation_exists ]
}

@test "who may grant: legal representative and finance manager anything, administrator all but administrator" {
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
	Q=$(sess qian_other 13800138004)
	run taxid-bind grant session="$Z" tin=$E1 role=tax_handler login_name=qian_other
	[ "$(jfield .error.code)" = not_authorized ]
	rel=$(taxid-bind grant session="$R" tin=$E1 role=administrator login_name=zhao_tax | jq -r .relation)
	taxid-bind confirm session="$Z" relation="$rel" >/dev/null
	run taxid-bind grant session="$Z" tin=$E1 role=administrator login_name=qian_other
	[ "$(jfield .error.code)" = not_authorized ]
	run taxid-bind grant session="$Z" tin=$E1 role=invoice_clerk login_name=qian_other permissions:='["declaration"]'
	[ "$(jfield .error.code)" = bad_value ]
	[ "$(jfield .error.field)" = permissions ]
	run taxid-bind grant session="$Z" tin=$E1 role=invoice_clerk login_name=qian_other
	assert_success
	[ "$(jfield '.permissions | join(",")')" = invoices ]
	run taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=nobody
	[ "$(jfield .error.code)" = not_found ]
	[ "$(jfield .error.field)" = login_name ]
	# a document the registry knows but that has no account is not a registered person
	jq -nc '{doc_type:"201", doc_no:"110105199506060064", name:"周无号"}' | taxid-register import >/dev/null
	run taxid-bind grant session="$R" tin=$E1 role=tax_handler doc_type=201 doc_no=110105199506060064
	[ "$(jfield .error.code)" = not_found ]
	[ "$(jfield .error.field)" = doc_no ]
}

@test "the reverse flow: a person requests, the enterprise confirms" {
	R=$(sess wang_rep 13800138001)
	Q=$(sess qian_other 13800138004)
	run taxid-bind request session="$Q" tin=$E1 role=invoice_purchaser
	assert_success
	[ "$(jfield .state)" = pending ]
	rel=$(jfield .relation)
	run taxid-bind confirm session="$Q" relation="$rel"
	[ "$(jfield .error.code)" = not_authorized ]
	run taxid-bind request session="$Q" tin=$E1 role=invoice_purchaser
	[ "$(jfield .error.code)" = relation_exists ]
	run taxid-bind confirm session="$R" relation="$rel"
	assert_success
	[ "$(jfield .state)" = active ]
	run taxid-bind enter session="$Q" tin=$E1
	assert_success
	[ "$(jfield .role)" = invoice_purchaser ]
	taxid-bind list session="$Q" | jq -e '.origin == "request" and (.history | map(.event + "/" + .by) == ["requested/qian_other", "confirmed/wang_rep"])'
}

@test "expired grants are inactive and listed as expired (--now)" {
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
	run taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax valid_until=2026-11-30
	rel=$(jfield .relation)
	[ "$(jfield .valid_until)" = 2026-11-30 ]
	taxid-bind confirm session="$Z" relation="$rel" >/dev/null
	run taxid-bind enter session="$Z" tin=$E1
	assert_success
	# the last day (Asia/Shanghai calendar) still counts; the next one does not
	export TAXID_NOW=2026-11-30T15:00:00Z
	Z=$(sess zhao_tax 13800138003)
	run taxid-bind enter session="$Z" tin=$E1
	assert_success
	export TAXID_NOW=2026-11-30T16:00:00Z
	Z=$(sess zhao_tax 13800138003)
	run taxid-bind enter session="$Z" tin=$E1
	[ "$(jfield .error.code)" = declaration_password_required ]
	[ "$(rel_state $E1 "$rel")" = expired ]
	run taxid-bind list tin=$E1 operator=op1 --state expired
	[ "$(jq -s length <<<"$output")" = 1 ]
	# an expired grant no longer blocks a new one, and cannot be confirmed
	R=$(sess wang_rep 13800138001)
	run taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax valid_until=2026-11-30
	[ "$(jfield .error.code)" = bad_value ]
	[ "$(jfield .error.reason)" = past ]
	run taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax valid_from=2026-12-05
	assert_success
	[ "$(rel_state $E1 "$(jfield .relation)")" = pending ]
	taxid-bind confirm session="$Z" relation="$(jfield .relation)" >/dev/null
	[ "$(rel_state $E1 "$(jfield .relation)")" = scheduled ]
	run taxid-bind enter session="$Z" tin=$E1
	[ "$(jfield .error.code)" = declaration_password_required ]
}

@test "a pending grant past its valid_until can no longer be confirmed" {
	R=$(sess wang_rep 13800138001)
	rel=$(taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax valid_until=2026-11-26 | jq -r .relation)
	export TAXID_NOW=2026-11-27T08:00:00Z
	Z=$(sess zhao_tax 13800138003)
	run taxid-bind confirm session="$Z" relation="$rel"
	[ "$(jfield .error.code)" = relation_state ]
	[ "$(jfield .error.state)" = expired ]
}

@test "the agency filing cap is 100 by default: the 100th holder is accepted, the 101st is cap_reached" {
	R=$(sess wang_rep 13800138001)
	taxid-register fixture --count 101 --password "$PW" | taxid-register import >/dev/null
	mapfile -t logins < <(dbq "select login_name from account where id > 4 order by id")
	[ "${#logins[@]}" -eq 101 ]
	for l in "${logins[@]:0:100}"; do
		jq -nc --arg s "$R" --arg t $E2 --arg l "$l" '{session:$s, tin:$t, role:"tax_handler", login_name:$l, permissions:["agency_filing"]}'
	done | taxid-bind grant >grants.ndjson
	[ "$(jq -s 'map(select(.ok)) | length' grants.ndjson)" = 100 ]
	run taxid-bind grant session="$R" tin=$E2 role=tax_handler login_name="${logins[100]}" permissions:='["agency_filing"]'
	assert_failure 1
	[ "$(jfield .error.code)" = cap_reached ]
	[ "$(jfield .error.permission)" = agency_filing ]
	[ "$(jfield .error.cap)" = 100 ]
}

@test "caps per enterprise and permission type: 20 by default, 100 for agency filing, both policy" {
	R=$(sess wang_rep 13800138001)
	taxid-register fixture --count 21 --password "$PW" | taxid-register import >/dev/null
	mapfile -t logins < <(dbq "select login_name from account where id > 4 order by id")
	[ "${#logins[@]}" -eq 21 ]
	for l in "${logins[@]:0:20}"; do
		jq -nc --arg s "$R" --arg t $E1 --arg l "$l" '{session:$s, tin:$t, role:"tax_handler", login_name:$l}'
	done | taxid-bind grant >grants.ndjson
	[ "$(jq -s 'map(select(.ok)) | length' grants.ndjson)" = 20 ]
	run taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name="${logins[20]}"
	assert_failure 1
	[ "$(jfield .error.code)" = cap_reached ]
	[ "$(jfield .error.permission)" = declaration ]
	[ "$(jfield .error.cap)" = 20 ]
	# invoices is another permission type, with its own count
	run taxid-bind grant session="$R" tin=$E1 role=invoice_clerk login_name="${logins[20]}"
	assert_success
	# agency filing has the cap 100: the 21st holder is accepted
	for l in "${logins[@]:0:20}"; do
		jq -nc --arg s "$R" --arg t $E2 --arg l "$l" '{session:$s, tin:$t, role:"tax_handler", login_name:$l, permissions:["agency_filing"]}'
	done | taxid-bind grant | jq -se 'all(.ok)'
	run taxid-bind grant session="$R" tin=$E2 role=tax_handler login_name="${logins[20]}" permissions:='["agency_filing"]'
	assert_success
	# both caps are settings; a revoked authorisation frees its place
	dbq "insert into setting values ('bind.cap_agency_filing', '21')"
	run taxid-bind grant session="$R" tin=$E2 role=invoice_purchaser login_name="${logins[0]}" permissions:='["invoices"]'
	assert_success
	run taxid-bind grant session="$R" tin=$E2 role=administrator login_name="${logins[1]}" permissions:='["agency_filing"]'
	[ "$(jfield .error.code)" = cap_reached ]
	[ "$(jfield .error.cap)" = 21 ]
	first=$(jq -r 'select(.ok) | .relation' grants.ndjson | head -n 1)
	taxid-bind revoke session="$R" relation="$first" >/dev/null
	run taxid-bind grant session="$R" tin=$E1 role=administrator login_name="${logins[20]}" permissions:='["declaration"]'
	assert_success
	dbq "insert into setting values ('bind.cap_default', '5')"
	run taxid-bind grant session="$R" tin=$E2 role=invoice_clerk login_name="${logins[2]}"
	assert_success
	run taxid-bind grant session="$R" tin=$E1 role=administrator login_name="${logins[3]}"
	[ "$(jfield .error.code)" = cap_reached ]
	[ "$(jfield .error.permission)" = declaration ]
	[ "$(jfield .error.cap)" = 5 ]
}

@test "revoke by the grantee or by the enterprise side; nobody else; core links are not revoked" {
	R=$(sess wang_rep 13800138001)
	F=$(sess li_fin 13800138002)
	Z=$(sess zhao_tax 13800138003)
	Q=$(sess qian_other 13800138004)
	taxid-bind bind session="$F" tin=$E1 role=finance_manager >/dev/null
	r1=$(taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax | jq -r .relation)
	r2=$(taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=qian_other | jq -r .relation)
	taxid-bind confirm session="$Z" relation="$r1" >/dev/null
	taxid-bind confirm session="$Q" relation="$r2" >/dev/null
	run taxid-bind revoke session="$Q" relation="$r1"
	assert_failure 1
	[ "$(jfield .error.code)" = not_authorized ]
	run taxid-bind revoke session="$Z" relation="$r1"
	assert_success
	[ "$(jfield .side)" = person ]
	run taxid-bind enter session="$Z" tin=$E1
	[ "$(jfield .error.code)" = declaration_password_required ]
	# the finance manager revokes what the legal representative granted: the enterprise side
	run taxid-bind revoke session="$F" relation="$r2"
	assert_success
	[ "$(jfield .side)" = enterprise ]
	run taxid-bind revoke session="$F" relation="$r2"
	[ "$(jfield .error.code)" = relation_state ]
	[ "$(jfield .error.state)" = revoked ]
	run taxid-bind revoke session="$R" relation=1
	[ "$(jfield .error.code)" = not_authorized ]
	[ "$(jfield .error.reason)" = core_relation ]
	[ "$(rel_state $E1 "$r1")" = revoked ]
	[ "$(rel_state $E1 "$r2")" = revoked ]
	taxid-bind list tin=$E1 operator=op1 | jq -se --argjson r "$r2" \
		'map(select(.relation == $r)) | .[0].history | map(.event + "/" + .by) == ["granted/wang_rep", "confirmed/qian_other", "revoked/li_fin"]'
}

@test "unbind: query, then confirm; only a listed tax handler can be unbound" {
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
	Q=$(sess qian_other 13800138004)
	rz=$(taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax | jq -r .relation)
	taxid-bind confirm session="$Z" relation="$rz" >/dev/null
	rq=$(taxid-bind grant session="$R" tin=$E1 role=invoice_clerk login_name=qian_other | jq -r .relation)
	taxid-bind confirm session="$Q" relation="$rq" >/dev/null
	run taxid-bind unbind session="$Q" tin=$E1
	assert_failure 1
	[ "$(jfield .error.code)" = not_tax_handler ]
	run taxid-bind unbind session="$R" tin=$E1 --confirm
	[ "$(jfield .error.code)" = not_tax_handler ]
	# the query step shows what would be unbound and changes nothing
	run taxid-bind unbind session="$Z" tin=$E1
	assert_success
	[ "$(jfield .confirm_required)" = true ]
	[ "$(jfield .enterprise)" = 上海测试有限公司 ]
	[ "$(jfield '.relations[0].relation')" = "$rz" ]
	[ "$(rel_state $E1 "$rz")" = active ]
	run taxid-bind unbind session="$Z" tin=$E1 --confirm
	assert_success
	[ "$(jfield .unbound)" = 1 ]
	[ "$(rel_state $E1 "$rz")" = unbound ]
	[ "$(rel_state $E1 "$rq")" = active ]
	run taxid-bind enter session="$Z" tin=$E1
	[ "$(jfield .error.code)" = declaration_password_required ]
	run taxid-bind unbind session="$Z" tin=$E1 confirm:=true
	[ "$(jfield .error.code)" = not_tax_handler ]
}

@test "history is complete and never deleted" {
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
	for i in 1 2; do
		rel=$(taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax | jq -r .relation)
		taxid-bind confirm session="$Z" relation="$rel" >/dev/null
		if [ "$i" = 1 ]; then taxid-bind revoke session="$R" relation="$rel" >/dev/null; fi
	done
	taxid-bind unbind session="$Z" tin=$E1 --confirm >/dev/null
	run taxid-bind list session="$Z"
	assert_success
	[ "$(jq -sc 'map(.state)' <<<"$output")" = '["revoked","unbound"]' ]
	[ "$(jq -sc 'map(.history | map(.event))' <<<"$output")" = '[["granted","confirmed","revoked"],["granted","confirmed","unbound"]]' ]
	jq -se 'all(.[].history[]; (.at | test("^2026-11-25T")) and (.by | length > 0))' <<<"$output"
	[ "$(dbq "select count(*) from relation")" = 5 ]
	run dbq "delete from relation where state = 'revoked'"
	assert_failure
	run dbq "delete from relation_event"
	assert_failure
	run dbq "update relation_event set event = 'x'"
	assert_failure
	[ "$(dbq "select count(*) from relation_event")" = 9 ]
	[ "$(dbq "select count(*) from relation")" = 5 ]
	[ "$(dbq "select group_concat(action, ',') from (select action from audit where action in ('grant', 'confirm', 'revoke', 'unbind') order by id) as s")" = grant,confirm,revoke,grant,confirm,unbind ]
	taxid-verify audit | jq -e '.chain == "intact"'
}

@test "list: a person sees their own relations; managers and operators see the enterprise's" {
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
	taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax >/dev/null
	run taxid-bind list session="$Z" tin=$E1
	assert_success
	[ "$(jq -sc 'map(.person.login_name)' <<<"$output")" = '["zhao_tax"]' ]
	run taxid-bind list session="$R"
	[ "$(jq -sc 'map(.tin)' <<<"$output")" = "[\"$E1\",\"$E2\"]" ]
	run taxid-bind list session="$R" tin=$E1
	[ "$(jq -sc 'map(.role)' <<<"$output")" = '["legal_rep","finance_manager","tax_handler"]' ]
	[ "$(jq -sr '.[2].person.name' <<<"$output")" = '赵*' ]
	run taxid-bind list tin=$E1
	[ "$(jfield .error.code)" = missing_field ]
	run taxid-bind list tin=$E1 operator=op1 --state pending
	[ "$(jq -sc 'map(.role)' <<<"$output")" = '["finance_manager","tax_handler"]' ]
	run taxid-bind list tin=$E1 operator=op1 --state bogus
	[ "$(jfield .error.code)" = bad_value ]
}

@test "real-name level 4 is required for enterprise business (policy)" {
	dbq "update person set level = 3 where id = 3"
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
	run taxid-bind request session="$Z" tin=$E1 role=tax_handler
	assert_failure 1
	[ "$(jfield .error.code)" = realname_level_required ]
	[ "$(jfield .error.level)" = 3 ]
	[ "$(jfield .error.required)" = 4 ]
	dbq "insert into setting values ('bind.min_level', '3')"
	run taxid-bind request session="$Z" tin=$E1 role=tax_handler
	assert_success
}

@test "an enterprise rated D, blacklisted or on the risk list needs its legal representative collected" {
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
	rel=$(taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax | jq -r .relation)
	taxid-bind confirm session="$Z" relation="$rel" >/dev/null
	taxid-bind enterprise update tin=$E1 credit=D operator=op1 | jq -e '.changed == ["credit"]'
	run taxid-bind enter session="$Z" tin=$E1
	assert_failure 1
	[ "$(jfield .error.code)" = realname_collection_required ]
	[ "$(jfield '.error.reasons | join(",")')" = credit_d ]
	run taxid-bind grant session="$R" tin=$E1 role=invoice_clerk login_name=qian_other
	[ "$(jfield .error.code)" = realname_collection_required ]
	taxid-bind enterprise update tin=$E2 flags:='["blacklist","realname_risk"]' operator=op1 >/dev/null
	run taxid-bind enter session="$R" tin=$E2
	[ "$(jfield '.error.reasons | join(",")')" = blacklist,realname_risk ]
	# a person can still leave a flagged enterprise
	run taxid-bind revoke session="$Z" relation="$rel"
	assert_success
	taxid-register collect consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=110105198001010016 name=王法人 operator=hall1 | jq -e '.level == 5'
	run taxid-bind enter session="$R" tin=$E1
	assert_success
	run taxid-bind enter session="$R" tin=$E2
	assert_success
}

@test "enterprise update: a new legal representative ends the old link; status other than normal stops business" {
	R=$(sess wang_rep 13800138001)
	Q=$(sess qian_other 13800138004)
	run taxid-bind enterprise update tin=$E2 operator=op1 legal_rep:='{"doc_type":"201","doc_no":"110105197504040044","name":"钱其他"}'
	assert_success
	[ "$(jfield '.changed | join(",")')" = legal_rep ]
	[ "$(jfield '.links[0].role + ":" + .links[0].state')" = legal_rep:active ]
	run taxid-bind list tin=$E2 operator=op1
	[ "$(jq -sc 'map(.person.login_name + ":" + .state)' <<<"$output")" = '["wang_rep:ended","qian_other:active"]' ]
	[ "$(jq -sr '.[0].history[-1].event + "/" + .[0].history[-1].by' <<<"$output")" = replaced/operator:op1 ]
	run taxid-bind enter session="$R" tin=$E2
	[ "$(jfield .error.code)" = declaration_password_required ]
	run taxid-bind enter session="$Q" tin=$E2
	assert_success
	run taxid-bind enterprise update tin=$E2 operator=op1 name=第二测试有限公司
	[ "$(jfield '.changed | length')" = 0 ]
	taxid-bind enterprise update tin=$E2 operator=op1 status=deregistered >/dev/null
	run taxid-bind enter session="$Q" tin=$E2
	[ "$(jfield .error.code)" = enterprise_inactive ]
	run taxid-bind enterprise list --status deregistered
	[ "$(jfield .tin)" = $E2 ]
	run taxid-bind enterprise update tin=$E2 operator=op1 status=closed
	[ "$(jfield .error.code)" = bad_value ]
}

@test "enterprise import: NDJSON, idempotent on the taxpayer number, one result per line" {
	cat >ents.ndjson <<EOF
{"tin":"91310115MA5E6F7G8T","name":"导入一","legal_rep":$REP,"credit":"A"}
{"tin":"91310115MA8H9J0K1X","name":"坏号","legal_rep":$REP}
{"tin":"91310115MA2L3M4NX2","name":"导入二","legal_rep":$REP,"finance_manager":$FIN,"flags":["realname_risk"]}
EOF
	run taxid-bind enterprise import --operator op2 <ents.ndjson
	assert_failure 1
	[ "$(jq -sc 'map(.import // .error.code)' <<<"$output")" = '["created","bad_checksum","created"]' ]
	run taxid-bind enterprise import --operator op2 <ents.ndjson
	[ "$(jq -sc 'map(.import // .error.code)' <<<"$output")" = '["unchanged","bad_checksum","unchanged"]' ]
	sed -i 's/"credit":"A"/"credit":"B"/' ents.ndjson
	run taxid-bind enterprise import --operator op2 <ents.ndjson
	[ "$(jq -sc 'map(.import // .error.code)' <<<"$output")" = '["updated","bad_checksum","unchanged"]' ]
	[ "$(taxid-bind enterprise list | jq -sc 'map(.tin)')" = "[\"91310115MA1B2C3D8U\",\"91310115MA27Y4U47J\",\"91310115MA2L3M4NX2\",\"91310115MA5E6F7G8T\"]" ]
	[ "$(taxid-bind enterprise show tin=91310115MA2L3M4NX2 | jq -c .flags)" = '["realname_risk"]' ]
	[ "$(dbq "select count(*) from audit where actor = 'op2'")" = 3 ]
}

@test "bash completion offers taxid-bind's actions, groups, sub-actions and members" {
	# shellcheck disable=SC2016 # expanded by the inner shell
	local script='. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_taxid; if [ "${#COMPREPLY[@]}" -gt 0 ]; then printf "%s\n" "${COMPREPLY[@]}"; fi'
	run bash -c "$script" comp "$TAXID_ROOT/completions/taxid.bash" taxid-bind ''
	assert_success
	assert_line enter
	assert_line declpw
	assert_line enterprise
	refute_line 'declpw set'
	run bash -c "$script" comp "$TAXID_ROOT/completions/taxid.bash" taxid-bind declpw ''
	assert_output "set
reset
clear"
	run bash -c "$script" comp "$TAXID_ROOT/completions/taxid.bash" taxid-bind enterprise ''
	assert_output "add
show
list
update
import
register
registrations"
	run bash -c "$script" comp "$TAXID_ROOT/completions/taxid.bash" taxid-bind grant val
	assert_line valid_from=
	assert_line valid_until=
	run bash -c "$script" comp "$TAXID_ROOT/completions/taxid.bash" taxid-bind enterprise import --
	assert_line --operator
	assert_line --batch-size
}
