//! The transformer forward pass behind [`crate::embed::Embedder`], one of three:
//!
//! - **native**: footnote's own BERT pass for x86-64 CPUs with AVX-512 ([`bert_cpu`] on the
//!   kernels in [`kernels`]): weights packed once, sequences packed without padding, element-wise
//!   work fused into the matrix products. The default wherever it can run, because it is several
//!   times faster than the generic path (see BENCHMARKS.md).
//! - **native-bf16**: the same pass with bfloat16 matrix products (AVX-512 BF16), an opt-in
//!   trade of accuracy for speed; its accuracy is measured in BENCHMARKS.md.
//! - **candle**: candle-transformers' `BertModel`, on any CPU and on CUDA GPUs.
//!
//! Each returns one pooled, not yet normalised, vector per sequence.

#[cfg(target_arch = "x86_64")]
mod bert_cpu;
#[cfg(target_arch = "x86_64")]
pub(crate) mod kernels;

#[cfg(target_arch = "x86_64")]
use bert_cpu::Precision;
#[cfg(not(target_arch = "x86_64"))]
#[derive(Clone, Copy)]
enum Precision {
    F32,
    Bf16,
}

use std::path::Path;
use std::str::FromStr;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};

use crate::error::{Error, Result};

/// How token vectors become one sentence vector (`1_Pooling/config.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    Mean,
    Cls,
}

/// Which forward pass to use (`--encoder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncoderChoice {
    /// Native on a CPU that supports it, candle otherwise.
    #[default]
    Auto,
    Native,
    /// Native with bfloat16 products: faster, not bit-for-bit sentence-transformers.
    NativeBf16,
    Candle,
}

impl FromStr for EncoderChoice {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(EncoderChoice::Auto),
            "native" => Ok(EncoderChoice::Native),
            "native-bf16" => Ok(EncoderChoice::NativeBf16),
            "candle" => Ok(EncoderChoice::Candle),
            other => Err(Error::InvalidInput(format!(
                "unknown encoder `{other}`: use auto, native, native-bf16 or candle"
            ))),
        }
    }
}

/// A loaded forward pass.
pub enum Encoder {
    #[cfg(target_arch = "x86_64")]
    Native(bert_cpu::BertCpu),
    Candle {
        model: BertModel,
        device: Device,
    },
}

impl Encoder {
    /// Loads the weights in `weights` for `choice` on `device`.
    pub fn load(
        weights: &Path,
        config: &Config,
        device: &Device,
        choice: EncoderChoice,
    ) -> Result<Self> {
        // SAFETY: the file is memory-mapped read-only; footnote never writes model files while
        // a model is loaded from them.
        #[allow(unsafe_code)]
        let var_builder = |device: &Device| unsafe {
            VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, device)
        };
        let precision = match choice {
            EncoderChoice::NativeBf16 => Precision::Bf16,
            _ => Precision::F32,
        };
        match choice {
            EncoderChoice::Native | EncoderChoice::NativeBf16 if !device.is_cpu() => {
                return Err(Error::InvalidInput(
                    "the native encoder runs on the CPU; use --encoder candle (or auto) with a GPU"
                        .into(),
                ))
            }
            EncoderChoice::Native | EncoderChoice::NativeBf16 => {
                return Self::load_native(var_builder(device)?, config, precision)
            }
            EncoderChoice::Auto if device.is_cpu() => {
                match Self::load_native(var_builder(device)?, config, precision) {
                    Ok(native) => return Ok(native),
                    Err(e) => tracing::info!("using candle's forward pass: {e}"),
                }
            }
            _ => {}
        }
        let model = BertModel::load(var_builder(device)?, config)?;
        Ok(Encoder::Candle {
            model,
            device: device.clone(),
        })
    }

    #[cfg(target_arch = "x86_64")]
    fn load_native(vb: VarBuilder, config: &Config, precision: Precision) -> Result<Self> {
        bert_cpu::BertCpu::load(vb, config, precision).map(Encoder::Native)
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn load_native(_: VarBuilder, _: &Config, _: Precision) -> Result<Self> {
        Err(Error::Unsupported(
            "native CPU encoder: only built for x86-64".into(),
        ))
    }

    /// Names the backend, for logs and `footnote bench`.
    pub fn name(&self) -> &'static str {
        match self {
            #[cfg(target_arch = "x86_64")]
            Encoder::Native(model) => match model.precision() {
                Precision::F32 => "native-avx512",
                Precision::Bf16 => "native-avx512-bf16",
            },
            Encoder::Candle { .. } => "candle",
        }
    }

    /// One pooled hidden-state vector per sequence, in order (not normalised).
    pub fn pooled(&self, seqs: &[&[u32]], pooling: Pooling) -> Result<Vec<Vec<f32>>> {
        match self {
            #[cfg(target_arch = "x86_64")]
            Encoder::Native(model) => {
                let hidden = model.forward(seqs)?;
                let width = model.hidden_size();
                let mut rest = hidden.as_slice();
                Ok(seqs
                    .iter()
                    .map(|seq| {
                        let (own, next) = rest.split_at(seq.len() * width);
                        rest = next;
                        pool(own, width, pooling)
                    })
                    .collect())
            }
            Encoder::Candle { model, device } => candle_pooled(model, device, seqs, pooling),
        }
    }
}

/// Mean of a sequence's token vectors (`rows`, `width` floats each), or its first ([CLS])
/// token's.
#[cfg(target_arch = "x86_64")]
fn pool(rows: &[f32], width: usize, pooling: Pooling) -> Vec<f32> {
    match (pooling, rows.len() / width) {
        (_, 0) => vec![0.0; width],
        (Pooling::Cls, _) => rows[..width].to_vec(),
        (Pooling::Mean, n) => {
            let mut sum = vec![0.0f32; width];
            for row in rows.chunks_exact(width) {
                for (s, v) in sum.iter_mut().zip(row) {
                    *s += v;
                }
            }
            sum.iter_mut().for_each(|s| *s /= n as f32);
            sum
        }
    }
}

/// candle's path: pad the batch to its longest sequence and mask the padding.
fn candle_pooled(
    model: &BertModel,
    device: &Device,
    seqs: &[&[u32]],
    pooling: Pooling,
) -> Result<Vec<Vec<f32>>> {
    let batch = seqs.len();
    let len = seqs.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
    let mut input_ids = vec![0u32; batch * len];
    let mut mask = vec![0u32; batch * len];
    for (row, seq) in seqs.iter().enumerate() {
        input_ids[row * len..row * len + seq.len()].copy_from_slice(seq);
        mask[row * len..row * len + seq.len()].fill(1);
    }
    let input_ids = Tensor::from_vec(input_ids, (batch, len), device)?;
    let mask = Tensor::from_vec(mask, (batch, len), device)?;
    let token_type_ids = input_ids.zeros_like()?;
    let hidden = model.forward(&input_ids, &token_type_ids, Some(&mask))?;
    let pooled = match pooling {
        Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
        Pooling::Mean => {
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
            let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
            summed.broadcast_div(&counts)?
        }
    };
    Ok(pooled.to_dtype(DType::F32)?.to_vec2::<f32>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_choice_parses_and_refuses_nonsense() {
        assert_eq!(
            "Native".parse::<EncoderChoice>().ok(),
            Some(EncoderChoice::Native)
        );
        assert_eq!(
            "candle".parse::<EncoderChoice>().ok(),
            Some(EncoderChoice::Candle)
        );
        assert!("onnx".parse::<EncoderChoice>().is_err());
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn mean_pooling_averages_only_the_sequences_own_rows() {
        let rows = [1.0, 2.0, 3.0, 6.0]; // two tokens of width 2
        assert_eq!(pool(&rows, 2, Pooling::Mean), vec![2.0, 4.0]);
        assert_eq!(pool(&rows, 2, Pooling::Cls), vec![1.0, 2.0]);
    }
}
