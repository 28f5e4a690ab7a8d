#!/usr/bin/env python3
"""make-seeds.py - build the seed corpora in tests/fuzz/corpus/<target>/ from
the project's fixtures (captures, policy tables, configs).  Idempotent; run
from anywhere."""
import glob, hashlib, json, os, sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def put(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# http: 4 control bytes + the raw stream; a few option combinations each
for path in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/captures/*.c2s"))):
    raw = read(path)[:65536]
    for ctl in (b"\x07\x07\x00\x00", b"\x2a\x3b\x11\x05", b"\x01\x2e\x00\x00"):
        put("http_req", ctl + raw)
for path in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/captures/*.s2c"))):
    raw = read(path)[:65536]
    for ctl in (b"\x07\x00\x00\x00", b"\x2a\x0a\x11\x05", b"\x01\x3e\x00\x00", b"\x05\x01\x00\x00"):
        put("http_resp", ctl + raw)

# policy: who, flags, METHOD\nTARGET\nCT\nBODY [\0\1L status json]*
SEP = b"\x00\x01L"
STATUS = {200: 0, 404: 1, 0: 2, 500: 3, 409: 6}
compliant = json.loads(read(os.path.join(ROOT, "tests/fixtures/policy/compliant-create.json")))


def merge(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(a.get(k), v) if k in a else v
        return out
    return b


WHO = {None: 0, "cn=dev-alice": 1, "cn=ci": 2, "uid=0,gid=0,user=root": 3, "cn=backup": 5,
       # tenants.json: alice is tenant red, bob and carol (quotas) the other tenant
       "cn=alice": 8, "cn=bob": 9, "cn=carol": 9}
for path in sorted(glob.glob(os.path.join(ROOT, "tests/policy/*.json"))):
    table = json.loads(read(path))
    for tc in table.get("cases", []):
        body = b""
        if "body" in tc:
            body = json.dumps(tc["body"]).encode()
        elif "body_raw" in tc:
            body = tc["body_raw"].encode("utf-8", "surrogatepass")
        elif "body_file" in tc:
            body = read(os.path.join(ROOT, "tests", tc["body_file"]))
        elif "merge" in tc:
            body = json.dumps(merge(compliant, tc["merge"])).encode()
        ct = tc.get("content_type", "application/json" if body else "")
        head = "%s\n%s\n%s\n" % (tc.get("method", "POST"), tc.get("target", "/"), ct)
        tail = b""
        for lk in tc.get("lookups", []):
            tail += SEP + bytes([STATUS.get(lk.get("status", 200), 0)]) + \
                json.dumps(lk.get("json", {})).encode()
        ident = tc.get("identity")
        who = WHO.get(ident, 6 if "config" in table else 0)
        for w in sorted({who, 0}):
            put("policy", bytes([w, 0x02]) + head.encode("utf-8", "surrogatepass") + body + tail)
for path in sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/policy/*.json"))):
    body = read(path)
    for w in range(10):
        put("policy", bytes([w, 0x32]) + b"POST\n/v1.41/containers/create\napplication/json\n" + body)

# config: the shipped and the bad configurations as they are
for path in sorted(glob.glob(os.path.join(ROOT, "conf/*.json")) +
                   glob.glob(os.path.join(ROOT, "tests/fixtures/config/bad/*.json"))):
    put("config", read(path))

for t in ("http_req", "http_resp", "policy", "config"):
    n = len(os.listdir(os.path.join(OUT, t))) if os.path.isdir(os.path.join(OUT, t)) else 0
    print("%s: %d seeds" % (t, n))
