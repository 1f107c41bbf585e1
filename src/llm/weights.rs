//! The model families footnote can run from a GGUF file, by the file's `general.architecture`:
//! each is one of candle-transformers' quantized models, which keep their KV cache inside, or,
//! for Qwen3 with Q8_0 weights on a CPU with AVX-512 VNNI, footnote's own forward pass
//! ([`super::native`]), several times faster there.
//!
//! Which runs is chosen by `--llm-backend` (env `FOOTNOTE_LLM_BACKEND`): `auto` (the
//! default: native where it can run, candle otherwise), `native` (an error where it cannot) or
//! `candle`.

use std::io::{Read, Seek};

use candle_core::quantized::gguf_file;
use candle_core::{DType, Device, Tensor};
use candle_transformers::models::{quantized_llama, quantized_qwen2, quantized_qwen3};

use super::native::{self, NativeQwen3};
use crate::error::{Error, Result};

/// Which forward pass runs the writing model (`--llm-backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// Native where it can run, candle otherwise.
    #[default]
    Auto,
    Native,
    Candle,
}

impl std::str::FromStr for Backend {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Backend::Auto),
            "native" => Ok(Backend::Native),
            "candle" => Ok(Backend::Candle),
            other => Err(Error::InvalidInput(format!(
                "unknown writing-model backend `{other}`: use auto, native or candle"
            ))),
        }
    }
}

/// Architectures read (the GGUF's `general.architecture`).
pub const ARCHITECTURES: [&str; 3] = ["qwen3", "qwen2", "llama"];

/// A loaded model with its KV cache.
pub enum Weights {
    Qwen3(quantized_qwen3::ModelWeights),
    Qwen2(quantized_qwen2::ModelWeights),
    Llama(quantized_llama::ModelWeights),
    /// footnote's own Qwen3 Q8_0 forward pass (boxed: it is large and there is one).
    Native(Box<NativeQwen3>),
}

impl Weights {
    /// Loads the weights of a GGUF file already opened and read.
    pub fn load<R: Read + Seek>(
        content: gguf_file::Content,
        reader: &mut R,
        device: &Device,
        name: &str,
        backend: Backend,
    ) -> Result<Self> {
        if backend != Backend::Candle {
            let native = if device.is_cpu() {
                native::supports(&content)
            } else {
                Err("the native pass runs on the CPU only".to_string())
            };
            match (native, backend) {
                (Ok(cpu), _) => match NativeQwen3::load(cpu, &content, reader) {
                    Ok(model) => return Ok(Weights::Native(Box::new(model))),
                    // `auto` promises a model that runs: candle reads what the native pass
                    // could not.
                    Err(e) if backend == Backend::Auto => tracing::warn!(
                        model = %name,
                        "the native pass cannot load this model ({e}); it runs on candle"
                    ),
                    Err(e) => {
                        return Err(Error::Model {
                            model: name.to_string(),
                            message: format!("cannot load the native pass: {e}"),
                        })
                    }
                },
                (Err(why), Backend::Native) => {
                    return Err(Error::Unsupported(format!(
                        "model {name}: the native backend was asked for, but {why}"
                    )))
                }
                (Err(why), _) => {
                    tracing::info!(model = %name, reason = %why, "the writing model runs on candle")
                }
            }
        }
        let architecture = content
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        let wrap = |e: candle_core::Error| Error::Model {
            model: name.to_string(),
            message: format!("cannot load the {architecture} weights: {e}"),
        };
        Ok(match architecture.as_str() {
            "qwen3" => Weights::Qwen3(
                quantized_qwen3::ModelWeights::from_gguf(content, reader, device).map_err(wrap)?,
            ),
            "qwen2" => Weights::Qwen2(
                quantized_qwen2::ModelWeights::from_gguf(content, reader, device).map_err(wrap)?,
            ),
            "llama" => Weights::Llama(
                quantized_llama::ModelWeights::from_gguf(content, reader, device).map_err(wrap)?,
            ),
            other => {
                return Err(Error::Unsupported(format!(
                    "model {name}: architecture `{other}` is not supported; footnote runs {}",
                    ARCHITECTURES.join(", ")
                )))
            }
        })
    }

    /// Empties the KV cache, for a new sequence.
    pub fn clear(&mut self) {
        match self {
            Weights::Qwen3(m) => m.clear_kv_cache(),
            Weights::Qwen2(m) => m.clear_kv_cache(),
            Weights::Llama(m) => m.clear_kv_cache(),
            Weights::Native(m) => m.clear(),
        }
    }

    /// Which forward pass this is, for logs and benchmarks: `native-avx512-vnni` or `candle`.
    pub fn backend(&self) -> &'static str {
        match self {
            Weights::Native(_) => "native-avx512-vnni",
            _ => "candle",
        }
    }

    /// Runs `tokens` (one sequence) at positions `offset..`, appending them to the cache, and
    /// returns the logits for the token after the last, as f32 of the vocabulary's length.
    pub fn forward(&mut self, tokens: &[u32], offset: usize, device: &Device) -> Result<Tensor> {
        if tokens.is_empty() {
            return Err(Error::InvalidInput("no tokens to run the model on".into()));
        }
        let input = || Tensor::new(tokens, device)?.unsqueeze(0);
        let logits = match self {
            Weights::Native(m) => {
                let logits = m.forward(tokens, offset)?;
                let len = logits.len();
                return Ok(Tensor::from_vec(logits, len, &Device::Cpu)?);
            }
            Weights::Qwen3(m) => m.forward(&input()?, offset)?,
            Weights::Qwen2(m) => m.forward(&input()?, offset)?,
            Weights::Llama(m) => m.forward(&input()?, offset)?,
        };
        // (1, vocab) in every family; a (1, seq, vocab) output would give its last position.
        let logits = match logits.rank() {
            3 => logits.squeeze(0)?.get(tokens.len() - 1)?,
            2 => logits.squeeze(0)?,
            _ => logits,
        };
        Ok(logits.to_dtype(DType::F32)?)
    }
}
