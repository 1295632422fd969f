#!/usr/bin/env bats
# SMS codes (SECURITY.md rule 13): 6 digits, keyed hash bound to purpose and challenge, 5 minutes, single use,
# dead after 5 wrong tries, 60 s resend cooldown, a daily cap per phone, never logged.
load helper

PHONE=13800138000

# send [PHONE [PURPOSE [--now TIME]]]: run `sms send`; the challenge id is left in $challenge.
send() {
	local phone=${1:-$PHONE} purpose=${2:-register}
	shift 2 2>/dev/null || shift $#
	run --separate-stderr taxid-verify "$@" sms send phone="$phone" purpose="$purpose"
	challenge=$(jq -r '.challenge // empty' <<<"$output")
}

# check CHALLENGE CODE [PURPOSE [OPERAND...]]
check() {
	local ch=$1 code=$2 purpose=${3:-register}
	shift 3 2>/dev/null || shift $#
	run --separate-stderr taxid-verify sms check challenge="$ch" code="$code" purpose="$purpose" "$@"
}

# A code that is not $1. (Loop variables are not named i: `run --separate-stderr` sets a global i in bats 1.8.2.)
wrong_of() { printf '%06d' $(((10#$1 + 1) % 1000000)); }

# when OFFSET: the pinned time moved by OFFSET (date -d syntax, e.g. "+61 seconds").
when() { date -u -d "2026-11-25T08:00:00Z $1" +%Y-%m-%dT%H:%M:%SZ; }

refused() {
	assert_failure 1
	[ "$(jfield .error.code)" = "$1" ]
	[ -z "${2:-}" ] || [ "$(jfield .error.field)" = "$2" ]
}

@test "send answers the challenge and queues exactly one message with a 6-digit code" {
	send
	assert_success
	[ "$(jfield .purpose)" = register ]
	[ "$(jfield .phone)" = '138****8000' ]
	[ "$(jfield .expires_at)" = 2026-11-25T08:05:00Z ]
	[[ "$challenge" =~ ^[A-Za-z0-9_-]{22,}$ ]]
	run taxid-verify sms outbox
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jfield .to)" = "$PHONE" ]
	[ "$(jfield .channel)" = sms ]
	[ "$(jfield .created_at)" = 2026-11-25T08:00:00Z ]
	[ "$(jfield .body | grep -oE '(^|[^0-9])[0-9]{6}([^0-9]|$)' | wc -l)" -eq 1 ]
	[[ "$(jfield .body)" == *register* ]]
}

@test "the code is never in the database files nor in send's output, and is stored as a keyed hash" {
	send
	assert_success
	send_out="$output" send_err="$stderr"
	code=$(sms_code "$PHONE")
	[[ "$code" =~ ^[0-9]{6}$ ]]
	[[ "$send_out" != *"$code"* ]]
	[[ "$send_err" != *"$code"* ]]
	[ -z "$send_err" ]
	# a wrong try and a successful check do not print it either
	check "$challenge" "$(wrong_of "$code")"
	[[ "$output$stderr" != *"$code"* ]]
	check "$challenge" "$code"
	assert_success
	[[ "$output$stderr" != *"$code"* ]]
	[ -z "$stderr" ]
	files=$(db_files)
	for f in $files; do
		! grep -aq "$code" "$f" || false
	done
	db_checkpoint
	main=$(db_file)
	! grep -aq "$code" "$main" || false
	# a 32-byte keyed hash, not the bare SHA-256 of the code
	[ "$(dbq 'SELECT length(secret_hash) FROM challenge')" = 32 ]
	stored=$(dbq 'SELECT lower(hex(secret_hash)) FROM challenge')
	[ "$stored" != "$(printf %s "$code" | sha256sum | cut -d' ' -f1)" ]
	[ "$stored" != "$(printf 'challenge/sms:register/%s\0%s' "$challenge" "$code" | sha256sum | cut -d' ' -f1)" ]
}

@test "the right code is accepted once; used again it is challenge_invalid" {
	send
	code=$(sms_code "$PHONE")
	check "$challenge" "$code"
	assert_success
	[ "$(jfield .purpose)" = register ]
	check "$challenge" "$code"
	refused challenge_invalid code
}

@test "the right code with the phone it was sent to is accepted, with another phone refused" {
	send
	code=$(sms_code "$PHONE")
	check "$challenge" "$code" register phone=13900139000
	refused challenge_invalid
	check "$challenge" "$code" register phone=+86$PHONE
	assert_success
}

@test "four wrong codes are sms_code_invalid, the fifth kills the challenge, then even the right code fails" {
	send
	code=$(sms_code "$PHONE")
	bad=$(wrong_of "$code")
	for n in 1 2 3 4; do
		check "$challenge" "$bad"
		refused sms_code_invalid code
	done
	check "$challenge" "$bad"
	refused challenge_exhausted code
	check "$challenge" "$code"
	refused challenge_invalid code
	run dbq 'SELECT attempts, state FROM challenge'
	assert_output '5|dead'
}

@test "wrong tries are counted even when they come in separate runs and a right one resets nothing" {
	send
	code=$(sms_code "$PHONE")
	bad=$(wrong_of "$code")
	check "$challenge" "$bad"
	check "$challenge" "$bad"
	[ "$(dbq 'SELECT attempts FROM challenge')" = 2 ]
	check "$challenge" "$code"
	assert_success
	run dbq 'SELECT state FROM challenge'
	assert_output used
}

@test "a code is valid for 5 minutes" {
	send
	code=$(sms_code "$PHONE")
	check "$challenge" "$code" register --now 2026-11-25T08:05:01Z
	refused challenge_expired code
	check "$challenge" "$code" register --now 2026-11-25T08:05:00Z
	refused challenge_expired code
	check "$challenge" "$code" register --now 2026-11-25T08:04:59Z
	assert_success
}

@test "a resend within 60 s is sms_cooldown with retry_after" {
	send
	assert_success
	send "$PHONE" register --now "$(when '+30 seconds')"
	refused sms_cooldown phone
	[ "$(jfield .error.retry_after)" = 30 ]
	send "$PHONE" register --now "$(when '+59 seconds')"
	refused sms_cooldown phone
	[ "$(jfield .error.retry_after)" = 1 ]
	# refused sends queue nothing
	[ "$(taxid-verify sms outbox | wc -l)" -eq 1 ]
}

@test "a resend after 61 s works and supersedes the old code" {
	send
	old_ch=$challenge
	old=$(sms_code "$PHONE")
	send "$PHONE" register --now "$(when '+61 seconds')"
	assert_success
	new_ch=$challenge
	new=$(sms_code "$PHONE")
	[ "$new_ch" != "$old_ch" ]
	check "$old_ch" "$old" register --now "$(when '+62 seconds')"
	refused challenge_invalid code
	check "$new_ch" "$new" register --now "$(when '+62 seconds')"
	assert_success
}

@test "the daily cap: 10 codes a day per phone, the 11th refused until local midnight" {
	for n in $(seq 0 9); do
		send "$PHONE" login --now "$(when "+$((n * 61)) seconds")"
		assert_success
	done
	send "$PHONE" login --now "$(when '+700 seconds')"
	refused sms_daily_cap phone
	# still the same local day (Asia/Shanghai) one second before 16:00Z
	send "$PHONE" login --now 2026-11-25T15:59:59Z
	refused sms_daily_cap phone
	# another phone is not capped
	send 13900139000 login --now "$(when '+700 seconds')"
	assert_success
	# the next local day begins at 16:00Z
	send "$PHONE" login --now 2026-11-25T16:00:00Z
	assert_success
	[ "$(dbq 'SELECT count(*) FROM challenge')" = 12 ]
}

@test "the day of the daily cap follows --tz" {
	for n in $(seq 0 9); do
		send "$PHONE" login --tz UTC --now "$(when "+$((n * 61)) seconds")"
		assert_success
	done
	send "$PHONE" login --tz UTC --now 2026-11-25T16:00:00Z
	refused sms_daily_cap phone
	send "$PHONE" login --tz UTC --now 2026-11-25T23:59:59Z
	refused sms_daily_cap phone
	send "$PHONE" login --tz UTC --now 2026-11-26T00:00:00Z
	assert_success
}

@test "the daily cap counts the holder's purposes (login, reset, declpw) together, and register apart" {
	for n in $(seq 0 4); do
		send "$PHONE" login --now "$(when "+$((n * 122)) seconds")"
		assert_success
		send "$PHONE" reset --now "$(when "+$((n * 122 + 61)) seconds")"
		assert_success
	done
	send "$PHONE" declpw --now "$(when '+1 hour')"
	refused sms_daily_cap phone
	# register has its own cap, still whole
	send "$PHONE" register --now "$(when '+2 hours')"
	assert_success
}

@test "a code for register does not work for reset, and stays usable for register" {
	send "$PHONE" register
	code=$(sms_code "$PHONE")
	check "$challenge" "$code" reset
	refused challenge_invalid code
	check "$challenge" "$code" register
	assert_success
}

@test "the outbox drains once" {
	send
	send 13900139000 reset
	run taxid-verify sms outbox
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .to <<<"${lines[0]}")" = "$PHONE" ]
	[ "$(jq -r .to <<<"${lines[1]}")" = 13900139000 ]
	run taxid-verify sms outbox
	assert_success
	assert_output ''
	# delivered bodies are dropped from the database
	run dbq 'SELECT count(*) FROM outbox WHERE body_enc IS NOT NULL OR delivered_at IS NULL'
	assert_output 0
}

@test "the outbox honours --limit" {
	send
	send 13900139000
	send 13700137000
	run taxid-verify sms outbox --limit 2
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	run taxid-verify sms outbox
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jfield .to)" = 13700137000 ]
	run taxid-verify sms outbox --limit 0
	assert_failure 1
	[ "$(jfield .error.code)" = bad_value ]
}

@test "a phone given as +86... is normalised to the same phone" {
	send +8613800138000
	assert_success
	[ "$(jfield .phone)" = '138****8000' ]
	run taxid-verify sms outbox
	[ "$(jfield .to)" = "$PHONE" ]
	# the same phone for the cooldown, in any spelling
	send "$PHONE" register --now "$(when '+10 seconds')"
	refused sms_cooldown phone
	send 008613800138000 register --now "$(when '+10 seconds')"
	refused sms_cooldown phone
}

@test "a bad phone is bad_format on phone and sends nothing" {
	for p in 12345 1380013800 23800138000 138001380001 1380013800x; do
		send "$p"
		refused bad_format phone
	done
	run taxid-verify sms outbox
	assert_output ''
	[ "$(dbq 'SELECT count(*) FROM challenge')" = 0 ]
}

@test "missing or bad members are refused" {
	run taxid-verify sms send phone=$PHONE
	refused missing_field purpose
	run taxid-verify sms send phone=$PHONE purpose=Register
	refused bad_value purpose
	send
	run taxid-verify sms check challenge="$challenge" purpose=register
	refused missing_field code
	run taxid-verify sms check code=123456 purpose=register
	refused missing_field challenge
	run taxid-verify sms check challenge="$challenge" code:=123456 purpose=register
	refused bad_type code
	check nosuchchallenge 123456
	refused challenge_invalid code
}

@test "SMS policy is data: ttl, attempts, cooldown and daily cap come from settings" {
	run taxid-verify sms outbox # create the database
	dbq "INSERT INTO setting(key, value) VALUES ('sms.ttl_seconds', '120'), ('sms.max_attempts', '2'),
		('sms.resend_seconds', '10'), ('sms.open_daily_cap', '2')"
	send
	assert_success
	[ "$(jfield .expires_at)" = 2026-11-25T08:02:00Z ]
	code=$(sms_code "$PHONE")
	check "$challenge" "$(wrong_of "$code")"
	refused sms_code_invalid
	check "$challenge" "$(wrong_of "$code")"
	refused challenge_exhausted
	send "$PHONE" register --now "$(when '+9 seconds')"
	refused sms_cooldown
	[ "$(jfield .error.retry_after)" = 1 ]
	send "$PHONE" register --now "$(when '+10 seconds')"
	assert_success
	send "$PHONE" register --now "$(when '+20 seconds')"
	refused sms_daily_cap
}
