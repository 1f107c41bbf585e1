#!/usr/bin/env python3
"""Asks two running footnote services the same questions in turn and compares them: latency
(HTTP, the question's embedding included) and whether they give the same answer text.

The questions are the first lines of the reference summaries of every eighth article of
../shared/eval/news-summaries.jsonl (those of benches/store_scale.rs), asked once of each
service to warm them, then timed.

    python3 scripts/ask_side_by_side.py PORT_A PORT_B [QUESTIONS]

BENCHMARKS.md ("The store at 10k, 100k and 1M sentences") used it for two replicas on one
PostgreSQL database, one with --ef-search 1000.
"""
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "news-summaries.jsonl"


def ask(port, question):
    started = time.time()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/ask",
        data=json.dumps({"question": question}).encode(),
        headers={"content-type": "application/json"},
    )
    body = json.loads(urllib.request.urlopen(request, timeout=600).read())
    return (time.time() - started) * 1000, body["answer"]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    ports = [int(sys.argv[1]), int(sys.argv[2])]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    rows = [json.loads(line) for line in EVAL.read_text().splitlines()]
    questions = [r["reference"].splitlines()[0] for r in rows[::8] if r.get("reference", "").strip()]
    questions = questions[:count]
    for q in questions:
        for port in ports:
            ask(port, q)
    times = {port: [] for port in ports}
    same = 0
    for q in questions:
        answers = []
        for port in ports:
            ms, answer = ask(port, q)
            times[port].append(ms)
            answers.append(answer)
        same += answers[0] == answers[1]
    for port in ports:
        v = sorted(times[port])
        print(f"port {port}: p50 {statistics.median(v):.1f} ms, p90 {v[int(0.9 * (len(v) - 1))]:.1f} ms")
    print(f"same answer text: {same} of {len(questions)}")


if __name__ == "__main__":
    main()
