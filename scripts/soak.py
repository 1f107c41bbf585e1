#!/usr/bin/env python3
"""Soak: mixed traffic against the real `footnote serve` for a set time, then checks.

Starts `footnote serve` on a fresh data directory (seeded from seeds/), warms it up, records its
RSS, then runs N client threads, each on its own keep-alive connection, for the set time:
asks (answers' citations looked up at once), summaries, embeds, ingests of news articles, each
followed by the delete of the oldest article this run ingested once 20 are stored (so the store's
size stays level and RSS can be compared), verifies, paragraph lookups, listings and malformed
requests (each with the 4xx it must get). Afterwards:

- 0 responses 5xx and 0 connection errors;
- RSS at the end within --rss-tolerance (10%) of RSS after the warm-up;
- every citation in the answers resolved (or named a document this run had deleted);
- the store consistent: after SIGTERM, the SQLite file holds exactly the documents the API
  listed, each with its paragraph count of paragraphs, a vector for every content paragraph and
  every sentence of one, and no orphans.

Standard library only. Usage (from the repository root, after `cargo build --release`):
    python3 scripts/soak.py [--duration 600] [--connections 32] [--articles PATH.jsonl]
Prints a JSON summary as its last line; exits 1 when a check fails.
"""

import argparse
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "How long did the call between Biden and Putin last?",
    "Where did Biden take the call from?",
    "Who requested the call?",
    "What did the two leaders discuss?",
    "What is the capital of Australia?",
]
DIMENSIONS = 384


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def rss_kib(pid):
    return proc_status(pid, "VmRSS")


class Client:
    """One keep-alive connection; reconnects (and counts it) when the service closes it."""

    def __init__(self, port, stats):
        self.port = port
        self.stats = stats
        self.conn = None

    def request(self, method, path, body=None, raw=None, content_type="application/json"):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        headers = {}
        if data is not None:
            headers["Content-Type"] = content_type
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                if response.getheader("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                break
            except (ConnectionError, http.client.HTTPException, OSError) as e:
                self.conn.close()
                self.conn = None
                # A keep-alive connection the service closed as idle, seen only now: the request
                # never reached it, so one retry on a new connection is what any client does.
                # Anything else, or a second failure, is a connection error.
                idle_close = isinstance(e, (http.client.RemoteDisconnected, BrokenPipeError))
                if attempt == 0 and idle_close:
                    self.stats.add("reconnects")
                    continue
                self.stats.error(f"{method} {path}: connection error {e!r}")
                return None, None
        self.stats.status(method, path, response.status)
        try:
            return response.status, json.loads(payload) if payload else None
        except ValueError:
            return response.status, payload


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = Counter()
        self.statuses = Counter()
        self.errors = []
        self.seconds = {}

    def took(self, kind, seconds):
        with self.lock:
            self.seconds.setdefault(kind, []).append(seconds)

    def percentiles(self):
        with self.lock:
            out = {}
            for kind, values in sorted(self.seconds.items()):
                values = sorted(values)
                at = lambda q: round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)
                out[kind] = {"p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0)}
            return out

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def status(self, method, path, status):
        route = path.split("?")[0]
        if route.startswith("/v1/documents/"):
            route = "/v1/documents/{id}" + ("/paragraphs/{n}" if "/paragraphs/" in route else "")
        with self.lock:
            self.statuses[f"{status // 100}xx"] += 1
            self.counts[f"{method} {route} {status}"] += 1

    def error(self, message):
        with self.lock:
            self.errors.append(message)


class Corpus:
    """What this run ingested and deleted, shared by the client threads."""

    def __init__(self, articles, keep):
        self.lock = threading.Lock()
        self.articles = articles
        self.next = 0
        self.live = []
        self.deleted = set()
        self.keep = keep

    def next_article(self):
        with self.lock:
            i = self.next
            self.next += 1
        text = self.articles[i % len(self.articles)]
        # A copy number makes every ingest a new text (a repeat would be answered 200, not 201).
        return f"soak-{i}", f"Soak copy {i}.\n\n{text}"

    def stored(self, doc_id):
        with self.lock:
            self.live.append(doc_id)

    def to_delete(self):
        with self.lock:
            if len(self.live) <= self.keep:
                return None
            doc_id = self.live.pop(0)
            self.deleted.add(doc_id)
            return doc_id

    def was_deleted(self, doc_id):
        with self.lock:
            return doc_id in self.deleted


def check_citations(client, stats, corpus, sentences):
    for sentence in sentences or []:
        for citation in sentence.get("citations", []):
            doc, n = citation["doc"], citation["paragraph"]
            status, paragraph = client.request("GET", f"/v1/documents/{doc}/paragraphs/{n}")
            if status is None:
                return
            stats.add("citations checked")
            if status == 404 and corpus.was_deleted(doc):
                continue
            if status != 200:
                stats.error(f"citation [{doc} ¶{n}] does not resolve: {status}")
            elif sentence.get("verified") is None and sentence["text"] not in paragraph["text"]:
                stats.error(f"`{sentence['text']}` is not in [{doc} ¶{n}]")


def expect(stats, what, status, wanted):
    if status is not None and status not in wanted:
        stats.error(f"{what}: got {status}, wanted {sorted(wanted)}")


def one_request(client, stats, corpus, rng, seeds):
    kind = rng.choices(
        ["ask", "summarize", "embed", "ingest", "verify", "paragraph", "list", "bad"],
        # Reads dominate, as in a newsroom; every ingest is a whole news article (about 2,000
        # tokens to embed, a hundred times a question) followed by a delete.
        weights=[30, 8, 10, 4, 10, 15, 8, 9],
    )[0]
    stats.add(kind)
    started = time.monotonic()
    one_kind(kind, client, stats, corpus, rng, seeds)
    stats.took(kind, time.monotonic() - started)


def one_kind(kind, client, stats, corpus, rng, seeds):
    if kind == "ask":
        status, answer = client.request("POST", "/v1/ask", {"question": rng.choice(QUESTIONS)})
        expect(stats, "ask", status, {200})
        if status == 200:
            check_citations(client, stats, corpus, answer.get("sentences"))
    elif kind == "summarize":
        docs = rng.sample(seeds, 2)
        status, summary = client.request("POST", "/v1/summarize", {"documents": docs})
        expect(stats, "summarize", status, {200})
        if status == 200:
            check_citations(client, stats, corpus, summary.get("sentences"))
    elif kind == "embed":
        inputs = [rng.choice(QUESTIONS) for _ in range(rng.randint(1, 8))]
        status, body = client.request("POST", "/v1/embed", {"inputs": inputs})
        expect(stats, "embed", status, {200})
        if status == 200 and len(body["embeddings"]) != len(inputs):
            stats.error("embed: wrong number of vectors")
    elif kind == "ingest":
        doc_id, text = corpus.next_article()
        status, body = client.request("POST", "/v1/documents", {"id": doc_id, "text": text})
        expect(stats, "ingest", status, {201})
        if status == 201:
            corpus.stored(doc_id)
        doc_id = corpus.to_delete()
        if doc_id is not None:
            stats.add("delete")
            status, _ = client.request("DELETE", f"/v1/documents/{doc_id}")
            expect(stats, "delete", status, {204})
    elif kind == "verify":
        doc = rng.choice(seeds)
        status, paragraph = client.request("GET", f"/v1/documents/{doc}/paragraphs/1")
        if status == 200:
            text = f"{paragraph['text'].split('. ')[0].rstrip('.')}. [{doc} ¶1]"
            status, _ = client.request("POST", "/v1/verify", {"text": text})
            expect(stats, "verify", status, {200})
    elif kind == "paragraph":
        doc = rng.choice(seeds)
        status, _ = client.request("GET", f"/v1/documents/{doc}/paragraphs/{rng.randint(1, 9)}")
        expect(stats, "paragraph", status, {200})
    elif kind == "list":
        status, _ = client.request("GET", "/v1/documents?limit=50")
        expect(stats, "list", status, {200})
    else:
        bad = rng.choice(
            [
                ("POST", "/v1/ask", b"{\"question\": ", "application/json", {400}),
                ("POST", "/v1/ask", b"{\"question\": \"x\"}", "text/plain", {415}),
                ("POST", "/v1/ask", b"{\"question\": \"\"}", "application/json", {422}),
                ("POST", "/v1/ask", b"{\"question\": 5}", "application/json", {422}),
                ("GET", "/v1/documents/no-such-document", None, None, {404}),
                ("GET", f"/v1/documents/{seeds[0]}/paragraphs/999", None, None, {404}),
                ("POST", "/v1/documents", b"{\"text\": \"\"}", "application/json", {422}),
                ("PUT", "/v1/ask", None, None, {405}),
                ("POST", "/v1/embed", b"\xff\xfe", "application/json", {400}),
            ]
        )
        method, path, raw, content_type, wanted = bad
        status, _ = client.request(method, path, raw=raw, content_type=content_type)
        expect(stats, f"malformed {method} {path}", status, wanted)


def store_consistent(data, listed, errors):
    """The stopped service's SQLite file against what the API listed."""
    db = sqlite3.connect(f"file:{data}/footnote.sqlite3?mode=ro", uri=True)
    stored = [row[0] for row in db.execute("SELECT id FROM documents ORDER BY rowid")]
    if sorted(stored) != sorted(listed):
        errors.append(f"store holds {len(stored)} documents, the API listed {len(listed)}")
    for doc_id, count in db.execute("SELECT id, paragraph_count FROM documents"):
        numbers = [n for (n,) in db.execute(
            "SELECT number FROM paragraphs WHERE doc_id = ? ORDER BY number", (doc_id,))]
        if numbers != list(range(1, count + 1)):
            errors.append(f"{doc_id}: paragraphs {numbers[:5]}... not 1..{count}")
        missing = db.execute(
            "SELECT count(*) FROM paragraphs WHERE doc_id = ? AND is_content = 1 AND "
            "(embedding IS NULL OR length(embedding) != ?)", (doc_id, 4 * DIMENSIONS)).fetchone()[0]
        missing += db.execute(
            "SELECT count(*) FROM sentences s JOIN paragraphs p ON p.doc_id = s.doc_id AND "
            "p.number = s.paragraph WHERE s.doc_id = ? AND p.is_content = 1 AND "
            "(s.embedding IS NULL OR length(s.embedding) != ?)", (doc_id, 4 * DIMENSIONS)).fetchone()[0]
        if missing:
            errors.append(f"{doc_id}: {missing} vectors missing or of the wrong size")
    orphans = db.execute(
        "SELECT count(*) FROM sentences WHERE NOT EXISTS (SELECT 1 FROM paragraphs p WHERE "
        "p.doc_id = sentences.doc_id AND p.number = sentences.paragraph)").fetchone()[0]
    orphans += db.execute(
        "SELECT count(*) FROM paragraphs WHERE doc_id NOT IN (SELECT id FROM documents)").fetchone()[0]
    if orphans:
        errors.append(f"{orphans} orphan rows")
    return len(stored)


def list_all(client):
    ids, offset = [], 0
    while offset is not None:
        status, page = client.request("GET", f"/v1/documents?offset={offset}&limit=100")
        if status != 200:
            raise RuntimeError(f"listing failed: {status}")
        ids += [d["id"] for d in page["documents"]]
        offset = page.get("next_offset")
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of traffic")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=30, help="seconds of traffic before RSS")
    parser.add_argument("--rss-tolerance", type=float, default=0.10)
    parser.add_argument("--articles", default=str(REPO.parent / "shared/eval/news-summaries.jsonl"),
                        help="JSONL with an `article` field (the seeds when missing)")
    parser.add_argument("--binary", default=str(REPO / "target/release/footnote"))
    parser.add_argument("--port", type=int, default=18090)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()

    if Path(args.articles).exists():
        articles = [json.loads(line)["article"] for line in open(args.articles)]
    else:
        articles = [p.read_text() for p in sorted((REPO / "seeds").glob("*.txt"))]
    data = tempfile.mkdtemp(prefix="footnote-soak-")
    log = open(f"{data}/serve.log", "w")
    server = subprocess.Popen(
        [args.binary, "serve", "--addr", f"127.0.0.1:{args.port}", "--data", data],
        cwd=REPO, stderr=log, stdout=subprocess.DEVNULL)
    stats = Stats()
    probe = Client(args.port, stats)
    for _ in range(1200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                break
        except OSError:
            pass
        if server.poll() is not None:
            sys.exit(f"error: the server exited; see {data}/serve.log")
        time.sleep(0.1)
    seeds = list_all(probe)
    corpus = Corpus(articles, keep=20)

    def run_for(seconds, thread_seed):
        stop = time.monotonic() + seconds

        def worker(n):
            rng = random.Random(thread_seed * 1000 + n)
            client = Client(args.port, stats)
            while time.monotonic() < stop:
                one_request(client, stats, corpus, rng, seeds)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    print(f"warm-up: {args.warmup:.0f} s at {args.connections} connections", flush=True)
    run_for(args.warmup, args.seed)
    rss_warm = rss_kib(server.pid)
    stats.seconds.clear()
    warm_requests = sum(stats.statuses.values())
    print(f"RSS after warm-up: {rss_warm} KiB; soak: {args.duration:.0f} s", flush=True)
    started = time.monotonic()
    # RSS and threads every 30 s, to tell growth that levels off from growth that does not.
    samples = []
    sampling = threading.Event()

    def sample():
        while not sampling.wait(30):
            samples.append((round(time.monotonic() - started), rss_kib(server.pid),
                            proc_status(server.pid, "Threads")))

    sampler = threading.Thread(target=sample)
    sampler.start()
    run_for(args.duration, args.seed + 1)
    sampling.set()
    sampler.join()
    elapsed = time.monotonic() - started
    rss_end = rss_kib(server.pid)
    # A new connection: the first one has been idle past --header-timeout and is closed.
    listed = list_all(Client(args.port, stats))
    server.send_signal(signal.SIGTERM)
    exit_code = server.wait(timeout=120)

    errors = list(stats.errors)
    stored = store_consistent(data, listed, errors)
    if exit_code != 0:
        errors.append(f"the server exited with {exit_code} on SIGTERM")
    five = stats.statuses.get("5xx", 0)
    if five:
        errors.append(f"{five} responses 5xx")
    growth = (rss_end - rss_warm) / rss_warm
    if abs(growth) > args.rss_tolerance:
        errors.append(f"RSS moved {growth:+.1%} (limit {args.rss_tolerance:.0%})")
    total = sum(stats.statuses.values())
    summary = {
        "seconds": round(elapsed, 1),
        "connections": args.connections,
        "requests": total - warm_requests,
        "requests_per_second": round((total - warm_requests) / elapsed, 1),
        "statuses": dict(stats.statuses),
        "connection_errors": sum("connection error" in e for e in stats.errors),
        "reconnects": stats.counts["reconnects"],
        "by_kind": {k: stats.counts[k] for k in
                    ["ask", "summarize", "embed", "ingest", "delete", "verify", "paragraph",
                     "list", "bad", "citations checked"]},
        "latency": stats.percentiles(),
        "rss_kib_after_warmup": rss_warm,
        "rss_kib_at_end": rss_end,
        "rss_change": round(growth, 4),
        "rss_kib_and_threads_every_30s": samples,
        "documents_at_end": stored,
        "failures": errors[:20],
        "failure_count": len(errors),
        "data": data,
    }
    for key in sorted(k for k in stats.counts if k.count(" ") >= 2):
        print(f"  {key}: {stats.counts[key]}")
    print(json.dumps(summary))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
