#!/usr/bin/env bats
# 17-audit-key: SECURITY rule 30 (issue 11, item 2). The audit chain is keyed (HMAC-SHA-256 under a key from
# the key file): someone who can write the file but has no key cannot rebuild it. Its head can be exported
# (taxid-verify audit --head) and later proven still present (--anchor ID:HASH). A chain made before the key
# is re-chained once, with an audit_keyed row.
load helper

# rechain_sha DB [VICTIM]: the attack of the issue, as a file writer with sqlite3 and no key would do it: drop
# the triggers, delete row VICTIM (renumbering the rows after it), recompute every link the old way
# (SHA-256 over the previous hash and the length-prefixed fields) and write the head into meta.
# With FORGET_KEYED=1 it also removes the meta mark of the keyed chain (the file then looks older).
rechain_sha() {
	python3 - "$1" "${2:-0}" "${FORGET_KEYED:-0}" <<'PY'
import hashlib, sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
victim, forget = int(sys.argv[2]), sys.argv[3] == "1"
db.execute("DROP TRIGGER IF EXISTS audit_no_update")
db.execute("DROP TRIGGER IF EXISTS audit_no_delete")
if victim:
    db.execute("DELETE FROM audit WHERE id = ?", (victim,))
    for (i,) in db.execute("SELECT id FROM audit WHERE id > ? ORDER BY id", (victim,)).fetchall():
        db.execute("UPDATE audit SET id = ? WHERE id = ?", (i - 1, i))
prev, last = bytes(32), 0
for row in db.execute("SELECT id, at, tool, action, actor, subject, detail FROM audit ORDER BY id").fetchall():
    buf = prev
    for f in [str(row[0])] + list(row[1:]):
        b = (f or "").encode()
        buf += struct.pack("<I", len(b)) + b
    h = hashlib.sha256(buf).digest()
    db.execute("UPDATE audit SET prev = ?, hash = ? WHERE id = ?", (prev, h, row[0]))
    prev, last = h, row[0]
db.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", ("%d:%s" % (last, prev.hex()),))
if forget:
    db.execute("DELETE FROM meta WHERE key = 'audit_chain'")
db.commit()
PY
}

# rows N: N more audited actions (SMS codes, each to a phone not used before in this test).
SENT=0
rows() {
	local i
	for i in $(seq 1 "$1"); do
		SENT=$((SENT + 1))
		taxid-verify sms send phone="138001380$(printf %02d "$SENT")" purpose=login >/dev/null
	done
}

# head: the current head as ID:HASH.
head_anchor() {
	taxid-verify audit --head | jq -r '"\(.id):\(.hash)"'
}

@test "--head prints the id and hash of the last row; --anchor proves it is still there after more rows" {
	rows 3
	run --separate-stderr taxid-verify audit --head
	assert_success
	[ "$(jfield .chain)" = intact ]
	[ "$(jfield .id)" = 3 ]
	[[ "$(jfield .hash)" =~ ^[0-9a-f]{64}$ ]]
	[ "$(jfield .hash)" = "$(dbq "select lower(hex(hash)) from audit where id = 3")" ]
	local anchor
	anchor=$(head_anchor)
	rows 2
	run --separate-stderr taxid-verify audit --anchor "$anchor"
	assert_success
	[ "$(jfield .anchor)" = present ]
	[ "$(jfield .rows)" = 5 ]
	# upper-case hex is the same anchor
	run --separate-stderr taxid-verify audit --anchor "$(tr a-f A-F <<<"$anchor")"
	assert_success
}

@test "--anchor refuses a head the chain does not hold: another hash, a row past the end, a malformed one" {
	rows 3
	local anchor id hash last
	anchor=$(head_anchor)
	id=${anchor%%:*} hash=${anchor#*:}
	last=${hash: -1}
	[ "$last" = 0 ] && last=1 || last=0
	run --separate-stderr taxid-verify audit --anchor "$id:${hash%?}$last"
	assert_failure 1
	[ "$(jfield .error.code)" = anchor_mismatch ]
	[ "$(jfield .error.anchor_id)" = 3 ]
	run --separate-stderr taxid-verify audit --anchor "4:$hash"
	assert_failure 1
	[ "$(jfield .error.code)" = anchor_mismatch ]
	run --separate-stderr taxid-verify audit --anchor "2:$hash"
	[ "$(jfield .error.code)" = anchor_mismatch ]
	for bad in "$hash" "0:$hash" "3:${hash%?}" "3:${hash}0" "x:$hash" "3:${hash%?}g"; do
		run --separate-stderr taxid-verify audit --anchor "$bad"
		assert_failure 1
		[ "$(jfield .error.code)" = bad_value ]
		[ "$(jfield .error.field)" = anchor ]
	done
}

@test "the rewrite attack: triggers dropped, a row deleted, every SHA-256 link and the head recomputed -> not intact, and the old anchor fails" {
	skip_on_pg "the attacker of this test rewrites the SQLite file with Python's sqlite3; the chain code it attacks is the same on both engines"
	rows 4
	local anchor
	anchor=$(head_anchor)
	run --separate-stderr taxid-verify audit
	[ "$(jfield .chain)" = intact ]
	rechain_sha "$TAXID_DB" 2
	[ "$(dbq "select count(*) from audit")" = 3 ]
	run --separate-stderr taxid-verify audit
	assert_failure 1
	[ "$(jfield .chain)" != intact ]
	[ "$(jfield .error.code)" = audit_broken ]
	[ "$(jfield .error.broken_at)" = 1 ]
	run --separate-stderr taxid-verify audit --anchor "$anchor"
	assert_failure 1
	[ "$(jfield .chain)" != intact ]
	# recomputing the links without deleting anything is caught just the same
	rm -f "$TAXID_DB"* && rows 2
	rechain_sha "$TAXID_DB"
	run --separate-stderr taxid-verify audit
	assert_failure 1
	[ "$(jfield .error.code)" = audit_broken ]
}

@test "the links are HMAC-SHA-256 under a key derived from the key file (taxid/v1/audit), not plain SHA-256" {
	skip_on_pg "the attacker of this test rewrites the SQLite file with Python's sqlite3; the chain code it attacks is the same on both engines"
	rows 2
	run python3 - "$TAXID_DB" "$TAXID_KEY" <<'PY'
import hashlib, hmac, sqlite3, struct, sys
master = bytes.fromhex(open(sys.argv[2]).read().split()[1])
key = hmac.new(master, b"taxid/v1/audit", hashlib.sha256).digest()
db = sqlite3.connect(sys.argv[1])
prev = bytes(32)
for row in db.execute("SELECT id, at, tool, action, actor, subject, detail, hash FROM audit ORDER BY id"):
    buf = prev
    for f in [str(row[0])] + list(row[1:7]):
        b = (f or "").encode()
        buf += struct.pack("<I", len(b)) + b
    keyed = hmac.new(key, buf, hashlib.sha256).digest()
    print(row[0], keyed == row[7], hashlib.sha256(buf).digest() == row[7])
    prev = row[7]
PY
	assert_success
	assert_output $'1 True False\n2 True False'
}

@test "an older database (plain SHA-256 links) is re-chained once under the key, with an audit_keyed row" {
	skip_on_pg "the attacker of this test rewrites the SQLite file with Python's sqlite3; the chain code it attacks is the same on both engines"
	rows 3
	# make it what a database of the previous release is: SHA-256 links, no keyed mark
	FORGET_KEYED=1 rechain_sha "$TAXID_DB"
	local legacy
	legacy=$(dbq "select value from meta where key = 'audit_head'")
	# the first open (any action, a read here) re-chains it
	run --separate-stderr taxid-verify db
	assert_success
	[ "$(jfield .audit_chain)" = hmac-sha256 ]
	run --separate-stderr taxid-verify audit --head
	assert_success
	[ "$(jfield .rows)" = 4 ]
	[ "$(jfield .id)" = 4 ]
	run dbq_json "select action, detail from audit where id = 4"
	[ "$(jq -r '.[0].action' <<<"$output")" = audit_keyed ]
	json_eq "{\"rows\":3,\"legacy_head\":\"$legacy\",\"legacy_intact\":true}" "$(jq -r '.[0].detail' <<<"$output")"
	# once: later opens leave it alone
	taxid-verify db >/dev/null
	[ "$(dbq "select count(*) from audit where action = 'audit_keyed'")" = 1 ]
	# the triggers are back
	run dbq "update audit set action = 'x' where id = 1"
	assert_failure
	[[ $output == *"append-only"* ]]
}

@test "an older database whose chain was already broken is re-chained with legacy_intact false" {
	skip_on_pg "the attacker of this test rewrites the SQLite file with Python's sqlite3; the chain code it attacks is the same on both engines"
	rows 3
	FORGET_KEYED=1 rechain_sha "$TAXID_DB"
	dbq "update audit set subject = 'forged' where id = 2"
	taxid-verify db >/dev/null
	run dbq "select detail from audit where action = 'audit_keyed'"
	[ "$(jq -r .legacy_intact <<<"$output")" = false ]
	[ "$(jq -r .legacy_broken_at <<<"$output")" = 2 ]
}

@test "making a keyed file look older again does not launder a deletion: a second keying breaks the chain, the anchor fails" {
	skip_on_pg "the attacker of this test rewrites the SQLite file with Python's sqlite3; the chain code it attacks is the same on both engines"
	rows 3
	FORGET_KEYED=1 rechain_sha "$TAXID_DB"
	taxid-verify db >/dev/null # keyed once (row 4)
	rows 2
	local anchor
	anchor=$(head_anchor)
	# delete row 5, recompute the old way and forget the mark: the next open keys it a second time
	FORGET_KEYED=1 rechain_sha "$TAXID_DB" 5
	run --separate-stderr taxid-verify audit
	assert_failure 1
	[ "$(jfield .error.code)" = audit_broken ]
	[[ "$(jfield .error.reason)" == *"keyed a second time"* ]]
	run --separate-stderr taxid-verify audit --anchor "$anchor"
	assert_failure 1
}

@test "a fresh database made without rows has no audit_keyed row; its first row chains from zero under the key" {
	rows 1
	[ "$(dbq "select count(*) from audit where action = 'audit_keyed'")" = 0 ]
	run --separate-stderr taxid-verify audit --head
	[ "$(jfield .id)" = 1 ]
	[ "$(dbq "select hex(prev) from audit where id = 1")" = "$(printf '0%.0s' $(seq 64))" ]
}
