#!/usr/bin/python3
"""sdk_python.py - the official Python SDK (Debian's python3-docker) through a
sockward whose profile is baseline (issue 12): an ordinary workload works
unchanged, breakout-class requests and engine-wide changes are refused with
sockward's message.  Run by t_sdk_python.sh:

    sdk_python.py HOST PREFIX IMAGE SWARM [CERT_DIR]

HOST is unix:///... or tcp://127.0.0.1:PORT (then CERT_DIR holds ca.pem,
cert.pem, key.pem); PREFIX starts every resource name; SWARM is 1 when the
engine is in swarm mode (services are tested), 0 otherwise.  Prints one line
per step; exits 1 at the first failure."""
import sys
import time

import docker
from docker.errors import APIError
from docker.types import ContainerSpec, Resources, TaskTemplate, Mount
from docker.utils.socket import frames_iter

HOST, PREFIX, IMAGE, SWARM = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
CERTS = sys.argv[5] if len(sys.argv) > 5 else None
DENIED = "sockward: denied by policy 'baseline'"


def log(msg):
    print("  " + msg, file=sys.stderr, flush=True)


def fail(msg):
    print("  FAIL: sdk_python: " + msg, file=sys.stderr, flush=True)
    raise SystemExit(1)


def client():
    tls = False
    if CERTS:
        tls = docker.tls.TLSConfig(client_cert=(CERTS + "/cert.pem", CERTS + "/key.pem"),
                                   ca_cert=CERTS + "/ca.pem", verify=True)
    return docker.APIClient(base_url=HOST, tls=tls, version="auto", timeout=60)


api = client()
made = {"containers": [], "services": [], "networks": [], "volumes": []}


def name(tag):
    return "%s-%s" % (PREFIX, tag)


def refused(rule, what, fn, *args, **kwargs):
    """fn(...) must fail with 403 and sockward's message naming rule."""
    try:
        fn(*args, **kwargs)
    except APIError as e:
        text = str(e.explanation or e)
        if e.response is None or e.response.status_code != 403:
            fail("%s: want 403 from sockward, got %s: %s" % (
                what, e.response.status_code if e.response is not None else "?", text))
        if DENIED not in text or "[%s]" % rule not in text:
            fail("%s: refused, but not by sockward's [%s]: %s" % (what, rule, text))
        log("ok: refused [%s] %s" % (rule, what))
        return
    fail("%s was allowed under baseline" % what)


def cleanup():
    for c in made["containers"]:
        try:
            api.remove_container(c, force=True, v=True)
        except APIError:
            pass
    for s in made["services"]:
        try:
            api.remove_service(s)
        except APIError:
            pass
    for n in made["networks"]:
        for _ in range(20):   # a service's network goes once its tasks are gone
            try:
                api.remove_network(n)
                break
            except APIError:
                time.sleep(0.5)
    for v in made["volumes"]:
        try:
            api.remove_volume(v, force=True)
        except APIError:
            pass


def ordinary():
    assert api.ping()
    v = api.version()
    log("ok: ping, version (engine %s, API %s, client API %s)" % (
        v.get("Version"), v.get("ApiVersion"), api.api_version))

    # networks and volumes
    net = name("net")
    api.create_network(net, driver="bridge", labels={"swt": PREFIX})
    made["networks"].append(net)
    if api.inspect_network(net)["Name"] != net:
        fail("inspect_network")
    assert any(n["Name"] == net for n in api.networks(names=[net]))
    vol = name("vol")
    api.create_volume(vol, driver="local", labels={"swt": PREFIX})
    made["volumes"].append(vol)
    if api.inspect_volume(vol)["Name"] != vol:
        fail("inspect_volume")
    assert any(x["Name"] == vol for x in api.volumes()["Volumes"] or [])
    log("ok: network and volume created and listed")

    # a container with a host_config built by the SDK: limits, volume,
    # user-defined network, runtime in HostConfig
    hc = api.create_host_config(mem_limit="64m", nano_cpus=500000000, pids_limit=64,
                                binds={vol: {"bind": "/data", "mode": "rw"}},
                                network_mode=net, cap_drop=["ALL"], runtime="runc",
                                restart_policy={"Name": "no"})
    db = name("db")
    c = api.create_container(IMAGE, ["sh", "-c", "echo ready > /data/state; sleep 300"],
                             name=db, host_config=hc, labels={"swt": PREFIX})
    made["containers"].append(db)
    api.start(c["Id"])
    info = api.inspect_container(db)
    h = info["HostConfig"]
    if (h["Memory"], h["NanoCpus"], h["PidsLimit"], h["Runtime"]) != (67108864, 500000000, 64, "runc"):
        fail("the SDK's host_config did not reach the engine: %r" % (
            (h["Memory"], h["NanoCpus"], h["PidsLimit"], h["Runtime"]),))
    log("ok: create_container with create_host_config (limits, volume, network, runtime)")
    # create_container(runtime='runc') puts Runtime at the top level of the
    # body with no HostConfig: dockerd applies it as the HostConfig, and so
    # does sockward's judgement
    rt = name("rt")
    c2 = api.create_container(IMAGE, ["true"], name=rt, runtime="runc", user="1000:1000",
                              labels={"swt": PREFIX})
    made["containers"].append(rt)
    if api.inspect_container(c2["Id"])["HostConfig"]["Runtime"] != "runc":
        fail("create_container(runtime='runc'): the engine did not apply the runtime")
    log("ok: create_container(runtime='runc') with Runtime at the top level")

    # exec: plain, then a hijacked socket with stdin
    e = api.exec_create(db, ["cat", "/data/state"])
    out = api.exec_start(e["Id"])
    if out.strip() != b"ready":
        fail("exec_start: %r" % out)
    e = api.exec_create(db, ["sh", "-c", "read x; echo got:$x"], stdin=True)
    sock = api.exec_start(e["Id"], socket=True)
    try:
        raw = getattr(sock, "_sock", sock)
        raw.sendall(b"hello\n")
        out = b"".join(data for stream, data in frames_iter(sock, tty=False) if stream == 1)
    finally:
        sock.close()
    if b"got:hello" not in out:
        fail("exec_start(socket=True): %r" % out)
    if api.exec_inspect(e["Id"])["ExitCode"] not in (0, None):
        fail("exec_inspect after the socket exec")
    log("ok: exec_start, exec_start(socket=True) with stdin")

    # logs(stream=True, follow=True) of a container that writes over time
    lg = name("logs")
    c = api.create_container(IMAGE, ["sh", "-c", "for i in 1 2 3 4; do echo line$i; sleep 0.2; done"],
                             name=lg, host_config=api.create_host_config(mem_limit="32m"))
    made["containers"].append(lg)
    api.start(c["Id"])
    got = b"".join(api.logs(lg, stream=True, follow=True))
    if got.split() != [b"line1", b"line2", b"line3", b"line4"]:
        fail("logs(stream=True): %r" % got)
    if api.wait(lg, timeout=30)["StatusCode"] != 0:
        fail("wait")
    log("ok: logs(stream=True, follow=True), wait")

    # links on the default bridge, then remove_container(link=True)
    web = name("web")
    c = api.create_container(IMAGE, ["sleep", "300"], name=web,
                             host_config=api.create_host_config(links={db2(): "dbalias"}))
    made["containers"].append(web)
    api.start(c["Id"])
    links = api.inspect_container(web)["HostConfig"]["Links"] or []
    if not any(l.endswith("/" + web + "/dbalias") for l in links):
        fail("the link was not made: %r" % links)
    api.remove_container("%s/dbalias" % web, link=True)
    links = api.inspect_container(web)["HostConfig"]["Links"] or []
    if links:
        fail("remove_container(link=True) left the link: %r" % links)
    api.inspect_container(db2())   # the linked container itself is still there
    log("ok: links, remove_container('%s/dbalias', link=True)" % web)

    # networks: connect, disconnect; volumes: remove
    api.connect_container_to_network(web, net, aliases=["webalias"])
    nets = api.inspect_container(web)["NetworkSettings"]["Networks"]
    if net not in nets:
        fail("connect_container_to_network: %r" % list(nets))
    api.disconnect_container_from_network(web, net)
    log("ok: connect/disconnect a container")

    for c in (lg, web):
        api.remove_container(c, force=True)
        made["containers"].remove(c)
    log("ok: remove_container")

    if SWARM:
        services(net)
    else:
        log("services not tested: the engine is not in swarm mode")


_db2 = []


def db2():
    """A container on the default bridge for the legacy link."""
    if not _db2:
        n = name("linked")
        api.create_container(IMAGE, ["sleep", "300"], name=n,
                             host_config=api.create_host_config(mem_limit="32m"))
        made["containers"].append(n)
        api.start(n)
        _db2.append(n)
    return _db2[0]


def services(net):
    # an overlay network for the service, by name
    onet = name("onet")
    api.create_network(onet, driver="overlay", attachable=True)
    made["networks"].append(onet)
    svc = name("svc")
    tt = TaskTemplate(ContainerSpec(IMAGE, ["sleep", "300"], user="1000:1000", read_only=True),
                      resources=Resources(cpu_limit=500000000, mem_limit=64 * 1024 * 1024),
                      networks=[onet])
    s = api.create_service(tt, name=svc, labels={"swt": PREFIX})
    made["services"].append(s["ID"])
    spec = api.inspect_service(s["ID"])["Spec"]
    lim = spec["TaskTemplate"]["Resources"]["Limits"]
    if (lim.get("MemoryBytes"), lim.get("NanoCPUs")) != (67108864, 500000000):
        fail("service limits: %r" % lim)
    version = api.inspect_service(s["ID"])["Version"]["Index"]
    tt2 = TaskTemplate(ContainerSpec(IMAGE, ["sleep", "301"], user="1000:1000", read_only=True),
                       resources=Resources(cpu_limit=250000000, mem_limit=32 * 1024 * 1024),
                       networks=[onet])
    api.update_service(s["ID"], version, task_template=tt2, name=svc)
    lim = api.inspect_service(s["ID"])["Spec"]["TaskTemplate"]["Resources"]["Limits"]
    if lim.get("MemoryBytes") != 32 * 1024 * 1024:
        fail("update_service: %r" % lim)
    api.services(filters={"name": svc})
    api.tasks(filters={"service": svc})
    api.nodes()
    log("ok: create_service with limits on an overlay network, update_service, services, tasks, nodes")

    tt = TaskTemplate(ContainerSpec(IMAGE, ["sleep", "300"], mounts=[
        Mount("/s", "/var/run/docker.sock", type="bind", read_only=True)]))
    refused("mounts.docker_socket", "create_service binding the docker socket",
            api.create_service, tt, name=name("svcsock"))
    api.remove_service(s["ID"])
    made["services"].remove(s["ID"])
    log("ok: remove_service")


def breakouts():
    refused("privileged", "create_container(privileged=True)", api.create_container, IMAGE, "true",
            name=name("priv"), host_config=api.create_host_config(privileged=True))
    refused("mounts.docker_socket", "create_container binding the docker socket",
            api.create_container, IMAGE, "true", name=name("sock"),
            host_config=api.create_host_config(binds=["/var/run/docker.sock:/s"]))
    refused("namespaces.pid", "create_container(pid_mode='host')", api.create_container, IMAGE,
            "true", name=name("pid"), host_config=api.create_host_config(pid_mode="host"))
    refused("capabilities.add", "create_container(cap_add=['SYS_ADMIN'])", api.create_container,
            IMAGE, "true", name=name("cap"), host_config=api.create_host_config(cap_add=["SYS_ADMIN"]))
    refused("exec.privileged", "exec_create(privileged=True)", api.exec_create, name("db"), "true",
            privileged=True)
    refused("mounts.volume_bind", "create_volume binding /etc", api.create_volume, name("bindvol"),
            driver="local", driver_opts={"type": "none", "o": "bind", "device": "/etc"})
    for c in ("priv", "sock", "pid", "cap"):
        try:
            api.inspect_container(name(c))
            fail("refused container %s exists on the engine" % name(c))
        except docker.errors.NotFound:
            pass


def engine_wide():
    refused("endpoint", "init_swarm", api.init_swarm, advertise_addr="127.0.0.1")
    refused("endpoint", "join_swarm", api.join_swarm, ["127.0.0.1:2377"], "SWMTKN-1-x")
    refused("endpoint", "leave_swarm", api.leave_swarm)
    refused("endpoint", "inspect_swarm (the join tokens)", api.inspect_swarm)
    refused("endpoint", "update_swarm", api.update_swarm, version=1)
    refused("endpoint", "unlock_swarm", api.unlock_swarm, "SWMKEY-1-x")
    refused("endpoint", "update_node", api.update_node, "nonode", 1, {"Availability": "drain"})
    refused("endpoint", "remove_node", api.remove_node, "nonode", force=True)
    refused("endpoint", "pull_plugin", lambda: list(api.pull_plugin("vieux/sshfs", [])))
    refused("endpoint", "enable_plugin", api.enable_plugin, "vieux/sshfs")
    refused("endpoint", "configure_plugin", api.configure_plugin, "vieux/sshfs", {"DEBUG": "1"})
    refused("endpoint", "remove_plugin", api.remove_plugin, "vieux/sshfs")
    api.plugins()
    log("ok: plugins() (a read) allowed")


try:
    ordinary()
    breakouts()
    engine_wide()
finally:
    cleanup()
log("ok: sdk_python through %s" % HOST)
