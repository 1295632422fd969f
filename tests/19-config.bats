#!/usr/bin/env bats
# 19-config: issue 11, item 6. Settings are changed with `taxid config` (taxid-config), not sqlite3: the known
# keys and their ranges come from one table (lib/config.c); set needs an operator and is audited; unknown keys
# and values out of range are refused.
load helper

@test "taxid config list: every known setting with value, default, range; the database is optional" {
	run --separate-stderr taxid config list
	assert_success
	[ "${#lines[@]}" -ge 30 ]
	[ ! -e "$TAXID_DB" ]
	run jq -sc 'map(select(.key == "sms.daily_cap"))[0] | {ok, key, value, default, min, max, set}' <<<"$output"
	json_eq '{"ok":true,"key":"sms.daily_cap","value":10,"default":10,"min":1,"max":100,"set":false}' "$output"
}

@test "every setting the code reads is in the table, and every table row is documented in taxid-db(5)" {
	local k keys
	keys=$(taxid config list | jq -r .key)
	for k in $(grep -ohE 'taxid_setting_int\(ctx, "[a-z_.]+"' "$TAXID_ROOT"/lib/*.c | grep -oE '"[^"]+"' | tr -d '"' | sort -u); do
		grep -qxF "$k" <<<"$keys" || { echo "not in the table: $k"; return 1; }
	done
	for k in daily_cap max_attempts resend_seconds ttl_seconds; do grep -qxF "sms.$k" <<<"$keys"; done
	for k in $keys; do
		grep -qF "$k" "$TAXID_ROOT/man/taxid-db.5" || { echo "undocumented: $k"; return 1; }
	done
}

@test "set: within the range at both ends; the tools read the new value; audited with the operator" {
	run --separate-stderr taxid config set key=sms.daily_cap value=1 operator=op-7 reason="pilot"
	assert_success
	[ "$(jfield .value)" = 1 ]
	[ "$(jfield .previous)" = 10 ]
	[ "$(jfield .set)" = true ]
	run --separate-stderr taxid config set key=sms.daily_cap value=100 operator=op-7
	assert_success
	run --separate-stderr taxid config get key=sms.daily_cap
	[ "$(jfield .value)" = 100 ]
	# the tools use it: a daily cap of 1 refuses the second code of the day
	taxid config set key=sms.daily_cap value=1 operator=op-7 >/dev/null
	taxid-verify sms send phone=13800138000 purpose=login >/dev/null
	run --separate-stderr taxid-verify --now 2026-11-25T08:10:00Z sms send phone=13800138000 purpose=login
	assert_failure 1
	# one audit row per change: subject the key, actor the operator, old and new values
	run dbq_json "select actor, subject, detail from audit where action = 'config_set' order by id"
	[ "$(jq length <<<"$output")" = 3 ]
	json_eq '{"actor":"op-7","subject":"sms.daily_cap","detail":"{\"key\":\"sms.daily_cap\",\"new\":1,\"old\":null,\"reason\":\"pilot\"}"}' \
		"$(jq -c '.[0]' <<<"$output")"
	[ "$(jq -r '.[1].detail | fromjson | .old' <<<"$output")" = 1 ]
	run --separate-stderr taxid-verify audit
	[ "$(jfield .chain)" = intact ]
}

@test "set: just outside the range is refused with the range; nothing is stored or audited" {
	run --separate-stderr taxid config set key=sms.daily_cap value=0 operator=op-7
	assert_failure 1
	[ "$(jfield .error.code)" = bad_value ]
	[ "$(jfield .error.field)" = value ]
	[ "$(jfield .error.min)" = 1 ]
	[ "$(jfield .error.max)" = 100 ]
	run --separate-stderr taxid config set key=sms.daily_cap value=101 operator=op-7
	[ "$(jfield .error.code)" = bad_value ]
	run --separate-stderr taxid config set key=password.m_kib value=19455 operator=op-7
	[ "$(jfield .error.code)" = bad_value ]
	run --separate-stderr taxid config set key=password.m_kib value=19456 operator=op-7
	assert_success
	run --separate-stderr taxid config set key=login.password_only value=2 operator=op-7
	[ "$(jfield .error.code)" = bad_value ]
	for v in abc 1.5 '' ; do
		run --separate-stderr taxid config set key=sms.daily_cap value="$v" operator=op-7
		assert_failure 1
	done
	[ "$(dbq "select count(*) from setting where key = 'sms.daily_cap'")" = 0 ]
	[ "$(dbq "select count(*) from audit where action = 'config_set'")" = 1 ]
}

@test "unknown keys are refused by get and set; set without an operator is refused" {
	run --separate-stderr taxid config set key=sms.daily_caps value=3 operator=op-7
	assert_failure 1
	[ "$(jfield .error.code)" = unknown_setting ]
	[ "$(jfield .error.field)" = key ]
	run --separate-stderr taxid config get key=nope
	[ "$(jfield .error.code)" = unknown_setting ]
	run --separate-stderr taxid config set key=sms.daily_cap value=3
	assert_failure 1
	[ "$(jfield .error.code)" = operator_required ]
	run --separate-stderr taxid config set key=sms.daily_cap value=3 operator=
	[ "$(jfield .error.code)" = operator_required ]
	run --separate-stderr taxid config set key=sms.daily_cap operator=op-7
	[ "$(jfield .error.code)" = missing_field ]
	[ "$(dbq "select count(*) from setting")" = 0 ]
}

@test "requests on standard input: one result each, the run goes on after a refusal" {
	run --separate-stderr taxid config set <<'EOF2'
{"key":"sms.ttl_seconds","value":600,"operator":"op-1"}
{"key":"sms.ttl_seconds","value":59,"operator":"op-1"}
{"key":"qr.ttl_seconds","value":"300","operator":"op-1"}
EOF2
	assert_failure 1
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -r .ok <<<"${lines[0]}")" = true ]
	[ "$(jq -r .error.code <<<"${lines[1]}")" = bad_value ]
	[ "$(jq -r .value <<<"${lines[2]}")" = 300 ]
}
