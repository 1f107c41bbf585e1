#!/usr/bin/env python3
"""Peer benchmark: llama.cpp (through llama-cpp-python) on a GGUF file, CPU only.

Measures, per round, on a synthetic prompt of exactly --prompt-tokens token ids:
  ttft_s         prefill of the whole prompt + greedy pick of the first token
  prefill_tok_s  prompt tokens / prefill time
  decode_tok_s   (decode_tokens - 1) / time to produce the tokens after the first
                 (greedy argmax, EOS ignored: exactly --decode-tokens tokens)
and reports the median over rounds (plus every round). Nothing is detokenized.

Setup (see scripts/llama-cpp-requirements.txt for the pinned install):
  python3 -m venv /work/venv-llama
  CMAKE_ARGS="-DGGML_NATIVE=ON" CMAKE_BUILD_PARALLEL_LEVEL=2 \
    /work/venv-llama/bin/pip install --no-binary llama-cpp-python -r scripts/llama-cpp-requirements.txt
Run:
  /work/venv-llama/bin/python scripts/bench_llama_cpp.py --gguf model.gguf --threads 2 --rounds 3 [--json]
"""
import argparse
import json
import os
import statistics
import sys
import time


def die(msg):
    print(f"bench_llama_cpp: error: {msg}", file=sys.stderr)
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gguf", required=True, help="path to the GGUF model")
    ap.add_argument("--prompt-tokens", type=int, default=1500)
    ap.add_argument("--decode-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n-batch", type=int, default=512,
                    help="logical and physical batch size for the prefill (default 512)")
    ap.add_argument("--flash-attn", choices=["on", "off"], default="off",
                    help="llama.cpp flash attention (llama-cpp-python's default is off)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed warm-up rounds on a short prompt (default 1)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args()

    if a.prompt_tokens < 1 or a.decode_tokens < 2 or a.threads < 1 or a.rounds < 1:
        die("need --prompt-tokens >= 1, --decode-tokens >= 2, --threads >= 1, --rounds >= 1")
    if not os.path.isfile(a.gguf):
        die(f"GGUF file not found: {a.gguf}")

    try:
        import numpy as np
        import llama_cpp
    except ImportError as e:
        die(f"{e}; install scripts/llama-cpp-requirements.txt into a virtualenv and run with its python")

    n_ctx = a.prompt_tokens + a.decode_tokens + 16
    try:
        llm = llama_cpp.Llama(
            model_path=a.gguf,
            n_ctx=n_ctx,
            n_threads=a.threads,
            n_threads_batch=a.threads,
            n_batch=a.n_batch,
            n_ubatch=a.n_batch,
            flash_attn=(a.flash_attn == "on"),
            verbose=False,
        )
    except Exception as e:  # llama-cpp-python raises ValueError("Failed to load model from file: ...")
        die(f"llama.cpp could not load {a.gguf}: {e}")

    n_vocab = llm.n_vocab()
    # Deterministic prompt: ids cycling through 1000..min(vocab, 30000), clear of the
    # byte tokens and of the special tokens that Qwen-style vocabularies keep at the end.
    lo, hi = 1000, min(n_vocab, 30000)
    if hi <= lo:
        die(f"vocabulary too small ({n_vocab}) for prompt ids 1000..30000")
    prompt = [lo + (i * 7919) % (hi - lo) for i in range(a.prompt_tokens)]

    ctx = llm.ctx

    def argmax_last():
        # logits of the last evaluated token (only that row is computed without logits_all)
        ptr = llama_cpp.llama_get_logits_ith(ctx, -1)
        return int(np.argmax(np.ctypeslib.as_array(ptr, shape=(n_vocab,))))

    def one_round(tokens, n_decode):
        llm.reset()  # n_tokens = 0; eval() then drops the KV cache from position 0 on
        t0 = time.perf_counter()
        llm.eval(tokens)
        tok = argmax_last()
        t1 = time.perf_counter()
        out = [tok]
        for _ in range(n_decode - 1):
            llm.eval([tok])
            tok = argmax_last()
            out.append(tok)
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1, out

    for _ in range(a.warmup):
        one_round(prompt[: min(64, len(prompt))], 4)

    rounds = []
    for r in range(a.rounds):
        ttft, dec, out = one_round(prompt, a.decode_tokens)
        assert len(out) == a.decode_tokens and llm.n_tokens == a.prompt_tokens + a.decode_tokens - 1
        rounds.append({
            "round": r + 1,
            "ttft_s": round(ttft, 4),
            "prefill_tok_s": round(a.prompt_tokens / ttft, 2),
            "decode_s": round(dec, 4),
            "decode_tok_s": round((a.decode_tokens - 1) / dec, 2),
            "first_tokens": out[:4],
        })

    med = lambda k: statistics.median(x[k] for x in rounds)
    result = {
        "engine": "llama.cpp",
        "version": f"llama-cpp-python {llama_cpp.__version__}",
        "gguf": os.path.abspath(a.gguf),
        "threads": a.threads,
        "prompt_tokens": a.prompt_tokens,
        "decode_tokens": a.decode_tokens,
        "n_batch": a.n_batch,
        "flash_attn": a.flash_attn,
        "ttft_s": med("ttft_s"),
        "prefill_tok_s": med("prefill_tok_s"),
        "decode_tok_s": med("decode_tok_s"),
        "rounds": rounds,
    }
    if a.json:
        print(json.dumps(result))
        return
    print(f"{result['version']}  {result['gguf']}")
    print(f"threads={a.threads} prompt={a.prompt_tokens} decode={a.decode_tokens} "
          f"n_batch={a.n_batch} flash_attn={a.flash_attn}")
    print(f"{'round':>6} {'ttft s':>9} {'prefill tok/s':>14} {'decode tok/s':>13}")
    for x in rounds:
        print(f"{x['round']:>6} {x['ttft_s']:>9.3f} {x['prefill_tok_s']:>14.1f} {x['decode_tok_s']:>13.1f}")
    print(f"{'median':>6} {result['ttft_s']:>9.3f} {result['prefill_tok_s']:>14.1f} {result['decode_tok_s']:>13.1f}")


if __name__ == "__main__":
    main()
