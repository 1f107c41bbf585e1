#!/usr/bin/env python3
"""What following other replicas costs a request: the same cheap route (a paragraph lookup, no
model) against `footnote serve` on SQLite and on PostgreSQL, requests alternating between the two
so that both see the same machine load. On PostgreSQL every request first reads the store's
generation (one query) to apply what other replicas committed.

Usage (from the repository root, after `cargo build --release`; URL is an empty database, e.g.
from `scripts/postgres.sh start`):
    python3 scripts/replica_overhead.py postgres://postgres@127.0.0.1:55432/DATABASE
Prints p50 and p99 per store. Standard library only.
"""
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.path.join(REPO, "target/release/footnote")
pg = sys.argv[1]
servers = []
def start(port, extra):
    d = tempfile.mkdtemp()
    log = open(f"{d}/log", "w")
    p = subprocess.Popen([binary, "serve", "--addr", f"127.0.0.1:{port}"] + extra, cwd=REPO, stderr=log, stdout=subprocess.DEVNULL)
    servers.append(p)
    for _ in range(600):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5); c.request("GET", "/readyz")
            if c.getresponse().status == 200: return
        except OSError: pass
        time.sleep(0.2)
    raise SystemExit(f"not ready {port}")
try:
    start(18201, ["--data", tempfile.mkdtemp()])
    start(18202, ["--store", pg])
    conns = {p: http.client.HTTPConnection("127.0.0.1", p, timeout=10) for p in (18201, 18202)}
    c = conns[18201]; c.request("GET", "/v1/documents?limit=1"); doc = json.loads(c.getresponse().read())["documents"][0]["id"]
    times = {18201: [], 18202: []}
    for i in range(4000):
        p = (18201, 18202)[i % 2]
        c = conns[p]
        t = time.perf_counter(); c.request("GET", f"/v1/documents/{doc}/paragraphs/3"); r = c.getresponse(); r.read(); dt = time.perf_counter() - t
        assert r.status == 200, r.status
        times[p].append(dt * 1000)
    for p, name in ((18201, "sqlite"), (18202, "postgres")):
        ts = sorted(times[p])
        print(f"{name}: n={len(ts)} p50={ts[len(ts)//2]:.3f} ms p99={ts[int(len(ts)*0.99)]:.3f} ms")
finally:
    for p in servers: p.terminate()
