#!/usr/bin/env bats
# Signed verdicts and the trust store (CONTRACT.md "Verdicts from outside"; SECURITY.md rule 14).
load helper

DOC=11010519491231002X

local_setup() {
	keygen face-svc
	trust face-svc face
}

# attest KIND WIRE [OPERAND...]: check a wire verdict through the binary.
attest() {
	local kind=$1 wire=$2
	shift 2
	run taxid-verify attest kind="$kind" "verdict:=$wire" "$@"
}

# sign_raw NAME FILE: a wire verdict over the exact bytes of FILE, signed by NAME.
sign_raw() {
	local sig
	sig=$(openssl pkeyutl -sign -rawin -inkey "$BATS_TEST_TMPDIR/$1.pem" -in "$2" | base64 -w0)
	jq -nc --arg i "$1" --arg p "$(base64 -w0 <"$2")" --arg s "$sig" '{issuer:$i, payload:$p, sig:$s}'
}

# refused CODE: the last run was refused with CODE on the verdict field.
refused() {
	assert_failure 1
	[ "$(jfield .ok)" = false ]
	[ "$(jfield .error.code)" = "$1" ]
	[ "$(jfield .error.field)" = verdict ]
}

when() { date -u -d "2026-11-25T08:00:00Z $1" +%Y-%m-%dT%H:%M:%SZ; }

# ---- the trust store ----

@test "trust add accepts a PEM key with its line breaks and answers issuer and kinds" {
	keygen bank-svc
	run taxid-verify trust add operator=op-test issuer=bank-svc 'kinds:=["bank","registry"]' "public_key=$(cat bank-svc.pub)"
	assert_success
	json_eq "{\"ok\":true,\"issuer\":\"bank-svc\",\"kinds\":[\"bank\",\"registry\"],\"fingerprint\":\"$(fingerprint bank-svc)\"}" "$output"
}

@test "trust list prints one JSON line per issuer, sorted, with the key as given" {
	keygen bank-svc
	trust bank-svc bank registry
	run taxid-verify trust list
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .issuer <<<"${lines[0]}")" = bank-svc ]
	[ "$(jq -r .issuer <<<"${lines[1]}")" = face-svc ]
	[ "$(jq -c .kinds <<<"${lines[0]}")" = '["bank","registry"]' ]
	[ "$(jq -c .kinds <<<"${lines[1]}")" = '["face"]' ]
	[ "$(jq -r .ok <<<"${lines[0]}")" = true ]
	[ "$(jq -r .added_at <<<"${lines[0]}")" = 2026-11-25T08:00:00Z ]
	[ "$(jq -r .public_key <<<"${lines[1]}")" = "$(cat face-svc.pub)" ]
}

@test "trust add again replaces the kinds; trust remove drops the issuer" {
	trust face-svc face captcha
	run taxid-verify trust list
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -c .kinds <<<"$output")" = '["face","captcha"]' ]
	run taxid-verify trust remove operator=op-test issuer=face-svc
	assert_success
	json_eq "{\"ok\":true,\"issuer\":\"face-svc\",\"fingerprint\":\"$(fingerprint face-svc)\"}" "$output"
	run taxid-verify trust list
	assert_success
	assert_output ''
	run taxid-verify trust remove operator=op-test issuer=face-svc
	assert_failure 1
	[ "$(jfield .error.code)" = issuer_unknown ]
	[ "$(jfield .error.field)" = issuer ]
}

@test "an RSA public key is refused as bad_public_key" {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.pem 2>/dev/null
	openssl pkey -in rsa.pem -pubout -out rsa.pub
	run taxid-verify trust add operator=op-test issuer=rsa-svc 'kinds:=["face"]' "public_key=$(cat rsa.pub)"
	assert_failure 1
	[ "$(jfield .error.code)" = bad_public_key ]
	[ "$(jfield .error.field)" = public_key ]
	run taxid-verify trust list
	[ "${#lines[@]}" -eq 1 ]
}

@test "a private key, garbage or an empty key is refused" {
	run taxid-verify trust add operator=op-test issuer=x 'kinds:=["face"]' "public_key=$(cat face-svc.pem)"
	assert_failure 1
	[ "$(jfield .error.code)" = bad_public_key ]
	run taxid-verify trust add operator=op-test issuer=x 'kinds:=["face"]' public_key=hello
	[ "$(jfield .error.code)" = bad_public_key ]
	run taxid-verify trust add operator=op-test issuer=x 'kinds:=["face"]' public_key=
	[ "$(jfield .error.code)" = missing_field ]
	[ "$(jfield .error.field)" = public_key ]
	run taxid-verify trust add operator=op-test issuer=x 'kinds:=["face"]' "public_key=$(printf 'a\001b')"
	[ "$(jfield .error.code)" = bad_utf8 ]
	run taxid-verify trust list
	[ "${#lines[@]}" -eq 1 ]
}

@test "an unknown kind is refused as bad_value on kinds" {
	keygen x
	run taxid-verify trust add operator=op-test issuer=x 'kinds:=["face","palm"]' "public_key=$(cat x.pub)"
	assert_failure 1
	[ "$(jfield .error.code)" = bad_value ]
	[ "$(jfield .error.field)" = kinds ]
	run taxid-verify trust add operator=op-test issuer=x 'kinds:="face"' "public_key=$(cat x.pub)"
	[ "$(jfield .error.code)" = bad_type ]
	run taxid-verify trust add operator=op-test issuer=x "public_key=$(cat x.pub)"
	[ "$(jfield .error.code)" = missing_field ]
	[ "$(jfield .error.field)" = kinds ]
}

# ---- checking verdicts ----

@test "a good verdict is ok and passed" {
	attest face "$(verdict face-svc face "$DOC")" subject="$DOC"
	assert_success
	[ "$(jfield .passed)" = true ]
	[ "$(jfield .consumed)" = false ]
	json_eq '{"issuer":"face-svc","kind":"face","result":"pass","score":0.97,"liveness":true,"issued_at":"2026-11-25T08:00:00Z"}' \
		"$(jq -c .verdict <<<"$output")"
}

@test "a consumed verdict cannot be used again" {
	v=$(verdict face-svc face "$DOC")
	attest face "$v" consume:=true
	assert_success
	[ "$(jfield .consumed)" = true ]
	attest face "$v" consume:=true
	refused verdict_replayed
	# nor merely checked
	attest face "$v"
	refused verdict_replayed
	[ "$(dbq 'SELECT count(*) FROM used_nonce')" = 1 ]
}

@test "a replayed verdict is refused in the same stream" {
	v=$(verdict face-svc face "$DOC")
	req=$(jq -nc --argjson v "$v" '{kind:"face", verdict:$v, consume:true}')
	run taxid-verify attest <<<"$req
$req"
	assert_failure 1
	[ "$(jq -r .ok <<<"${lines[0]}")" = true ]
	[ "$(jq -r .error.code <<<"${lines[1]}")" = verdict_replayed ]
}

@test "a verdict checked without consume can be checked again" {
	v=$(verdict face-svc face "$DOC")
	attest face "$v"
	assert_success
	attest face "$v"
	assert_success
	[ "$(jfield .passed)" = true ]
	[ "$(dbq 'SELECT count(*) FROM used_nonce')" = 0 ]
}

@test "a signature by another key is refused as verdict_bad_signature" {
	keygen mallory
	v=$(verdict mallory face "$DOC" | jq -c '.issuer = "face-svc"')
	attest face "$v"
	refused verdict_bad_signature
}

@test "a payload changed after signing is refused as verdict_bad_signature" {
	good=$(verdict face-svc face "$DOC" pass 0.2)
	forged=$(jq -r .payload <<<"$good" | base64 -d | jq -c '.score = 0.99' | tr -d '\n' | base64 -w0)
	attest face "$(jq -c --arg p "$forged" '.payload = $p' <<<"$good")"
	refused verdict_bad_signature
	# a signature of the wrong length, and an empty one
	attest face "$(jq -c '.sig = "AAAA"' <<<"$good")"
	refused verdict_bad_signature
	attest face "$(jq -c '.sig = ""' <<<"$good")"
	refused verdict_bad_signature
}

@test "an unknown issuer is refused as verdict_untrusted" {
	keygen stranger
	attest face "$(verdict stranger face "$DOC")"
	refused verdict_untrusted
}

@test "an issuer trusted only for captcha is untrusted for face" {
	keygen captcha-svc
	trust captcha-svc captcha
	attest face "$(verdict captcha-svc face "$DOC")"
	refused verdict_untrusted
	attest captcha "$(verdict captcha-svc captcha zhang_san)"
	assert_success
}

@test "a payload of another kind is refused as verdict_wrong_kind" {
	attest face "$(verdict face-svc captcha "$DOC")"
	refused verdict_wrong_kind
	trust face-svc face captcha
	attest face "$(verdict face-svc captcha "$DOC")"
	refused verdict_wrong_kind
}

@test "the freshness window: 10 minutes back, 60 seconds ahead" {
	attest face "$(verdict face-svc face "$DOC" pass 0.97 "{\"issued_at\":\"$(when '-11 minutes')\"}")"
	refused verdict_stale
	[ "$(jfield .error.issued_at)" = 2026-11-25T07:49:00Z ]
	attest face "$(verdict face-svc face "$DOC" pass 0.97 "{\"issued_at\":\"$(when '+2 minutes')\"}")"
	refused verdict_stale
	attest face "$(verdict face-svc face "$DOC" pass 0.97 "{\"issued_at\":\"$(when '+30 seconds')\"}")"
	assert_success
	attest face "$(verdict face-svc face "$DOC" pass 0.97 "{\"issued_at\":\"$(when '-10 minutes')\"}")"
	assert_success
	attest face "$(verdict face-svc face "$DOC" pass 0.97 "{\"issued_at\":\"$(when '-601 seconds')\"}")"
	refused verdict_stale
	attest face "$(verdict face-svc face "$DOC" pass 0.97 "{\"issued_at\":\"$(when '+61 seconds')\"}")"
	refused verdict_stale
}

@test "a verdict that was fresh goes stale as the clock moves" {
	v=$(verdict face-svc face "$DOC")
	run taxid-verify --now 2026-11-25T08:10:00Z attest kind=face "verdict:=$v"
	assert_success
	run taxid-verify --now 2026-11-25T08:10:01Z attest kind=face "verdict:=$v"
	refused verdict_stale
}

@test "a verdict about another subject is refused as verdict_subject_mismatch" {
	attest face "$(verdict face-svc face 110105194912310029)" subject="$DOC"
	refused verdict_subject_mismatch
}

@test "result fail is answered ok with passed false" {
	attest face "$(verdict face-svc face "$DOC" fail)"
	assert_success
	[ "$(jfield .passed)" = false ]
	[ "$(jfield .verdict.result)" = fail ]
}

@test "liveness false does not pass" {
	attest face "$(verdict face-svc face "$DOC" pass 0.99 '{"liveness":false}')"
	assert_success
	[ "$(jfield .passed)" = false ]
	[ "$(jfield .verdict.liveness)" = false ]
}

@test "a face score under the threshold does not pass" {
	attest face "$(verdict face-svc face "$DOC" pass 0.5)"
	assert_success
	[ "$(jfield .passed)" = false ]
	attest face "$(verdict face-svc face "$DOC" pass 0.79)"
	[ "$(jfield .passed)" = false ]
	attest face "$(verdict face-svc face "$DOC" pass 0.8)"
	[ "$(jfield .passed)" = true ]
	# a face verdict without a score cannot be held to the threshold
	jq -nc --arg s "$DOC" '{kind:"face", subject:$s, result:"pass", liveness:true, issued_at:"2026-11-25T08:00:00Z", nonce:"no-score"}' |
		tr -d '\n' >p.json
	attest face "$(sign_raw face-svc p.json)"
	assert_success
	[ "$(jfield .passed)" = false ]
}

@test "a payload that is not base64 is verdict_malformed" {
	good=$(verdict face-svc face "$DOC")
	attest face "$(jq -c '.payload = "not base64!"' <<<"$good")"
	refused verdict_malformed
}

@test "a signed payload that is not JSON is verdict_malformed" {
	printf 'kind=face subject=%s result=pass' "$DOC" >p.txt
	attest face "$(sign_raw face-svc p.txt)"
	refused verdict_malformed
	printf '["face"]' >p.json
	attest face "$(sign_raw face-svc p.json)"
	refused verdict_malformed
}

@test "a signed payload without a nonce is verdict_malformed" {
	jq -nc --arg s "$DOC" '{kind:"face", subject:$s, result:"pass", score:0.97, liveness:true, issued_at:"2026-11-25T08:00:00Z"}' |
		tr -d '\n' >p.json
	attest face "$(sign_raw face-svc p.json)"
	refused verdict_malformed
	[ "$(jfield .error.member)" = nonce ]
}

@test "other malformed payloads and wire forms are refused" {
	# a result that is neither pass nor fail, a score that is not a number, a bad time, duplicate keys
	attest face "$(verdict face-svc face "$DOC" maybe)"
	refused verdict_malformed
	attest face "$(verdict face-svc face "$DOC" pass '"high"')"
	refused verdict_malformed
	attest face "$(verdict face-svc face "$DOC" pass 0.97 '{"issued_at":"yesterday"}')"
	refused verdict_malformed
	printf '{"kind":"face","subject":"%s","result":"fail","result":"pass","score":0.97,"issued_at":"2026-11-25T08:00:00Z","nonce":"dup-1"}' "$DOC" >p.json
	attest face "$(sign_raw face-svc p.json)"
	refused verdict_malformed
	# the wire object
	attest face '"a string"'
	refused verdict_malformed
	attest face '{"issuer":"face-svc","payload":"e30="}'
	refused verdict_malformed
	run taxid-verify attest kind=face
	assert_failure 1
	[ "$(jfield .error.code)" = missing_field ]
}

@test "after trust remove the issuer's verdicts are refused" {
	v=$(verdict face-svc face "$DOC")
	attest face "$v"
	assert_success
	run taxid-verify trust remove operator=op-test issuer=face-svc
	assert_success
	attest face "$v"
	refused verdict_untrusted
}

@test "nonces are per issuer: another issuer may use the same nonce" {
	keygen face-b
	trust face-b face
	attest face "$(verdict face-svc face "$DOC" pass 0.97 '{"nonce":"same"}')" consume:=true
	assert_success
	attest face "$(verdict face-b face "$DOC" pass 0.97 '{"nonce":"same"}')" consume:=true
	assert_success
	attest face "$(verdict face-svc face "$DOC" pass 0.97 '{"nonce":"same"}')" consume:=true
	refused verdict_replayed
}

@test "a refused consume does not spend the nonce" {
	v=$(verdict face-svc face "$DOC")
	attest face "$v" consume:=true subject=110105194912310029
	refused verdict_subject_mismatch
	attest face "$v" consume:=true subject="$DOC"
	assert_success
}

@test "verdict policy is data: freshness window and face threshold come from settings" {
	dbq "INSERT INTO setting(key, value) VALUES ('verdict.max_age', '60'), ('verdict.clock_skew', '5'),
		('verdict.face.min_score_permille', '500')"
	attest face "$(verdict face-svc face "$DOC" pass 0.97 "{\"issued_at\":\"$(when '-2 minutes')\"}")"
	refused verdict_stale
	attest face "$(verdict face-svc face "$DOC" pass 0.97 "{\"issued_at\":\"$(when '+10 seconds')\"}")"
	refused verdict_stale
	attest face "$(verdict face-svc face "$DOC" pass 0.5 "{\"issued_at\":\"$(when '-60 seconds')\"}")"
	assert_success
	[ "$(jfield .passed)" = true ]
	attest face "$(verdict face-svc face "$DOC" pass 0.49)"
	[ "$(jfield .passed)" = false ]
}
