#!/usr/bin/env python3
"""Time footnote's embedder beside its peers on exactly the same sentences, in one run.

Peers: sentence-transformers (PyTorch) and ONNX Runtime (the same model exported to ONNX, mean
pooling in numpy, length-sorted batches). All three use the model folder footnote uses
(models/all-MiniLM-L6-v2), the same sentences (written by `footnote bench --sentences-out`) and the
same thread count. Tokens are counted with the model's own tokenizer, padding excluded, so tokens/s
compare directly. footnote and ONNX Runtime are timed on already tokenised batches (the forward pass
and pooling only); sentence-transformers' `encode` includes its tokenisation. footnote runs once per
encoder in --encoders (default: the exact f32 pass, then the opt-in bf16 one). The printed ratio
(footnote / peer) is the result to quote.

Usage (from the repository root, after `cargo build --release`):
    python3 benches/peers/peers.py [--batch-sizes 8,32,64] [--corpus PATH ...] [--threads 2]
        [--encoders native,native-bf16] [--repeats 1]

The first run creates benches/peers/.venv and installs pinned packages from PyPI (PyTorch is
large: a few GB with its CUDA libraries, though only the CPU is used).
"""
import argparse
import json
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(__file__).resolve().parent / ".venv"
PACKAGES = [
    "sentence-transformers==5.1.2",
    "onnxruntime==1.23.2",
    "onnx==1.19.1",
    "numpy<3",
]
MODEL = ROOT / "models" / "all-MiniLM-L6-v2"


def ensure_venv():
    """Re-run this script inside the virtualenv, creating it first if needed."""
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not python.exists():
        print(f"creating {VENV} and installing {', '.join(PACKAGES)}", file=sys.stderr)
        venv.create(VENV, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PACKAGES], check=True)
    os.execv(str(python), [str(python), __file__, *sys.argv[1:]])


def run_footnote(args, sentences_path, encoder):
    cmd = [
        str(ROOT / "target" / "release" / "footnote"),
        "--encoder", encoder,
        "bench", "--json", "--rounds", str(args.rounds),
        "--batch-sizes", args.batch_sizes,
        "--sentences-out", str(sentences_path),
    ]
    for c in args.corpus:
        cmd += ["--corpus", c]
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env).stdout
    return {r["batch_size"]: r for r in map(json.loads, out.splitlines())}


def time_batches(embed_batch, batches, rounds):
    for b in batches:  # warm-up
        embed_batch(b)
    start = time.perf_counter()
    for _ in range(rounds):
        for b in batches:
            embed_batch(b)
    return time.perf_counter() - start


def main():
    ensure_venv()
    import numpy as np
    import onnxruntime as ort
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer

    p = argparse.ArgumentParser()
    p.add_argument("--batch-sizes", default="8,32,64")
    p.add_argument("--corpus", action="append", default=[])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--encoders", default="native,native-bf16")
    p.add_argument("--repeats", type=int, default=1,
                   help="time every system this many times, alternating, and keep each one's best "
                        "(steadier on a machine with other work running)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    sentences_path = VENV / "sentences.txt"
    encoders = args.encoders.split(",")
    ours = {e: run_footnote(args, sentences_path, e) for e in encoders}
    sentences = [s for s in sentences_path.read_text().split("\n") if s]
    tokenizer = AutoTokenizer.from_pretrained(str(MODEL))
    lengths = [len(ids) for ids in tokenizer(sentences, truncation=True, max_length=256)["input_ids"]]
    tokens = sum(lengths)
    ordered = [s for _, s in sorted(zip(lengths, sentences), key=lambda t: -t[0])]

    st = SentenceTransformer(str(MODEL), device="cpu")

    onnx_path = VENV / "minilm.onnx"
    if not onnx_path.exists():
        model = AutoModel.from_pretrained(str(MODEL)).eval()
        dummy = tokenizer(["a sentence"], return_tensors="pt")
        torch.onnx.export(
            model,
            (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"]),
            str(onnx_path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    def ort_feeds(batch):
        enc = tokenizer(batch, padding=True, truncation=True, max_length=256, return_tensors="np")
        return {k: enc[k].astype(np.int64) for k in ["input_ids", "attention_mask", "token_type_ids"]}

    def ort_embed(feeds):
        hidden = session.run(None, feeds)[0]
        mask = feeds["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    print(f"{len(sentences)} sentences, {tokens} tokens, {args.threads} threads, {args.rounds} rounds, "
          f"best of {args.repeats}")
    header = f"{'batch':>5} {'sentence-transformers':>22} {'onnxruntime':>12}"
    for e in encoders:
        header += f" {'footnote ' + e:>22} {'vs ST':>6} {'vs ORT':>6}"
    print(header)
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    best = {}  # (system, batch size) -> best tokens/s over the repeats
    for repeat in range(args.repeats):
        runs = ours if repeat == 0 else {e: run_footnote(args, sentences_path, e) for e in encoders}
        for e, results in runs.items():
            for bs in batch_sizes:
                key = (e, bs)
                best[key] = max(best.get(key, 0.0), results[bs]["tokens_per_second"])
        for bs in batch_sizes:
            batches = [ordered[i:i + bs] for i in range(0, len(ordered), bs)]
            st_s = time_batches(lambda b: st.encode(b, batch_size=bs, normalize_embeddings=True), batches, args.rounds)
            ort_s = time_batches(ort_embed, [ort_feeds(b) for b in batches], args.rounds)
            for name, seconds in [("st", st_s), ("ort", ort_s)]:
                key = (name, bs)
                best[key] = max(best.get(key, 0.0), tokens * args.rounds / seconds)
    for bs in batch_sizes:
        st_tps, ort_tps = best[("st", bs)], best[("ort", bs)]
        line = f"{bs:>5} {st_tps:>22,.0f} {ort_tps:>12,.0f}"
        for e in encoders:
            tps = best[(e, bs)]
            line += f" {tps:>22,.0f} {tps / st_tps:>5.2f}x {tps / ort_tps:>5.2f}x"
        print(line)

if __name__ == "__main__":
    main()
