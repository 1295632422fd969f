#!/usr/bin/env python3
"""Generate the hostile-request corpus of tests/71-hostile.bats: one TSV per target in this directory.

    python3 tests/data/hostile/gen.py          # rewrite the .tsv files
    python3 tests/data/hostile/gen.py --check  # exit 1 when a committed .tsv differs from what this makes

Each .tsv line is   ID <TAB> CODES <TAB> REQUEST
  ID       a stable name of the case
  CODES    the expected error code of each result the line gives, comma-separated (almost always one)
  REQUEST  the raw bytes of one input line, escaped for bash's printf %b: printable ASCII and valid non-ASCII
           UTF-8 characters as they are (except the backslash, written \\\\), every other byte as \\xNN.
Lines starting with # are comments. A target's tool and action, and the valid request interleaved after every
hostile one, are in tests/71-hostile.bats.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

SQLI = ["' OR '1'='1' --", "1; DROP TABLE person; --", "\" UNION SELECT hex(no_enc) FROM document --"]
TRAVERSAL = "../../../../etc/passwd"
BIDI = "张\u202e三"  # RIGHT-TO-LEFT OVERRIDE inside a name
ISOLATE = "张\u2066三\u2069"  # LEFT-TO-RIGHT ISOLATE ... POP DIRECTIONAL ISOLATE
C0 = "张\u0007三"  # BEL
C1 = "张\u0085三"  # NEXT LINE, a C1 control
DEL = "张\u007f三"
LONG = "A" * 5000  # over the 4096-byte limit of a text field


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def with_member(base, key, raw_value):
    """base with key's value replaced by the raw JSON text raw_value (bytes), keeping the member order."""
    parts = []
    done = False
    for k, v in base.items():
        if k == key:
            parts.append(dumps(k) + b":" + raw_value)
            done = True
        else:
            parts.append(dumps(k) + b":" + dumps(v))
    if not done:
        parts.append(dumps(key) + b":" + raw_value)
    return b"{" + b",".join(parts) + b"}"


def escape(b):
    out = []
    s = b.decode("utf-8", errors="surrogateescape")
    for ch in s:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:  # an undecodable byte
            out.append("\\x%02x" % (o - 0xDC00))
        elif ch == "\\":
            out.append("\\\\")
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        elif o >= 0xA0 and not (0x2000 <= o <= 0x206F) and o not in (0xFEFF, 0xFFFE, 0xFFFF):
            out.append(ch)
        else:
            out.append("".join("\\x%02x" % x for x in ch.encode("utf-8", errors="surrogatepass")))
    return "".join(out)


class Target:
    def __init__(self, name, base):
        self.name = name
        self.base = base
        self.cases = []

    def add(self, cid, codes, raw):
        if isinstance(raw, (dict, list)):
            raw = dumps(raw)
        if isinstance(raw, str):
            raw = raw.encode()
        assert b"\n" not in raw, cid
        assert cid not in [c[0] for c in self.cases], cid
        self.cases.append((cid, codes, raw))

    def member(self, cid, codes, key, raw_value):
        if isinstance(raw_value, str):
            raw_value = raw_value.encode()
        self.add(cid, codes, with_member(self.base, key, raw_value))

    def value(self, cid, codes, key, value):
        self.member(cid, codes, key, dumps(value))

    def without(self, cid, codes, key):
        self.add(cid, codes, {k: v for k, v in self.base.items() if k != key})


def stream_cases(t):
    """Damage to the stream itself: the same codes whatever the action."""
    b = dumps(t.base)
    t.add("stream.not-json", "bad_json", "this is not json")
    t.add("stream.array", "bad_request", "[1,2,3]")
    t.add("stream.string", "bad_request", '"a string"')
    t.add("stream.number", "bad_request", "42")
    t.add("stream.null", "bad_request", "null")
    t.add("stream.nul-bytes", "bad_json", b"\x00\x00\x00")
    t.add("stream.nul-in-object", "bad_json", b[:-1] + b',"x":"a\x00b"}')
    t.add("stream.nul-escape", "bad_json", b[:-1] + b',"x":"a\\u0000b"}')
    t.add("stream.invalid-utf8", "bad_json", b[:-1] + b',"x":"\xff\xfe"}')
    t.add("stream.overlong-utf8", "bad_json", b[:-1] + b',"x":"\xc0\xaf"}')
    t.add("stream.surrogate-utf8", "bad_json", b[:-1] + b',"x":"\xed\xa0\x80"}')
    t.add("stream.lone-surrogate-escape", "bad_json", b[:-1] + b',"x":"\\ud800"}')
    t.add("stream.truncated-utf8", "bad_json", b[:-1] + b',"x":"\xe5\xbc"}')
    t.add("stream.latin1", "bad_json", b[:-1] + b',"x":"M\xfcller"}')
    t.add("stream.garbage-after", "ok,bad_json", b + b"garbage")  # several objects may share a line
    t.add("stream.unterminated-object", "bad_json", b[:-1])
    t.add("stream.unterminated-string", "bad_json", b[:-1] + b',"x":"abc')
    t.add("stream.trailing-comma", "bad_json", b[:-1] + b",}")
    t.add("stream.single-quotes", "bad_json", b"{'doc_type':'201'}")
    t.add("stream.comment", "bad_json", b"/* comment */" + b)
    t.add("stream.duplicate-key", "bad_json", b[:-1] + b"," + b[1:])
    t.add("stream.deep-300", "bad_json", b"{\"x\":" + b"[" * 300 + b"]" * 300 + b"}")
    t.add("stream.deep-objects-300", "bad_json", b"{\"x\":" + b"{\"y\":" * 299 + b"1" + b"}" * 300)
    t.add("stream.huge-real", "bad_json", b[:-1] + b',"x":1e400}')
    t.add("stream.huge-integer", "bad_json", b[:-1] + b',"x":99999999999999999999999}')
    t.add("stream.nan", "bad_json", b[:-1] + b',"x":NaN}')
    t.add("stream.two-unfinished-on-a-line", "bad_json", b"{\"a\":1 {\"b\":2")


def text_cases(t, key, hostile_code, **over):
    """A text member: control characters and bidi overrides are bad_utf8, wrong types bad_type, null, empty and
    absent missing_field; SQL injection and path traversal get hostile_code (the member's content check). over
    changes the code of a case by its name (sql-injection, path-traversal, number, null, empty, absent, overlong)."""
    def code(case, default):
        return over.get(case.replace("-", "_"), default)

    t.value(key + ".bidi-override", "bad_utf8", key, BIDI)
    t.value(key + ".bidi-isolate", "bad_utf8", key, ISOLATE)
    t.value(key + ".bel", "bad_utf8", key, C0)
    t.value(key + ".c1-control", "bad_utf8", key, C1)
    t.value(key + ".del", "bad_utf8", key, DEL)
    t.value(key + ".tab", "bad_utf8", key, "张\t三")
    t.value(key + ".newline-escape", "bad_utf8", key, "张\n三")
    t.value(key + ".overlong", code("overlong", "bad_value"), key, LONG)
    t.value(key + ".number", code("number", "bad_type"), key, 12345)
    t.value(key + ".negative", code("number", "bad_type"), key, -1)
    t.value(key + ".array", "bad_type", key, ["x"])
    t.value(key + ".object", "bad_type", key, {"x": 1})
    t.value(key + ".bool", "bad_type", key, True)
    t.value(key + ".null", code("null", "missing_field"), key, None)
    t.value(key + ".empty", code("empty", "missing_field"), key, "")
    t.without(key + ".absent", code("absent", "missing_field"), key)
    for i, s in enumerate(SQLI):
        t.value("%s.sql-injection-%d" % (key, i + 1), code("sql-injection", hostile_code), key, s)
    t.value(key + ".path-traversal", code("path-traversal", hostile_code), key, TRAVERSAL)


def int_cases(t, key, bad="bad_value"):
    t.value(key + ".negative", bad, key, -1)
    t.value(key + ".zero", bad, key, 0)
    t.value(key + ".int64-max", bad, key, 9223372036854775807)
    t.value(key + ".int64-min", bad, key, -9223372036854775808)
    t.value(key + ".wraps-to-1", bad, key, 4294967297)
    t.member(key + ".past-int64", "bad_json", key, "9223372036854775808")
    t.member(key + ".huge-real", "bad_json", key, "1e400")
    t.value(key + ".fraction", "bad_type", key, 1.5)
    t.value(key + ".string-junk", "bad_type", key, "12abc")
    t.value(key + ".array", "bad_type", key, [12])
    t.value(key + ".bool", "bad_type", key, True)


def date_cases(t, key, bad="bad_value"):
    for d in ["2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "0000-00-00", "2026-2-3",
              "20260230", "9999-99-99", "2026-02-30T00:00:00Z", "-001-01-01", "２０２６-０１-０１"]:
        t.value("%s.date-%s" % (key, d.encode().hex() if not d.isascii() else d), bad, key, d)


def targets():
    ts = []

    # taxid-verify identity: no database; doc_type, doc_no, name.
    t = Target("verify-identity", {"doc_type": "201", "doc_no": "11010519491231002X", "name": "张三"})
    stream_cases(t)
    text_cases(t, "doc_no", "bad_format")
    t.value("doc_no.fullwidth-digits-sqli", "bad_format", "doc_no", "１１０１０５' OR 1=1")
    t.value("doc_no.date-0230", "bad_birth_date", "doc_no", "110105202602300017")
    t.value("doc_no.date-1300", "bad_birth_date", "doc_no", "110105202613010015")
    t.value("doc_no.future", "future_birth_date", "doc_no", "110105202712310011")
    text_cases(t, "doc_type", "unknown_doc_type", number="unknown_doc_type")  # 201 may be a number
    t.value("doc_type.huge", "unknown_doc_type", "doc_type", "99999999999999999999")
    t.value("doc_type.negative-text", "unknown_doc_type", "doc_type", "-201")
    t.value("name.bidi", "bad_utf8", "name", BIDI)
    t.value("name.control", "bad_utf8", "name", C0)
    t.value("name.overlong", "bad_value", "name", LONG)
    t.value("name.number", "bad_type", "name", 7)
    ts.append(t)

    # taxid-verify uscc / mobile / bank-card: one value.
    for name, base, code in [("verify-uscc", "91350100M000100Y43", "bad_format"),
                             ("verify-mobile", "13800138000", "bad_format"),
                             ("verify-bank-card", "6222020200112233446", "bad_format")]:
        t = Target(name, {"value": base})
        text_cases(t, "value", code)
        ts.append(t)

    # taxid-register import (a batch action): doc_type, doc_no, name, phone, login_name, password_hash, dates.
    t = Target("register-import", {"doc_type": "201", "doc_no": "@DOC", "name": "测试人", "login_name": "@LOGIN",
                                   "phone": "@PHONE", "initial_password": "doc_tail6", "expires_on": "2030-01-01"})
    stream_cases(t)
    text_cases(t, "doc_no", "bad_format")
    # a name is data: quotes, semicolons and slashes are stored (encrypted, through bound parameters), not run
    text_cases(t, "name", "ok")
    text_cases(t, "phone", "bad_format", null="ok", absent="ok", empty="bad_format")  # the phone is optional
    for key in ["login_name"]:
        t.value(key + ".sql-injection", "login_name_invalid", key, SQLI[0])
        t.value(key + ".bidi", "bad_utf8", key, BIDI)
        t.value(key + ".overlong", "bad_value", key, LONG)
        t.value(key + ".number", "bad_type", key, 5)
        t.value(key + ".path-traversal", "login_name_invalid", key, TRAVERSAL)
    t.value("password_hash.absurd-memory", "bad_value", "password_hash",
            "$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
    t.value("password_hash.not-phc", "bad_value", "password_hash", "' OR 1=1 --")
    t.value("password_hash.md5", "bad_value", "password_hash", "5f4dcc3b5aa765d61d8327deb882cf99")
    date_cases(t, "expires_on")
    t.value("face_verified.string", "bad_type", "face_verified", "yes")
    t.value("face_verified.number", "bad_type", "face_verified", 2)
    ts.append(t)

    # taxid-login password: an unknown account's attempts never touch the valid account's counters.
    t = Target("login-password", {"account": "valid_user", "password": "Right#Pass1"})
    stream_cases(t)
    t.value("account.sql-injection-1", "bad_credentials", "account", "x' OR '1'='1")
    t.value("account.sql-injection-2", "captcha_required", "account", "x' OR '1'='1")
    t.value("account.union", "bad_credentials", "account", "\" UNION SELECT password_hash FROM account --")
    t.value("account.bidi", "bad_utf8", "account", "valid\u202e_user")
    t.value("account.control", "bad_utf8", "account", "valid_user\u0007")
    t.value("account.overlong", "bad_value", "account", LONG)
    t.value("account.number", "bad_type", "account", 13800138000)
    t.value("account.array", "bad_type", "account", ["valid_user"])
    t.value("account.null", "missing_field", "account", None)
    t.value("account.path-traversal", "bad_credentials", "account", TRAVERSAL)
    t.value("password.number", "bad_type", "password", 12345678)
    t.value("password.object", "bad_type", "password", {"$ne": ""})
    t.value("password.bool", "bad_type", "password", True)
    t.value("password.null", "missing_field", "password", None)
    t.value("password.empty", "missing_field", "password", "")
    t.value("password.overlong", "bad_value", "password", LONG)
    t.value("password.control", "bad_utf8", "password", "Right#Pass1\u0000"[:-1] + "\u0001")
    # that unknown account now needs a captcha: a hostile one is refused for what it is (on the valid account,
    # which needs none, a captcha member is not looked at)
    shadow = "x' OR '1'='1"
    t.add("captcha.not-object", "verdict_malformed", {"account": shadow, "password": "x", "captcha": "solved"})
    t.add("captcha.forged", "verdict_untrusted",
          {"account": shadow, "password": "x", "captcha": {"issuer": "me", "payload": "e30=", "sig": "AAAA"}})
    t.add("captcha.sql-injection-issuer", "verdict_untrusted",
          {"account": shadow, "password": "x", "captcha": {"issuer": SQLI[0], "payload": "e30=", "sig": "AAAA"}})
    t.add("captcha.deep", "bad_json", b'{"account":"x","password":"x","captcha":' + b"[" * 300 + b"]" * 300 + b"}")
    t.add("captcha.array", "verdict_malformed", {"account": shadow, "password": "x", "captcha": []})
    ts.append(t)

    # taxid-survival enroll (a batch action).
    t = Target("survival-enroll", {"kind": "retiree", "doc_type": "201", "doc_no": "@DOC", "name": "测试人",
                                   "pension_account": "P1", "region": "110105", "insurance_type": "enterprise",
                                   "benefit_start": "2010-01", "last_certified": "2026-06-01"})
    stream_cases(t)
    text_cases(t, "region", "bad_value")
    t.value("region.fullwidth", "bad_value", "region", "１１０１０５")
    t.value("region.abolished-looking", "bad_value", "region", "999999")
    date_cases(t, "last_certified")
    for v in ["2010-13", "2010-00", "2010", "10-01", "2010-1", "9999-99", TRAVERSAL, SQLI[1]]:
        t.value("benefit_start." + v.encode().hex(), "bad_value", "benefit_start", v)
    t.value("kind.sql-injection", "bad_value", "kind", SQLI[0])
    t.value("kind.number", "bad_type", "kind", 1)
    t.value("insurance_type.path-traversal", "bad_value", "insurance_type", TRAVERSAL)
    ts.append(t)

    # taxid-survival policy set: the window policy parser.
    t = Target("survival-policy", {"region": "110105", "kind": "fixed", "deadline": "06-30", "grace_days": 10,
                                   "reminders": [30, 7]})
    int_cases(t, "months")
    for k in ["grace_days"]:
        t.value(k + ".negative", "bad_value", k, -1)
        t.value(k + ".huge", "bad_value", k, 9223372036854775807)
        t.value(k + ".wraps-to-0", "bad_value", k, 4294967296)
        t.value(k + ".string", "bad_type", k, "ten")
    for d in ["02-30", "02-31", "13-01", "00-10", "6-30", "0630", "06-30-2026", "--", TRAVERSAL]:
        t.value("deadline." + d.encode().hex(), "bad_value", "deadline", d)
    t.value("deadline.number", "bad_type", "deadline", 630)
    t.value("reminders.negative", "bad_value", "reminders", [-1])
    t.value("reminders.too-many", "bad_value", "reminders", list(range(1, 20)))
    t.value("reminders.string", "bad_value", "reminders", "30,7")
    t.value("reminders.nested", "bad_value", "reminders", [[30]])
    t.value("reminders.huge", "bad_value", "reminders", [9223372036854775807])
    # a rolling window takes months: the values that would wrap to a small int are refused, not wrapped
    rolling = {"region": "110105", "kind": "rolling", "grace_days": 10}
    for v in [4294967297, 4294967308, -4294967284, 9223372036854775807, 61, 0]:
        t.add("months.rolling-%d" % v, "bad_value", dict(rolling, months=v))
    t.add("months.rolling-60", "ok", dict(rolling, months=60))
    t.value("kind.unknown", "bad_value", "kind", "weekly")
    t.value("kind.sql-injection", "bad_value", "kind", SQLI[0])
    t.value("region.sql-injection", "bad_value", "region", SQLI[1])
    t.value("region.path-traversal", "bad_value", "region", TRAVERSAL)
    t.value("operator.string", "bad_type", "operator", TRAVERSAL)
    t.value("operator.role-injection", "bad_value", "operator", {"id": "op1", "role": SQLI[0]})
    ts.append(t)

    # taxid-lockout policy set: the lock policy parser.
    t = Target("lockout-policy", {"scope": "sms", "threshold": 5, "window": "sliding", "window_seconds": 3600,
                                  "duration": "seconds", "duration_seconds": 7200})
    int_cases(t, "threshold")
    int_cases(t, "window_seconds")
    int_cases(t, "duration_seconds")
    t.value("scope.sql-injection", "bad_value", "scope", SQLI[0])
    t.value("scope.path-traversal", "bad_value", "scope", TRAVERSAL)
    t.value("scope.bidi", "bad_utf8", "scope", "s\u202ems")
    t.value("window.unknown", "bad_value", "window", "forever")
    t.value("duration.unknown", "bad_value", "duration", "1h")
    t.value("duration.number", "bad_type", "duration", 7200)
    ts.append(t)
    return ts


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    total = 0
    for t in targets():
        lines = ["# %s: %d hostile requests; generated by gen.py, do not edit" % (t.name, len(t.cases))]
        for cid, codes, raw in t.cases:
            lines.append("%s\t%s\t%s" % (cid, codes, escape(raw)))
        text = "\n".join(lines) + "\n"
        total += len(t.cases)
        path = os.path.join(HERE, t.name + ".tsv")
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(path)
            except FileNotFoundError:
                stale.append(path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if check and stale:
        print("stale: " + " ".join(stale), file=sys.stderr)
        return 1
    if not check:
        print("%d hostile requests" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
