//! A writing model of any shape with made-up weights: a GGUF file, a byte-level BPE
//! `tokenizer.json` with the ChatML chat tokens, and a `tokenizer_config.json` with a Qwen3-style
//! chat template (`chatml.jinja`).
//!
//! No LLM weights can be fetched where footnote is built and tested, so its tests build a tiny
//! one, and its generation benchmark runs a model of Qwen3-0.6B's exact shape: speed does not
//! depend on the weights' values. The GGUF carries the tokenizer too (`tokenizer.ggml.*`), so
//! llama.cpp can time the same file. `cargo run --release --example random_llm` writes one.
//!
//! [`Behaviour::Always`] makes a model that writes one token over and over, whatever the prompt
//! (every layer's output projection is zero, every token embeds alike, and the output row of
//! that token is the only one aligned with it): tests of stop tokens, token limits, streaming
//! and cancellation need to know what comes next.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use serde_json::json;

use super::LlmFiles;
use crate::error::{Error, Result};

/// The chat template written into both the GGUF and `tokenizer_config.json`.
const CHAT_TEMPLATE: &str = include_str!("chatml.jinja");

/// Special tokens, last in the vocabulary as in Qwen's. `<think>` is not special in Qwen3
/// (decoding keeps it), which is why footnote strips thinking blocks from what it shows.
const SPECIAL_TOKENS: [(&str, bool); 5] = [
    ("<|endoftext|>", true),
    ("<|im_start|>", true),
    ("<|im_end|>", true),
    ("<think>", false),
    ("</think>", false),
];

/// Model families the writer can lay out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Qwen3,
    Llama,
}

impl Family {
    fn architecture(self) -> &'static str {
        match self {
            Family::Qwen3 => "qwen3",
            Family::Llama => "llama",
        }
    }
}

/// The dimensions of a decoder-only transformer.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub family: Family,
    pub vocab: usize,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub feed_forward: usize,
    pub context: usize,
}

impl Shape {
    /// Qwen3-0.6B (from its config.json): what `footnote bench --generate` times.
    pub fn qwen3_0_6b() -> Self {
        Shape {
            family: Family::Qwen3,
            vocab: 151_936,
            hidden: 1024,
            layers: 28,
            heads: 16,
            kv_heads: 8,
            head_dim: 128,
            feed_forward: 3072,
            context: 40_960,
        }
    }

    /// A model small enough to build in a test in milliseconds.
    pub fn tiny(family: Family) -> Self {
        Shape {
            family,
            vocab: 320,
            hidden: 64,
            layers: 2,
            heads: 4,
            kv_heads: 2,
            head_dim: 16,
            feed_forward: 128,
            context: 4096,
        }
    }
}

/// What the made-up weights make the model write.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Random weights (normal, standard deviation 0.02): arbitrary text.
    Random,
    /// This token (its text in the vocabulary), every time.
    Always(String),
}

/// Writes `model.gguf`, `tokenizer.json` and `tokenizer_config.json` into `dir` (created if
/// missing) and returns them as a model's files, named `name`.
pub fn write_model(
    dir: &Path,
    name: &str,
    shape: &Shape,
    dtype: GgmlDType,
    behaviour: &Behaviour,
) -> Result<LlmFiles> {
    let vocab = vocabulary(shape.vocab)?;
    let always = match behaviour {
        Behaviour::Random => None,
        Behaviour::Always(token) => {
            Some(vocab.iter().position(|t| t == token).ok_or_else(|| {
                Error::InvalidInput(format!("`{token}` is not in the made-up vocabulary"))
            })?)
        }
    };
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tokenizer = dir.join("tokenizer.json");
    write_json(&tokenizer, &tokenizer_json(&vocab))?;
    let config = dir.join("tokenizer_config.json");
    write_json(
        &config,
        &json!({ "chat_template": CHAT_TEMPLATE, "eos_token": "<|im_end|>", "bos_token": null }),
    )?;
    let gguf = dir.join("model.gguf");
    write_gguf(&gguf, shape, dtype, &vocab, always)?;
    Ok(LlmFiles {
        name: name.to_string(),
        gguf,
        tokenizer,
        tokenizer_config: Some(config),
    })
}

/// GPT-2's byte-to-character map: printable bytes stand for themselves, the others for
/// characters from U+0100 on, so every byte sequence is a string of visible characters.
fn byte_chars() -> Vec<char> {
    let printable = |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || b >= 174;
    let mut next = 256;
    (0..256u32)
        .map(|b| {
            if printable(b) {
                char::from_u32(b).unwrap_or('?')
            } else {
                let c = char::from_u32(next).unwrap_or('?');
                next += 1;
                c
            }
        })
        .collect()
}

/// The tokens: the 256 byte characters, a space joined to each letter (merged from the two, so
/// the tokenizer has merges as real ones do), fillers, then the special tokens.
fn vocabulary(size: usize) -> Result<Vec<String>> {
    let bytes = byte_chars();
    let space = bytes[b' ' as usize];
    let mut tokens: Vec<String> = bytes.iter().map(|c| c.to_string()).collect();
    tokens.extend(('a'..='z').map(|c| format!("{space}{c}")));
    let fixed = tokens.len() + SPECIAL_TOKENS.len();
    if size < fixed {
        return Err(Error::InvalidInput(format!(
            "a vocabulary of {size} is too small; the made-up tokenizer needs {fixed}"
        )));
    }
    tokens.extend((0..size - fixed).map(|i| format!("<unused{i}>")));
    tokens.extend(SPECIAL_TOKENS.iter().map(|(t, _)| t.to_string()));
    Ok(tokens)
}

fn merges() -> Vec<String> {
    let space = byte_chars()[b' ' as usize];
    ('a'..='z').map(|c| format!("{space} {c}")).collect()
}

fn tokenizer_json(vocab: &[String]) -> serde_json::Value {
    let ids: HashMap<&str, usize> = vocab
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let added: Vec<serde_json::Value> = SPECIAL_TOKENS
        .iter()
        .map(|&(t, special)| {
            json!({ "id": ids[t], "content": t, "single_word": false, "lstrip": false,
                    "rstrip": false, "normalized": false, "special": special })
        })
        .collect();
    let byte_level = json!({ "type": "ByteLevel", "add_prefix_space": false,
                             "trim_offsets": false, "use_regex": true });
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": byte_level,
        "post_processor": null,
        "decoder": byte_level,
        "model": {
            "type": "BPE", "dropout": null, "unk_token": null,
            "continuing_subword_prefix": null, "end_of_word_suffix": null,
            "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
            "vocab": ids, "merges": merges(),
        }
    })
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::InvalidInput(format!("{}: {e}", path.display())))?;
    fs::write(path, text).map_err(|e| Error::io(path, e))
}

/// The GGUF file: metadata in llama.cpp's names (which candle reads too), then the tensors.
fn write_gguf(
    path: &Path,
    shape: &Shape,
    dtype: GgmlDType,
    vocab: &[String],
    always: Option<usize>,
) -> Result<()> {
    use gguf_file::Value;
    let arch = shape.family.architecture();
    let u32_of = |n: usize| Value::U32(n as u32);
    let end_of_turn = vocab.len() - SPECIAL_TOKENS.len() + 2;
    let end_of_text = vocab.len() - SPECIAL_TOKENS.len();
    let special_ids = vocab.len() - SPECIAL_TOKENS.len()..vocab.len();
    let mut metadata: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String(arch.into())),
        (
            "general.name".into(),
            Value::String("footnote random".into()),
        ),
        ("general.alignment".into(), Value::U32(32)),
        (format!("{arch}.context_length"), u32_of(shape.context)),
        (format!("{arch}.embedding_length"), u32_of(shape.hidden)),
        (
            format!("{arch}.feed_forward_length"),
            u32_of(shape.feed_forward),
        ),
        (format!("{arch}.block_count"), u32_of(shape.layers)),
        (format!("{arch}.attention.head_count"), u32_of(shape.heads)),
        (
            format!("{arch}.attention.head_count_kv"),
            u32_of(shape.kv_heads),
        ),
        (
            format!("{arch}.attention.key_length"),
            u32_of(shape.head_dim),
        ),
        (
            format!("{arch}.attention.value_length"),
            u32_of(shape.head_dim),
        ),
        (
            format!("{arch}.rope.dimension_count"),
            u32_of(shape.head_dim),
        ),
        (
            format!("{arch}.attention.layer_norm_rms_epsilon"),
            Value::F32(1e-6),
        ),
        (format!("{arch}.rope.freq_base"), Value::F32(1_000_000.0)),
        ("tokenizer.ggml.model".into(), Value::String("gpt2".into())),
        ("tokenizer.ggml.pre".into(), Value::String("qwen2".into())),
        (
            "tokenizer.ggml.tokens".into(),
            Value::Array(vocab.iter().map(|t| Value::String(t.clone())).collect()),
        ),
        (
            "tokenizer.ggml.token_type".into(),
            Value::Array(
                (0..vocab.len())
                    // 1: normal, 3: control.
                    .map(|i| Value::I32(if special_ids.contains(&i) { 3 } else { 1 }))
                    .collect(),
            ),
        ),
        (
            "tokenizer.ggml.merges".into(),
            Value::Array(merges().into_iter().map(Value::String).collect()),
        ),
        ("tokenizer.ggml.eos_token_id".into(), u32_of(end_of_turn)),
        (
            "tokenizer.ggml.padding_token_id".into(),
            u32_of(end_of_text),
        ),
        ("tokenizer.ggml.bos_token_id".into(), u32_of(end_of_text)),
        ("tokenizer.ggml.add_bos_token".into(), Value::Bool(false)),
        (
            "tokenizer.chat_template".into(),
            Value::String(CHAT_TEMPLATE.into()),
        ),
    ];
    if dtype == GgmlDType::Q8_0 {
        // llama.cpp's LLAMA_FTYPE_MOSTLY_Q8_0.
        metadata.push(("general.file_type".into(), Value::U32(7)));
    }
    let tensors = tensors(shape, dtype, always)?;
    let metadata_refs: Vec<(&str, &Value)> =
        metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut file = std::io::BufWriter::new(fs::File::create(path).map_err(|e| Error::io(path, e))?);
    gguf_file::write(&mut file, &metadata_refs, &tensor_refs)?;
    std::io::Write::flush(&mut file).map_err(|e| Error::io(path, e))?;
    Ok(())
}

/// The weights, named as llama.cpp names them. Norms stay f32, matrices take `dtype`.
fn tensors(
    shape: &Shape,
    dtype: GgmlDType,
    always: Option<usize>,
) -> Result<Vec<(String, QTensor)>> {
    let cpu = Device::Cpu;
    let random = |rows: usize, cols: usize| Tensor::randn(0f32, 0.02, (rows, cols), &cpu);
    let matrix = |t: Tensor| QTensor::quantize(&t, dtype);
    let norm = || {
        QTensor::quantize(
            &Tensor::ones(shape.hidden, candle_core::DType::F32, &cpu)?,
            GgmlDType::F32,
        )
    };
    let q_width = shape.heads * shape.head_dim;
    let kv_width = shape.kv_heads * shape.head_dim;
    let mut out: Vec<(String, QTensor)> = Vec::new();
    // Projections into the residual stream: zero for a model that must ignore its input.
    let into_residual = |rows: usize, cols: usize| match always {
        Some(_) => Tensor::zeros((rows, cols), candle_core::DType::F32, &cpu),
        None => random(rows, cols),
    };
    match always {
        None => out.push((
            "token_embd.weight".into(),
            matrix(random(shape.vocab, shape.hidden)?)?,
        )),
        Some(token) => {
            // Every token embeds to the same all-ones vector; only `token`'s output row is
            // aligned with it, so it wins every step.
            let embed = Tensor::ones((shape.vocab, shape.hidden), candle_core::DType::F32, &cpu)?;
            out.push(("token_embd.weight".into(), matrix(embed)?));
            let mut rows = vec![0f32; shape.vocab * shape.hidden];
            rows[token * shape.hidden..(token + 1) * shape.hidden].fill(1.0);
            let output = Tensor::from_vec(rows, (shape.vocab, shape.hidden), &cpu)?;
            out.push(("output.weight".into(), matrix(output)?));
        }
    }
    out.push(("output_norm.weight".into(), norm()?));
    for layer in 0..shape.layers {
        let p = format!("blk.{layer}");
        out.push((format!("{p}.attn_norm.weight"), norm()?));
        out.push((format!("{p}.ffn_norm.weight"), norm()?));
        out.push((
            format!("{p}.attn_q.weight"),
            matrix(random(q_width, shape.hidden)?)?,
        ));
        out.push((
            format!("{p}.attn_k.weight"),
            matrix(random(kv_width, shape.hidden)?)?,
        ));
        out.push((
            format!("{p}.attn_v.weight"),
            matrix(random(kv_width, shape.hidden)?)?,
        ));
        out.push((
            format!("{p}.attn_output.weight"),
            matrix(into_residual(shape.hidden, q_width)?)?,
        ));
        out.push((
            format!("{p}.ffn_gate.weight"),
            matrix(random(shape.feed_forward, shape.hidden)?)?,
        ));
        out.push((
            format!("{p}.ffn_up.weight"),
            matrix(random(shape.feed_forward, shape.hidden)?)?,
        ));
        out.push((
            format!("{p}.ffn_down.weight"),
            matrix(into_residual(shape.hidden, shape.feed_forward)?)?,
        ));
        if shape.family == Family::Qwen3 {
            let head_norm = Tensor::ones(shape.head_dim, candle_core::DType::F32, &cpu)?;
            out.push((
                format!("{p}.attn_q_norm.weight"),
                QTensor::quantize(&head_norm, GgmlDType::F32)?,
            ));
            out.push((
                format!("{p}.attn_k_norm.weight"),
                QTensor::quantize(&head_norm, GgmlDType::F32)?,
            ));
        }
    }
    Ok(out)
}
