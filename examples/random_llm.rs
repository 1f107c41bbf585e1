//! Writes a writing model with random weights: a GGUF file (with its tokenizer, so llama.cpp can
//! load it too), tokenizer.json and tokenizer_config.json. Speed does not depend on the weights'
//! values, so `footnote bench --generate --llm DIR` on a model of Qwen3-0.6B's shape measures
//! what the real model would cost; see BENCHMARKS.md.
//!
//! cargo run --release --example random_llm -- --shape qwen3-0.6b --out models/random-qwen3-0.6b
//!
//! With `--always TOKEN` the model writes that token every time instead (`footnote::llm::random`'s
//! `Behaviour::Always`), so that what it streams is known.

use std::path::PathBuf;

use candle_core::quantized::GgmlDType;
use clap::{Parser, ValueEnum};
use footnote::llm::random::{self, Behaviour, Family, Shape};

#[derive(Clone, Copy, ValueEnum)]
enum ShapeName {
    /// Qwen3-0.6B's dimensions.
    #[value(name = "qwen3-0.6b")]
    Qwen3_0_6b,
    /// A tiny Qwen3, for trying the plumbing.
    TinyQwen3,
    /// A tiny Llama.
    TinyLlama,
}

#[derive(Clone, Copy, ValueEnum)]
enum Quantization {
    Q8_0,
    Q4_0,
    F16,
    F32,
}

#[derive(Parser)]
struct Args {
    #[arg(long, value_enum, default_value = "qwen3-0.6b")]
    shape: ShapeName,
    /// The quantization of the matrices (norms stay f32); Qwen3-0.6B's GGUF is Q8_0.
    #[arg(long, value_enum, default_value = "q8-0")]
    quantization: Quantization,
    /// The folder to write (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Write a model that writes this token (its text in the vocabulary, such as `a`) every
    /// time, instead of random weights: what it streams is known (scripts/schemathesis.sh).
    #[arg(long)]
    always: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let shape = match args.shape {
        ShapeName::Qwen3_0_6b => Shape::qwen3_0_6b(),
        ShapeName::TinyQwen3 => Shape::tiny(Family::Qwen3),
        ShapeName::TinyLlama => Shape::tiny(Family::Llama),
    };
    let dtype = match args.quantization {
        Quantization::Q8_0 => GgmlDType::Q8_0,
        Quantization::Q4_0 => GgmlDType::Q4_0,
        Quantization::F16 => GgmlDType::F16,
        Quantization::F32 => GgmlDType::F32,
    };
    let files = random::write_model(
        &args.out,
        &args.out.display().to_string(),
        &shape,
        dtype,
        &args.always.map_or(Behaviour::Random, Behaviour::Always),
    )?;
    println!("{}", files.gguf.display());
    Ok(())
}
