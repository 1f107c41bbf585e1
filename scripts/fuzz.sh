#!/usr/bin/env bash
# Runs footnote's cargo-fuzz targets (fuzz/), each for a set time, one after the other, each in
# one process (libFuzzer's default: no -jobs, no -workers).
#
#   scripts/fuzz.sh [seconds-per-target] [target...]
#
# Defaults: 60 seconds, every target (`cargo fuzz list`). Each target's working corpus is
# fuzz/corpus/<target> (git-ignored; kept between runs), seeded from the committed
# fuzz/seeds/<target>; fuzz/dicts/<target>.dict is used when present. The log of each run is
# fuzz/logs/<target>.log. Prints per target the time, executions, coverage and corpus size; exits
# non-zero when a target crashed (or leaked, timed out, ran out of memory), after naming the
# artifact libFuzzer wrote (fuzz/artifacts/<target>/...). Reproduce one with
#   cargo +nightly fuzz run -s none -a <target> fuzz/artifacts/<target>/<file>
# and minimise it with `cargo +nightly fuzz tmin -s none -a <target> <file>`.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and a nightly toolchain; without
# nightly it tries the stable toolchain with RUSTC_BOOTSTRAP=1, and says so.
#
# Environment: FUZZ_RSS_MB (memory limit per target, default 2048), FUZZ_TIMEOUT (seconds one
# input may take, default 10), FUZZ_ARGS (more libFuzzer flags).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"

seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]" >&2
    exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
    exit 2
fi

# cargo-fuzz passes nightly-only flags (-Zsanitizer, sanitizer coverage) to rustc.
if rustup run nightly rustc --version >/dev/null 2>&1; then
    cargo=(cargo +nightly fuzz)
    echo "toolchain: $(rustup run nightly rustc --version)"
else
    export RUSTC_BOOTSTRAP=1
    cargo=(cargo fuzz)
    echo "toolchain: no nightly found; using $(rustc --version) with RUSTC_BOOTSTRAP=1" >&2
fi

# No sanitizer (the code fuzzed is safe Rust; panics, aborts, timeouts and memory limits are
# what is looked for), with debug assertions and overflow checks on.
build_flags=(-s none -a)

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <("${cargo[@]}" list)
fi

"${cargo[@]}" build "${build_flags[@]}"

mkdir -p logs
failed=()
summary=()
for target in "${targets[@]}"; do
    corpus="corpus/$target"
    mkdir -p "$corpus" "artifacts/$target"
    dirs=("$corpus")
    [ -d "seeds/$target" ] && dirs+=("seeds/$target")
    flags=(
        -max_total_time="$seconds"
        -timeout="${FUZZ_TIMEOUT:-10}"
        -rss_limit_mb="${FUZZ_RSS_MB:-2048}"
        -malloc_limit_mb="${FUZZ_RSS_MB:-2048}"
        -print_final_stats=1
    )
    [ -f "dicts/$target.dict" ] && flags+=(-dict="dicts/$target.dict")
    # shellcheck disable=SC2206
    flags+=(${FUZZ_ARGS:-})
    log="logs/$target.log"
    echo "== $target: ${seconds}s (log: fuzz/$log)"
    start=$(date +%s)
    status=0
    "${cargo[@]}" run "${build_flags[@]}" "$target" "${dirs[@]}" -- "${flags[@]}" >"$log" 2>&1 ||
        status=$?
    elapsed=$(($(date +%s) - start))
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    units=$(grep -oE 'corp: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    line="$target: ${elapsed}s, ${runs:-?} runs, cov ${cov:-?}, ft ${ft:-?}, corpus ${units:-?}"
    if [ "$status" -ne 0 ]; then
        artifact=$(grep -oE 'Test unit written to [^ ]+' "$log" | grep -oE '[^ ]+$' | tail -1 || true)
        why=$(grep -m1 -E '^==[0-9]+== ERROR|deadly signal|panicked at|out-of-memory|timeout after|leak' "$log" || true)
        line="$line: FAILED (exit $status) ${why:+- $why }${artifact:+- artifact $artifact}"
        failed+=("$target")
    fi
    echo "   $line"
    summary+=("$line")
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "crashed: ${failed[*]} (see fuzz/logs/<target>.log)" >&2
    exit 1
fi
