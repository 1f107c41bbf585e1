#!/usr/bin/env bash
# Checks that the OpenAPI document (/openapi.json) and the service agree: schemathesis, pinned in
# scripts/schemathesis-requirements.txt and installed with hashes into target/schemathesis/venv,
# runs every check (`--checks all`: no 5xx, statuses, content types, headers and bodies as
# documented, requests the schema allows accepted and those it forbids refused, 405 for other
# methods, authentication enforced, deleted documents gone, created ones there) in every phase
# (examples, coverage, fuzzing, stateful) against `footnote serve` started here on a free port
# with an empty store (seeded from seeds/), an API key, and a tiny writing model that writes "a"
# (so that `"generate": true` and its event streams, pieces and verdicts included, are exercised). The document this service
# serves requires the key for writing: schemathesis sends it, and checks that requests without it,
# or with a wrong one, get 401. Exits non-zero on any failure, or on a panic in the service's log.
#
#   scripts/schemathesis.sh                      # the default run (about a minute on 2 cores, once built)
#   SCHEMATHESIS_EXAMPLES=200 SCHEMATHESIS_SEED=7 scripts/schemathesis.sh
#   scripts/schemathesis.sh --include-path /v1/ask   # extra options go to `schemathesis run`
#
# Needs python3 (with venv and pip), cargo and the embedding model in models/ (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

examples=${SCHEMATHESIS_EXAMPLES:-200}
seed=${SCHEMATHESIS_SEED:-1}
venv=target/schemathesis/venv
requirements=scripts/schemathesis-requirements.txt

# The virtualenv, made again whenever the requirements change.
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$venv/requirements.sha256" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes \
    -r "$requirements"
  echo "$want" >"$venv/requirements.sha256"
fi

cargo build --release --quiet --bin footnote --example random_llm
work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

./target/release/examples/random_llm --shape tiny-qwen3 --always a --out "$work/llm" >/dev/null
key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
./target/release/footnote serve --addr 127.0.0.1:0 --data "$work/data" --api-key "$key" \
  --llm "$work/llm" >"$work/serve.log" 2>&1 &
server=$!

# The port the service picked, then readiness (loading the models, seeding the store).
url=
for _ in $(seq 600); do
  if [ -z "$url" ]; then
    url=$(grep -o -m1 'listening on http://[0-9.:]*' "$work/serve.log" | cut -d' ' -f3 || true)
  fi
  if [ -n "$url" ] && curl -sf "$url/readyz" >/dev/null; then
    break
  fi
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$work/serve.log" >&2
    echo "error: footnote serve stopped before it was ready" >&2
    exit 1
  fi
  sleep 0.5
done
readiness=$(curl -sf "$url/readyz") || {
  cat "$work/serve.log" >&2
  echo "error: footnote serve was not ready in 5 minutes" >&2
  exit 1
}
echo "footnote at $url: $readiness"

# Hypothesis's caches go under target/ too, not into the working tree.
export HYPOTHESIS_STORAGE_DIRECTORY=target/schemathesis/hypothesis
status=0
"$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$url/openapi.json" \
  --checks all --max-examples "$examples" --seed "$seed" \
  --header "Authorization: Bearer $key" --no-color "$@" || status=$?

if grep -q "panicked" "$work/serve.log"; then
  grep -B2 -A8 "panicked" "$work/serve.log" >&2
  echo "error: the service panicked during the run" >&2
  status=1
fi
exit "$status"
