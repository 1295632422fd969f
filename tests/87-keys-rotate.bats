#!/usr/bin/env bats
# 87-keys-rotate: taxid-db keys rotate (issue 18 item 2) through the binaries: every personal field re-sealed and
# every blind index recomputed under a new key, every look-up the same after; the old key file opens nothing;
# killed with SIGKILL at random points and run again, look-ups work in between and the end state is an
# uninterrupted rotation's; an operator is required and every step is audited.
load helper
load bind-helper

local_setup() {
	export TAXID_BUSY_TIMEOUT_MS=60000
}

# rotation_fixture: the bind fixture (people with accounts, two enterprises), migrated accounts, pensioners
# with their sealed pension accounts, a correction (old and new name sealed).
rotation_fixture() {
	bind_fixture
	taxid-register fixture --count 4 --seed 7 | taxid-register import >/dev/null
	local i
	for i in $(seq 10 29); do
		jq -nc --arg d "$(ric "110105194912310$i")" --arg n "退休$i" \
			'{kind:"retiree", doc_type:"201", doc_no:$d, name:$n, pension_account:"62220202001122\($d[-2:])",
			  region:"110105", insurance_type:"enterprise", benefit_start:"2010-01"}'
	done | taxid-survival enroll - 'operator:={"id":"sp-07","role":"specialist"}' >/dev/null
	taxid-survival update doc_type=201 "doc_no=$(ric 11010519491231010)" new_name=退休改名 \
		'operator:={"id":"of-01","role":"officer"}' reason=typo >/dev/null
	[ "$(dbq 'SELECT count(*) FROM survival_correction')" -ge 1 ]
}

# lookups: what every look-up by document number, phone, login name and taxpayer number answers, one line each
# (the answers' fields that depend on time or on the key left out)
lookups() {
	local d
	{
		for d in 110105198001010016 110105198502020028 110105199003030031 110105197504040044; do
			taxid-register show doc_type=201 doc_no=$d operator=op1
		done
		for d in 13800138001 13800138002 13800138003 13800138004; do
			taxid-register show phone=$d operator=op1
		done
		taxid-register fixture --count 4 --seed 7 | jq -r .login_name | while read -r d; do
			taxid-register show login_name="$d" operator=op1
		done
		taxid-register fixture --count 4 --seed 7 | jq -r .phone | while read -r d; do
			taxid-register show phone="$d" operator=op1
		done
		taxid-register --reveal show doc_type=201 doc_no=110105198001010016 operator=op1
		for d in $(seq 10 29); do
			taxid-survival status doc_type=201 "doc_no=$(ric "110105194912310$d")"
		done
		taxid-bind enterprise show tin=$E1
		taxid-bind enterprise show tin=$E2
		taxid-bind --reveal enterprise show tin=$E1 operator=op1
		taxid-bind list tin=$E1 --operator op1
		taxid-survival --reveal status doc_type=201 "doc_no=$(ric 11010519491231010)" operator=op1
	} | jq -c 'del(.line, .created_at, .updated_at, .account.peppered)' # a login rehashes with the pepper
}

data_lines() { grep -c '^data ' "$TAXID_KEY"; }
meta() { dbq "SELECT value FROM meta WHERE key = '$1'"; }

@test "a rotation re-seals every personal field and blind index: every look-up answers the same, the old key file opens nothing" {
	rotation_fixture
	lookups >before.txt
	grep -q '"ok":true' before.txt
	! grep -q '"ok":false' before.txt || { grep '"ok":false' before.txt; false; }
	cp "$TAXID_KEY" old.key
	dbq "SELECT hex(name_enc) FROM person UNION ALL SELECT hex(no_index) FROM document
		UNION ALL SELECT hex(phone_index) FROM account WHERE phone_index IS NOT NULL
		UNION ALL SELECT hex(rep_index) FROM enterprise UNION ALL SELECT hex(account_enc) FROM pensioner" | sort >blobs.before
	run taxid keys rotate operator=op-keys --batch 7
	assert_success
	[ "$(jfield .generation)" = 2 ]
	rows=$(jfield .rows)
	[ "$rows" -ge 80 ]
	[ "$(stat -c %a "$TAXID_KEY")" = 600 ]
	[ "$(data_lines)" = 1 ]
	grep -q '^data 2 ' "$TAXID_KEY"
	[ "$(meta key_gen)" = 2 ]
	[ "$(meta key_next)" = 0 ]
	lookups >after.txt
	diff before.txt after.txt
	# no sealed field or blind index is what it was
	dbq "SELECT hex(name_enc) FROM person UNION ALL SELECT hex(no_index) FROM document
		UNION ALL SELECT hex(phone_index) FROM account WHERE phone_index IS NOT NULL
		UNION ALL SELECT hex(rep_index) FROM enterprise UNION ALL SELECT hex(account_enc) FROM pensioner" | sort >blobs.after
	[ "$(comm -12 blobs.before blobs.after | wc -l)" = 0 ]
	# the old key file is refused ...
	run env TAXID_KEYFILE=old.key taxid-register show doc_type=201 doc_no=110105198001010016 operator=op1
	assert_failure 69
	assert_output --partial 'holds no key of generation 2'
	# ... and even with the database told it is of generation 1 again, the old key opens no row
	db_copy old-view
	TAXID_DB=$(db_path old-view) dbq "UPDATE meta SET value = '1' WHERE key = 'key_gen'"
	run env TAXID_KEYFILE=old.key taxid-register -d "$(db_path old-view)" show doc_type=201 doc_no=110105198001010016 operator=op1
	assert_failure 1
	[ "$(jfield .error.code)" = not_found ]
	run env TAXID_KEYFILE=old.key taxid-register -d "$(db_path old-view)" show login_name=wang_rep operator=op1
	assert_failure
	refute_output --partial '"ok":true'
	run env TAXID_KEYFILE=old.key taxid-register -d "$(db_path old-view)" show phone=13800138001 operator=op1
	assert_failure 1
	[ "$(jfield .error.code)" = not_found ]
	# the audit chain (its key never rotates) still verifies, and doctor is content
	run taxid-verify audit
	assert_success
	[ "$(jfield .chain)" = intact ]
	run taxid doctor
	assert_success
	run dbq "SELECT action || ' ' || actor FROM audit WHERE action LIKE 'keys_%' ORDER BY id"
	assert_line --index 0 'keys_rotate_begin op-keys'
	assert_line 'keys_rotate_batch op-keys'
	assert_line --index $((${#lines[@]} - 1)) 'keys_rotated op-keys'
	[ "$(dbq "SELECT json_extract(detail, '\$.rows') FROM audit WHERE action = 'keys_rotated'")" = "$rows" ]
	# logins by phone and by login name still work, and new records take the new key
	run login_sms 13800138001 "$PW" 13800138001
	assert_success
	account newcomer 'Secr3t!pass' 13900139000 "$(ric 11010519900101001)" 新人
	run taxid-register show phone=13900139000 operator=op1
	assert_success
	[ "$(jfield .name)" = '新*' ]
	# a second rotation goes on to generation 3
	run taxid-db keys rotate operator=op-keys
	assert_success
	[ "$(jfield .generation)" = 3 ]
	lookups >again.txt
	diff before.txt again.txt
}

@test "keys rotate needs an operator and a batch of 1 to 100000; refused, nothing changes" {
	rotation_fixture
	cp "$TAXID_KEY" key.before
	run taxid-db keys rotate
	assert_failure 1
	[ "$(jfield .error.code)" = operator_required ]
	run taxid keys rotate operator=
	assert_failure 1
	[ "$(jfield .error.code)" = operator_required ]
	run taxid-db keys spin operator=op1
	assert_failure 64
	run taxid keys operator=op1
	assert_failure 64
	for b in 0 -1 100001; do
		run taxid-db keys rotate operator=op1 --batch "$b"
		assert_failure 1
		[ "$(jfield .error.field)" = batch ]
	done
	cmp key.before "$TAXID_KEY"
	[ -z "$(meta key_next)" ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action LIKE 'keys_%'")" = 0 ]
	# the boundaries themselves are taken
	run taxid-db keys rotate operator=op1 --batch 1
	assert_success
	run taxid-db keys rotate operator=op1 --batch 100000
	assert_success
	[ "$(jfield .generation)" = 3 ]
	[ "$(jfield .batches)" = 8 ] # one a table: each holds fewer rows than the batch
}

@test "SIGKILL at random points: look-ups work in between, writes go on, a rerun completes as an uninterrupted rotation" {
	rotation_fixture
	# bulk, so that a rotation a row a batch lasts long enough to be killed in: copies of the sealed names (a
	# sealed field is bound to its kind, not to its row, so a copy opens) as persons without documents
	for _ in $(seq 7); do
		dbq "INSERT INTO person(name_enc, level, created_at, updated_at)
			SELECT name_enc, level, created_at, updated_at FROM person"
	done
	[ "$(dbq 'SELECT count(*) FROM person')" -ge 3000 ]
	lookups >before.txt
	# how long a whole rotation takes here, a row a batch: the kills land at random fractions of it
	t0=$(date +%s%N)
	taxid-db keys rotate operator=op-keys --batch 1 >/dev/null
	full=$((($(date +%s%N) - t0) / 1000))
	mid=0
	for _ in $(seq 12); do
		taxid-db keys rotate operator=op-keys --batch 1 >/dev/null 2>&1 &
		pid=$!
		sleep "$(awk -v f="$full" -v r="$RANDOM" 'BEGIN { printf "%.4f", f * (0.05 + r / 32767) / 1e6 }')"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" || true
		if [ "$(meta key_next)" != 0 ] && [ -n "$(meta key_next)" ]; then
			mid=$((mid + 1))
			[ "$(data_lines)" = 2 ] # both keys while a rotation is open
			cp "$TAXID_KEY" mid.key
		fi
		# no half-written key file is ever left in place, and it stays 0600
		[ "$(stat -c %a "$TAXID_KEY")" = 600 ]
		grep -q '^taxid-key-v[12]' "$TAXID_KEY"
		# and it is still a test database's key file (the suite's databases are test databases)
		grep -qx 'mode test' "$TAXID_KEY"
		lookups >between.txt
		diff before.txt between.txt
	done
	echo "killed mid-rotation $mid times" >&3
	[ "$mid" -ge 1 ]
	# a record written while a rotation is open: the same document again is known, a new one is added
	taxid-db keys rotate operator=op-keys --batch 1 >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v f="$full" 'BEGIN { printf "%.4f", f * 0.5 / 1e6 }')"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" || true
	taxid-register fixture --count 4 --seed 7 | taxid-register import | jq -r .status | sort -u >reimport.txt
	[ "$(cat reimport.txt)" = unchanged ]
	account latecomer 'Secr3t!pass' 13900139001 "$(ric 11010519900101002)" 晚到
	run taxid-db keys rotate operator=op-keys
	assert_success
	gen=$(jfield .generation)
	[ "$(data_lines)" = 1 ]
	grep -q "^data $gen " "$TAXID_KEY"
	[ "$(meta key_next)" = 0 ]
	lookups >after.txt
	diff before.txt after.txt
	run taxid-register show phone=13900139001 operator=op1
	assert_success
	[ "$(jfield .name)" = '晚*' ]
	run taxid-verify audit
	assert_success
	[ "$(jfield .chain)" = intact ]
	run taxid doctor
	assert_success
	# the state after the database's commit and before the old key left the file: a rerun only drops it
	cp mid.key "$TAXID_KEY.mid"
	last=$(grep '^data ' "$TAXID_KEY")
	{ grep -v '^data ' "$TAXID_KEY"; grep '^data ' mid.key | head -n 1; echo "$last"; } >both.key
	chmod 600 both.key
	mv both.key "$TAXID_KEY"
	[ "$(data_lines)" = 2 ]
	run taxid-db keys rotate operator=op-keys
	assert_success
	[ "$(jfield .generation)" = "$gen" ]
	[ "$(jfield .rows)" = 0 ]
	[ "$(data_lines)" = 1 ]
	lookups >final.txt
	diff before.txt final.txt
}

@test "a tool reading requests for hours follows a rotation: it reads and writes under the new key" {
	rotation_fixture
	mkfifo in.fifo
	taxid-register import --batch-size 1 <in.fifo >import.out 2>import.err &
	pid=$!
	exec 5>in.fifo
	taxid-register fixture --count 1 --seed 90 >&5
	for _ in $(seq 100); do [ -s import.out ] && break; sleep 0.1; done
	[ "$(jq -r .status import.out)" = created ]
	run taxid-db keys rotate operator=op-keys
	assert_success
	# the same document again is known (a look-up under the new key), a new one is sealed with it
	taxid-register fixture --count 1 --seed 90 >&5
	taxid-register fixture --count 2 --seed 91 | tail -n 1 >&5
	exec 5>&-
	wait "$pid"
	[ "$(jq -r .status import.out | tr '\n' ' ')" = 'created unchanged created ' ]
	[ ! -s import.err ]
	for seed in 90 91; do
		phone=$(taxid-register fixture --count 2 --seed $seed | head -n 1 | jq -r .phone)
		[ $seed = 90 ] || phone=$(taxid-register fixture --count 2 --seed $seed | tail -n 1 | jq -r .phone)
		run taxid-register show phone="$phone" operator=op1
		assert_success
		[ "$(jfield .account.phone)" != null ]
	done
}

@test "a key file without the key of a generation the database names, or with a wrong one, is refused" {
	rotation_fixture
	dbq "INSERT INTO meta(key, value) VALUES ('key_next', '7')"
	run taxid-register show doc_type=201 doc_no=110105198001010016 operator=op1
	assert_failure 69
	assert_output --partial 'holds no key of generation 7'
	dbq "DELETE FROM meta WHERE key = 'key_next'"
	run taxid-db keys rotate operator=op-keys
	assert_success
	# the data key of generation 2 replaced by another: its check value is not the database's
	# (the first hex digit flipped, 0 and 1 each way: the old two-step sed left a key starting 0x unchanged)
	local before
	before=$(grep '^data 2 ' "$TAXID_KEY")
	sed -i -E '/^data 2 /{s/^data 2 0/data 2 X/; s/^data 2 [^X]/data 2 0/; s/^data 2 X/data 2 1/}' "$TAXID_KEY"
	[ "$(grep '^data 2 ' "$TAXID_KEY")" != "$before" ]
	run taxid-register show doc_type=201 doc_no=110105198001010016 operator=op1
	assert_failure 69
	assert_output --partial 'the key of generation 2'
	assert_output --partial 'does not belong'
}
