#!/usr/bin/env python3
"""Time footnote's embedder beside its peers on exactly the same sentences, in one run.

Peers: sentence-transformers (PyTorch) and ONNX Runtime (the same model exported to ONNX, mean
pooling in numpy, length-sorted batches). All three use the model folder footnote uses
(models/all-MiniLM-L6-v2), the same sentences (written by `footnote bench --sentences-out`) and the
same thread count. Tokens are counted with the model's own tokenizer, padding excluded, so tokens/s
compare directly. The printed ratio (footnote / peer) is the result to quote.

Usage (from the repository root, after `cargo build --release`):
    python3 benches/peers/peers.py [--batch-sizes 8,32,64] [--corpus PATH ...] [--threads 2]

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


def run_footnote(args, sentences_path):
    cmd = [
        str(ROOT / "target" / "release" / "footnote"),
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
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    sentences_path = VENV / "sentences.txt"
    ours = run_footnote(args, sentences_path)
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

    def ort_embed(batch):
        enc = tokenizer(batch, padding=True, truncation=True, max_length=256, return_tensors="np")
        feeds = {k: enc[k].astype(np.int64) for k in ["input_ids", "attention_mask", "token_type_ids"]}
        hidden = session.run(None, feeds)[0]
        mask = feeds["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    print(f"{len(sentences)} sentences, {tokens} tokens, {args.threads} threads, {args.rounds} rounds")
    print(f"{'batch':>5} {'footnote tok/s':>15} {'sentence-transformers':>22} {'onnxruntime':>12} {'vs ST':>7} {'vs ORT':>7}")
    for bs in [int(b) for b in args.batch_sizes.split(",")]:
        batches = [ordered[i:i + bs] for i in range(0, len(ordered), bs)]
        st_s = time_batches(lambda b: st.encode(b, batch_size=bs, normalize_embeddings=True), batches, args.rounds)
        ort_s = time_batches(ort_embed, batches, args.rounds)
        st_tps = tokens * args.rounds / st_s
        ort_tps = tokens * args.rounds / ort_s
        ours_tps = ours[bs]["tokens_per_second"]
        print(f"{bs:>5} {ours_tps:>15,.0f} {st_tps:>22,.0f} {ort_tps:>12,.0f} {ours_tps / st_tps:>6.2f}x {ours_tps / ort_tps:>6.2f}x")


if __name__ == "__main__":
    main()
