#!/usr/bin/env python3
"""policy_raw.py - raw-socket policy checks: bypass forms of a privileged
create, rules no docker CLI command can break, and an inventory of the engine.

Usage:
  policy_raw.py bypass SOCKWARD_SOCK NETWORK NAME_PREFIX
  policy_raw.py values SOCKWARD_SOCK NETWORK NAME_PREFIX ENGINE_SOCK
  policy_raw.py rawrules SOCKWARD_SOCK NETWORK NAME_PREFIX ROOT_CONTAINER
  policy_raw.py inventory ENGINE_SOCK
Every request is sent as exact bytes; every answer is asserted (status and
the message of Docker's {"message": ...} body).  Exit 1 on the first failure.
"""
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from edges import connect, read_response  # noqa: E402

PREFIX = "sockward: denied by policy 'restricted'"
MiB = 1024 * 1024


def expect(cond, what):
    if not cond:
        raise AssertionError(what)
    print("  ok: " + what)


def request(sock, method, target, body=b"", ctype="application/json", chunked=False,
            extra=b""):
    """One request on a fresh connection; returns (status, message or body)."""
    s = connect(sock)
    s.settimeout(30)
    head = b"%s %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: policy_raw\r\n" % (
        method.encode(), target.encode("latin-1"))
    if ctype is not None:
        head += b"Content-Type: " + ctype.encode() + b"\r\n"
    head += extra
    if chunked:
        head += b"Transfer-Encoding: chunked\r\n\r\n"
        parts = []
        for i in range(0, len(body), 7):        # small uneven chunks
            part = body[i:i + 7]
            parts.append(b"%x\r\n%s\r\n" % (len(part), part))
        parts.append(b"0\r\n\r\n")
        data = b"".join(parts)
    else:
        head += b"Content-Length: %d\r\n\r\n" % len(body)
        data = body
    try:
        s.sendall(head + data)
    except (BrokenPipeError, ConnectionResetError):
        pass        # an early answer (413) may close the connection mid-body
    st, _h, rbody, _ = read_response(s)
    s.close()
    try:
        msg = json.loads(rbody).get("message", "")
    except (ValueError, AttributeError):
        msg = rbody.decode("latin-1")
    return st, msg


def compliant(network, **top):
    """A create body every restricted rule accepts (on a user-defined network)."""
    hc = {
        "NetworkMode": network, "CapDrop": ["ALL"], "SecurityOpt": ["no-new-privileges"],
        "ReadonlyRootfs": True, "Memory": 67108864, "NanoCpus": 500000000, "PidsLimit": 64,
        "MaskedPaths": None, "ReadonlyPaths": None,
    }
    body = {"Image": "local/busybox:1.36", "User": "1000:1000", "Cmd": ["true"],
            "HostConfig": hc}
    body.update(top)
    return body


def hc_json(network):
    """The compliant HostConfig as JSON text without its closing brace, so a
    case can append raw key/value text."""
    return json.dumps(compliant(network)["HostConfig"])[:-1]


def body_with_hc(network, hc_text, hc_key="HostConfig"):
    return ('{"Image":"local/busybox:1.36","User":"1000:1000","Cmd":["true"],"%s":%s}'
            % (hc_key, hc_text)).encode("utf-8")


def check_bypass(sock, network, prefix):
    hc = hc_json(network)
    n = [0]

    def target(path="/v1.41/containers/create"):
        n[0] += 1
        return "%s?name=%s-%d" % (path, prefix, n[0])

    def denied(what, st, msg, status, needle):
        expect(st == status, "%s -> %d (got %d: %s)" % (what, status, st, msg[:300]))
        expect(needle in msg, "%s: message contains %r (%s)" % (what, needle, msg[:300]))

    def rule_denied(what, st, msg, rule="privileged"):
        denied(what, st, msg, 403, PREFIX)
        expect("[%s]" % rule in msg, "%s: message names [%s]" % (what, rule))

    # sanity: the compliant body is allowed (so every denial below is the bypass part)
    st, msg = request(sock, "POST", target(), json.dumps(compliant(network)).encode())
    expect(st == 201, "compliant raw create -> 201 (got %d: %s)" % (st, msg[:300]))

    priv = body_with_hc(network, hc + ',"Privileged":true}')

    # CVE-2024-41110: the body arrives chunked (no Content-Length)
    st, msg = request(sock, "POST", target(), priv, chunked=True)
    rule_denied("chunked privileged create", st, msg)

    # more than the 1 MiB inspection cap: padding in Labels, Privileged at the end
    big = ('{"Image":"local/busybox:1.36","User":"1000:1000","Labels":{"pad":"%s"},'
           '"HostConfig":%s,"Privileged":true}}' % ("x" * (MiB + 4096), hc)).encode()
    st, msg = request(sock, "POST", target(), big)
    expect(st == 413, "1 MiB+ privileged create (Content-Length) -> 413 (got %d)" % st)
    st, msg = request(sock, "POST", target(), big, chunked=True)
    expect(st == 413, "1 MiB+ privileged create (chunked) -> 413 (got %d)" % st)

    # Content-Type spellings dockerd accepts as JSON
    for ct in ("application/json; charset=utf-8", "APPLICATION/JSON",
               "Application/Json ; charset=UTF-8"):
        st, msg = request(sock, "POST", target(), priv, ctype=ct)
        rule_denied("Content-Type %r" % ct, st, msg)
    # no Content-Type at all, and one dockerd would not read as JSON
    st, msg = request(sock, "POST", target(), priv, ctype=None)
    expect(st in (400, 403), "no Content-Type -> 400/403 (got %d: %s)" % (st, msg[:200]))
    st, msg = request(sock, "POST", target(), priv, ctype="text/plain")
    expect(st == 400, "text/plain privileged create -> 400 (got %d: %s)" % (st, msg[:200]))
    st, msg = request(sock, "POST", target(), priv,
                      ctype="application/x-www-form-urlencoded")
    expect(st == 400, "form-urlencoded privileged create -> 400 (got %d)" % st)

    # keys Go's encoding/json folds onto HostConfig / Privileged / NetworkMode
    cases = [
        ("lower-case hostconfig", body_with_hc(network, hc + ',"Privileged":true}', "hostconfig"),
         "privileged"),
        ("upper-case PRIVILEGED", body_with_hc(network, hc + ',"PRIVILEGED":true}'), "privileged"),
        ("Hoſtconfig (U+017F)", body_with_hc(network, hc + ',"Privileged":true}', "Ho\u017ftconfig"),
         "privileged"),
        ("\\u0050rivileged escape", body_with_hc(network, hc + ',"\\u0050rivileged":true}'),
         "privileged"),
        ("\\u017f escape in the HostConfig key",
         body_with_hc(network, hc + ',"Privileged":true}', "Ho\\u017ftConfig"), "privileged"),
    ]
    for what, body, rule in cases:
        st, msg = request(sock, "POST", target(), body)
        rule_denied(what, st, msg, rule)
    # NetworKMode with the Kelvin sign: the only NetworkMode key -> host namespace
    hc_nonet = json.dumps({k: v for k, v in compliant(network)["HostConfig"].items()
                           if k != "NetworkMode"})[:-1]
    st, msg = request(sock, "POST", target(),
                      body_with_hc(network, hc_nonet + ',"Networ\u212aMode":"host"}'))
    rule_denied("NetworKMode (U+212A Kelvin sign) host", st, msg, "namespaces.network")
    # ... and as a second key folding onto NetworkMode: dockerd's last-wins -> 400
    st, msg = request(sock, "POST", target(),
                      body_with_hc(network, hc + ',"Networ\u212aMode":"host"}'))
    expect(st in (400, 403), "NetworkMode + NetworKMode -> 400/403 (got %d: %s)" % (st, msg[:200]))
    expect(st == 400 or "[namespaces.network]" in msg, "NetworkMode + NetworKMode never allowed")

    # duplicate keys and two spellings of one Go field: 400
    for what, text in [
        ("duplicate Privileged false,true", hc + ',"Privileged":false,"Privileged":true}'),
        ("Privileged + privileged", hc + ',"Privileged":false,"privileged":true}'),
    ]:
        st, msg = request(sock, "POST", target(), body_with_hc(network, text))
        expect(st == 400, "%s -> 400 (got %d: %s)" % (what, st, msg[:200]))
    st, msg = request(sock, "POST", target(),
                      ('{"Image":"local/busybox:1.36","User":"1000:1000","HostConfig":%s},'
                       '"HostConfig":{"Privileged":true}}' % hc).encode())
    expect(st == 400, "duplicate HostConfig object -> 400 (got %d: %s)" % (st, msg[:200]))

    # wrong Go types
    st, msg = request(sock, "POST", target(), body_with_hc(network, hc + ',"Privileged":1}'))
    expect(st == 400, '"Privileged": 1 -> 400 (got %d: %s)' % (st, msg[:200]))
    st, msg = request(sock, "POST", target(), body_with_hc(network, hc + ',"Privileged":"true"}'))
    expect(st == 400, '"Privileged": "true" -> 400 (got %d: %s)' % (st, msg[:200]))

    # trailing data after the JSON value
    for what, tail in [("second object", b'{"HostConfig":{"Privileged":true}}'),
                       ("garbage", b"xyz"), ("NUL", b"\x00")]:
        st, msg = request(sock, "POST", target(), body_with_hc(network, hc + "}") + tail)
        expect(st == 400, "trailing %s after the JSON -> 400 (got %d: %s)" % (what, st, msg[:200]))

    # HostConfig fields at the top level of the create body: judged as dockerd
    # applies them (issue 8), tested by "values" (t_policy_values.sh)

    # paths dockerd would route to create after decoding
    st, msg = request(sock, "POST", target("/v1.41/containers%2Fcreate"), priv)
    expect(st == 400, "/v1.41/containers%%2Fcreate -> 400 (got %d: %s)" % (st, msg[:200]))
    st, msg = request(sock, "POST", target("/v1.41/containers%2fcreate"), priv)
    expect(st == 400, "/v1.41/containers%%2fcreate -> 400 (got %d)" % st)
    st, msg = request(sock, "POST", target("/v1.41/%63ontainers/create"), priv)
    expect(st == 400 or (st == 403 and "[privileged]" in msg),
           "/v1.41/%%63ontainers/create -> 400 or 403 [privileged] (got %d: %s)" % (st, msg[:200]))
    for path, status, rule in [
            ("/v1.41//containers/create", 400, None), ("/v1.41/./containers/create", 400, None),
            ("/v1.41/x/../containers/create", 400, None),
            ("/v1.41/containers/create/", 400, None),
            ("/v1.41/containers/create%00", 400, None),
            ("/V1.41/containers/create", 403, "endpoint"),      # dockerd: 404, not create
            ("/containers/create", 403, "privileged")]:         # unversioned = create
        st, msg = request(sock, "POST", target(path), priv)
        expect(st == status, "%s privileged -> %d (got %d: %s)" % (path, status, st, msg[:200]))
        if rule:
            expect("[%s]" % rule in msg, "%s: message names [%s]" % (path, rule))

    # an API version below the window; HostConfig at start (API < 1.24 semantics)
    st, msg = request(sock, "POST", target("/v1.23/containers/create"), priv)
    rule_denied("/v1.23/containers/create", st, msg, "api.version")
    st, msg = request(sock, "POST", target("/v1.12/containers/create"), priv)
    rule_denied("/v1.12/containers/create", st, msg, "api.version")


def check_rawrules(sock, network, prefix, root_container):
    """Rules no docker CLI (28.x) command can break as such."""
    hc = hc_json(network)

    def rule_denied(what, st, msg, rule, status=403):
        expect(st == status, "%s -> %d (got %d: %s)" % (what, status, st, msg[:300]))
        expect(PREFIX in msg and "[%s]" % rule in msg, "%s: message has the prefix and [%s] (%s)"
               % (what, rule, msg[:300]))

    t = "/v1.41/containers/create?name=%s" % prefix
    for key, value in [("MaskedPaths", '["/proc/kcore"]'), ("ReadonlyPaths", '["/proc/sys"]'),
                       ("MaskedPaths", "[]")]:
        st, msg = request(sock, "POST", t, body_with_hc(network, hc.replace(
            '"%s": null' % key, '"%s": %s' % (key, value)) + "}"))
        rule_denied("%s %s" % (key, value), st, msg,
                    "paths.masked" if key == "MaskedPaths" else "paths.readonly")
    # SecurityOpt systempaths=unconfined as the API would carry it (dockerd refuses it)
    st, msg = request(sock, "POST", t, body_with_hc(network, hc.replace(
        '["no-new-privileges"]', '["no-new-privileges","systempaths=unconfined"]') + "}"))
    rule_denied("SecurityOpt systempaths=unconfined", st, msg, "security.systempaths")

    # HostConfig at start (API 1.24 still decodes it for old clients)
    for ver in ("1.24", "1.41"):
        st, msg = request(sock, "POST", "/v%s/containers/%s/start" % (ver, root_container),
                          b'{"Privileged":true,"Binds":["/:/host"]}')
        rule_denied("POST /v%s/containers/{id}/start with a HostConfig" % ver, st, msg,
                    "start.hostconfig")
    st, msg = request(sock, "POST", "/v1.24/containers/%s/start" % root_container, b"{}")
    expect(st != 403, "start with an empty {} body is not start.hostconfig (got %d: %s)"
           % (st, msg[:200]))

    # the API window
    for path, what in [("/v1.23/version", "below min"), ("/v1.99/version", "above max"),
                       ("/v1.0/containers/json", "ancient")]:
        st, msg = request(sock, "GET", path, ctype=None)
        rule_denied("GET %s (%s)" % (path, what), st, msg, "api.version")
    st, msg = request(sock, "GET", "/v1.24/version", ctype=None)
    expect(st == 200, "GET /v1.24/version (min) -> 200 (got %d)" % st)
    st, msg = request(sock, "GET", "/version", ctype=None)
    expect(st == 200, "GET /version (unversioned) -> 200 (got %d)" % st)

    # BuildKit session endpoints without BuildKit
    for path in ("/session", "/v1.41/session", "/grpc"):
        st, msg = request(sock, "POST", path, ctype=None,
                          extra=b"Upgrade: h2c\r\nConnection: Upgrade\r\n")
        rule_denied("POST %s" % path, st, msg, "build.session")
    st, msg = request(sock, "POST", "/v1.41/build?version=2&t=local/x:1", b"", ctype=None,
                      extra=b"Content-Type: application/x-tar\r\n")
    rule_denied("POST /build?version=2", st, msg, "build.session")

    # unknown endpoint
    st, msg = request(sock, "GET", "/v1.41/nosuch/endpoint", ctype=None)
    rule_denied("GET /v1.41/nosuch/endpoint", st, msg, "endpoint")


def check_values(sock, network, prefix, engine):
    """Issue 8, classes 3, 5, 6: create bodies as dockerd applies them, form
    bodies, strings with U+0000."""
    n = [0]

    def name():
        n[0] += 1
        return "%s-v%d" % (prefix, n[0])

    def create(body, ctype="application/json"):
        nm = name()
        st, msg = request(sock, "POST", "/v1.41/containers/create?name=" + nm,
                          json.dumps(body).encode() if not isinstance(body, bytes) else body,
                          ctype=ctype)
        return nm, st, msg

    def inspect(nm):
        return engine_get(engine, "/containers/%s/json" % nm)

    base = compliant(network)
    hc = base.pop("HostConfig")

    # class 3: every HostConfig field at the top level, no HostConfig
    flat = dict(base, **hc)
    nm, st, msg = create(flat)
    expect(st == 201, "top-level HostConfig fields, no HostConfig -> 201 (got %d: %s)" % (st, msg[:300]))
    j = inspect(nm)["HostConfig"]
    expect(j["Memory"] == 67108864 and j["ReadonlyRootfs"] and j["NetworkMode"] == network,
           "the engine applied the top-level fields (Memory %s, ReadonlyRootfs %s, NetworkMode %s)"
           % (j["Memory"], j["ReadonlyRootfs"], j["NetworkMode"]))
    # ... with "HostConfig": null as well
    nm, st, msg = create(dict(flat, HostConfig=None))
    expect(st == 201, "top-level fields with HostConfig null -> 201 (got %d: %s)" % (st, msg[:300]))
    # the same carrying Privileged: judged, denied
    for what, extra in [("Privileged", {"Privileged": True}), ("privileged (folded)", {"privileged": True}),
                        ("Binds /", {"Binds": ["/:/host"]})]:
        nm, st, msg = create(dict(flat, **extra))
        expect(st == 403 and PREFIX in msg, "top-level %s without HostConfig -> 403 (got %d: %s)"
               % (what, st, msg[:300]))
    # beside a HostConfig: dockerd ignores Privileged/NetworkMode there, merges Memory
    hc_nomem = {k: v for k, v in hc.items() if k != "Memory"}
    nm, st, msg = create(dict(base, HostConfig=hc_nomem, Memory=67108864, Privileged=True,
                              NetworkMode="host"))
    expect(st == 201, "top-level Privileged/NetworkMode/Memory beside HostConfig -> 201 (got %d: %s)"
           % (st, msg[:300]))
    j = inspect(nm)["HostConfig"]
    expect(not j["Privileged"] and j["NetworkMode"] == network and j["Memory"] == 67108864,
           "the engine ignored top-level Privileged/NetworkMode and merged Memory (Privileged %s, "
           "NetworkMode %s, Memory %s)" % (j["Privileged"], j["NetworkMode"], j["Memory"]))
    nm, st, msg = create(dict(base, HostConfig=hc_nomem, Memory=8 << 30))
    expect(st == 403 and "[limits.memory]" in msg, "merged top-level Memory 8g -> 403 [limits.memory] "
           "(got %d: %s)" % (st, msg[:300]))

    # class 6: strings with U+0000
    for what, patch in [("bind source /a\\u0000/..", {"Binds": ["/a\u0000/..:/host"]}),
                        ("HostIp 127.0.0.1\\u0000", {"PortBindings": {"80/tcp": [
                            {"HostIp": "127.0.0.1\u0000", "HostPort": "18081"}]}})]:
        nm, st, msg = create(dict(base, HostConfig=dict(hc, **patch)))
        expect(st == 400 and "U+0000" in msg, "%s -> 400 naming U+0000 (got %d: %s)" % (what, st, msg[:300]))

    # class 5: form bodies dockerd would read as the build's parameters
    forms = [
        ("multipart/form-data; boundary=xx",
         b'--xx\r\nContent-Disposition: form-data; name="networkmode"\r\n\r\nhost\r\n--xx--\r\n'),
        ("appl\u0130cation/x-www-form-urlencoded", b"networkmode=host"),
        ("\u00a0application/x-www-form-urlencoded", b"networkmode=host"),
        ("APPLICATION/X-WWW-FORM-URLENCODED; ;", b"networkmode=host"),
    ]
    for ct, body in forms:
        s = connect(sock)
        s.settimeout(30)
        head = ("POST /v1.41/build?t=%s-img:1 HTTP/1.1\r\nHost: docker\r\n" % prefix).encode()
        head += b"Content-Type: " + ct.encode("utf-8") + b"\r\n"
        head += b"Content-Length: %d\r\n\r\n" % len(body)
        s.sendall(head + body)
        st, _h, rbody, _ = read_response(s)
        s.close()
        msg = json.loads(rbody).get("message", "")
        expect(st == 400 and "body is not accepted" in msg,
               "build with a form body (%r) -> 400 (got %d: %s)" % (ct, st, msg[:200]))
    st, msg = request(sock, "POST", "/v1.41/build?t=%s-img:1" % prefix, b"networkmode=host",
                      ctype="application/x-tar",
                      extra=b"Content-Type: application/x-www-form-urlencoded\r\n")
    expect(st == 400 and "ambiguous Content-Type" in msg,
           "build with two Content-Type headers -> 400 (got %d: %s)" % (st, msg[:200]))


def engine_get(sock, path):
    s = connect(sock)
    s.sendall(b"GET %s HTTP/1.1\r\nHost: docker\r\n\r\n" % path.encode())
    st, _h, body, _ = read_response(s)
    s.close()
    if st != 200:
        raise AssertionError("engine GET %s -> %d" % (path, st))
    return json.loads(body)


SENSITIVE = ["/", "/etc", "/boot", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/bin",
             "/sbin", "/proc", "/sys", "/dev", "/root", "/var/lib/docker",
             "/var/lib/containerd", "/var/log", "/run/containerd", "/var/run/containerd",
             "/run", "/var/run", "/var"]


def bad_source(src):
    if not src:
        return None
    p = os.path.normpath(src)
    real = os.path.realpath(p)
    for cand in (p, real):
        if cand.endswith("docker.sock") or cand.endswith("containerd.sock"):
            return "docker socket %s" % cand
        for s in SENSITIVE:
            if cand == s or cand.startswith(s.rstrip("/") + "/"):
                return "sensitive path %s" % cand
    return None


def check_inventory(engine):
    """Every container and volume on the engine: none may be non-compliant in
    the ways a bypass would leave behind."""
    problems = []
    # On a cgroup v1 engine every container without --cgroupns private gets
    # the host cgroup namespace (dockerd's default there), compliant ones too;
    # only on v2 (default private) does CgroupnsMode=host mean someone asked.
    nsfields = ["NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode"]
    if str(engine_get(engine, "/info").get("CgroupVersion", "1")) == "2":
        nsfields.append("CgroupnsMode")
    else:
        print("  inventory: cgroup v1 engine: CgroupnsMode=host is the engine default, not judged")
    cs = engine_get(engine, "/containers/json?all=1")
    for c in cs:
        j = engine_get(engine, "/containers/%s/json" % c["Id"])
        name = j.get("Name", c["Id"][:12])
        hc = j.get("HostConfig") or {}
        if hc.get("Privileged"):
            problems.append("%s: privileged" % name)
        for f in nsfields:
            if (hc.get(f) or "").lower() == "host":
                problems.append("%s: %s=host" % (name, f))
        for b in hc.get("Binds") or []:
            why = bad_source(b.split(":")[0])
            if why:
                problems.append("%s: bind %s (%s)" % (name, b, why))
        for m in j.get("Mounts") or []:
            if m.get("Type") == "bind":
                why = bad_source(m.get("Source"))
                if why:
                    problems.append("%s: mount %s (%s)" % (name, m.get("Source"), why))
        for m in hc.get("Mounts") or []:
            if m.get("Type") == "bind":
                why = bad_source(m.get("Source"))
                if why:
                    problems.append("%s: --mount %s (%s)" % (name, m.get("Source"), why))
            opts = ((m.get("VolumeOptions") or {}).get("DriverConfig") or {}).get("Options") or {}
            if "bind" in (opts.get("o") or "").split(","):
                problems.append("%s: volume-opt o=bind %s" % (name, opts))
        if hc.get("SecurityOpt"):
            for o in hc["SecurityOpt"]:
                if o.replace(":", "=") in ("seccomp=unconfined", "apparmor=unconfined",
                                           "label=disable"):
                    problems.append("%s: security-opt %s" % (name, o))
        if hc.get("CapAdd"):
            caps = [x.upper().replace("CAP_", "") for x in hc["CapAdd"]]
            if "ALL" in caps or "SYS_ADMIN" in caps:
                problems.append("%s: cap-add %s" % (name, caps))
        if hc.get("Devices"):
            problems.append("%s: devices %s" % (name, hc["Devices"]))
    vols = engine_get(engine, "/volumes").get("Volumes") or []
    for v in vols:
        opts = v.get("Options") or {}
        if v.get("Driver") == "local" and ("bind" in (opts.get("o") or "").split(",")
                                           or opts.get("type") == "none"):
            problems.append("volume %s: bind-type local volume %s" % (v["Name"], opts))
    print("  inventory: %d containers, %d volumes" % (len(cs), len(vols)))
    expect(not problems, "no non-compliant container or volume on the engine: %s"
           % "; ".join(problems))


def main():
    check, sock, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    fn = {
        "bypass": lambda: check_bypass(sock, args[0], args[1]),
        "rawrules": lambda: check_rawrules(sock, args[0], args[1], args[2]),
        "inventory": lambda: check_inventory(sock),
        "values": lambda: check_values(sock, args[0], args[1], args[2]),
    }[check]
    try:
        fn()
    except AssertionError as e:
        print("  FAIL: %s: %s" % (check, e))
        sys.exit(1)


if __name__ == "__main__":
    main()
