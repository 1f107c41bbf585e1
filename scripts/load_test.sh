#!/usr/bin/env bash
# The HTTP service load run recorded in BENCHMARKS.md: starts `footnote serve` on a fresh store
# seeded from seeds/, warms it up, records its RSS, runs 30 s of POST /v1/ask at 16 connections
# with wrk (Debian: apt-get install wrk), records its RSS again, and stops it with SIGTERM.
# Usage: scripts/load_test.sh [duration, default 30s]   (run from the repository root, after
# cargo build --release; FOOTNOTE_MODELS_DIR as for the other commands)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-30s}"
port=18080
data="$(mktemp -d)"
log="$data/serve.log"
./target/release/footnote serve --addr "127.0.0.1:$port" --data "$data" 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
# Ready within two minutes (the seeds are embedded on first start), or give up with the log.
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  kill -0 $pid 2>/dev/null || { echo "error: the server exited:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.2
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "error: not ready after 2 minutes" >&2; cat "$log" >&2; exit 1; }
# Warm-up: a few requests so allocator pools and caches exist before "before".
for _ in 1 2 3 4 5; do
  curl -sf "http://127.0.0.1:$port/v1/ask" -H 'content-type: application/json' \
    -d '{"question": "Who requested the call?"}' >/dev/null
done
echo "rss_before_kib=$(ps -o rss= -p $pid | tr -d ' ')"
wrk -t2 -c16 -d"$duration" --timeout 10s -s scripts/load_ask.lua "http://127.0.0.1:$port/v1/ask"
echo "rss_after_kib=$(ps -o rss= -p $pid | tr -d ' ')"
metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
rounds=$(metric footnote_embedding_batch_sequences_count)
texts=$(metric footnote_embedding_batch_sequences_sum)
echo "model rounds=$rounds texts=$texts (seeding included): $(awk -v t="$texts" -v r="$rounds" 'BEGIN { printf "%.1f", t / r }') texts per round"
echo "server log: $(grep -c 'POST /v1/ask 200' "$log") asks answered 200, $(grep -c 'POST /v1/ask [^2]' "$log" || true) not 200"
