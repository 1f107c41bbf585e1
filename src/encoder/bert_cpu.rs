//! BERT's forward pass on the CPU with footnote's own AVX-512 kernels ([`super::kernels`]).
//!
//! Laid out like candle's `bert.rs` (each layer a struct with `load` and `forward`), with three
//! differences that make it fast: query, key and value weights are fused into one matrix,
//! packed once at load; sequences are packed one after another with no padding (the matrix
//! products run over real tokens only and attention over each sequence's own rows, so no mask);
//! and bias, GELU and residual adds happen inside the matrix products.

use std::sync::Mutex;

use candle_nn::VarBuilder;
use candle_transformers::models::bert::{Config, HiddenAct};

pub use super::kernels::Precision;
use super::kernels::{self, Avx512, Epilogue, PackedInput, PackedLinear, Span};
use crate::error::{Error, Result};

/// Reads a tensor of the given shape as a flat `f32` vector.
fn read(vb: &VarBuilder, shape: &[usize], name: &str) -> candle_core::Result<Vec<f32>> {
    vb.get(shape, name)?.flatten_all()?.to_vec1::<f32>()
}

fn linear(vb: &VarBuilder, out: usize, inp: usize) -> candle_core::Result<(Vec<f32>, Vec<f32>)> {
    Ok((read(vb, &[out, inp], "weight")?, read(vb, &[out], "bias")?))
}

struct LayerNorm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f32,
}

impl LayerNorm {
    fn load(vb: VarBuilder, cfg: &Config) -> candle_core::Result<Self> {
        Ok(LayerNorm {
            gamma: read(&vb, &[cfg.hidden_size], "weight")?,
            beta: read(&vb, &[cfg.hidden_size], "bias")?,
            eps: cfg.layer_norm_eps as f32,
        })
    }

    fn forward(&self, cpu: Avx512, x: &mut [f32]) {
        kernels::layer_norm(cpu, x, self.gamma.len(), &self.gamma, &self.beta, self.eps);
    }
}

/// Word + position + token-type embeddings, then layer norm.
struct Embeddings {
    words: Vec<f32>,
    positions: Vec<f32>,
    /// Token type 0: footnote embeds single sentences, as sentence-transformers does.
    token_type: Vec<f32>,
    norm: LayerNorm,
    hidden: usize,
}

impl Embeddings {
    fn load(vb: VarBuilder, cfg: &Config) -> candle_core::Result<Self> {
        let h = cfg.hidden_size;
        let types = read(
            &vb.pp("token_type_embeddings"),
            &[cfg.type_vocab_size, h],
            "weight",
        )?;
        Ok(Embeddings {
            words: read(&vb.pp("word_embeddings"), &[cfg.vocab_size, h], "weight")?,
            positions: read(
                &vb.pp("position_embeddings"),
                &[cfg.max_position_embeddings, h],
                "weight",
            )?,
            token_type: types[..h].to_vec(),
            norm: LayerNorm::load(vb.pp("LayerNorm"), cfg)?,
            hidden: h,
        })
    }

    fn forward(&self, cpu: Avx512, seqs: &[&[u32]], out: &mut [f32]) -> Result<()> {
        let h = self.hidden;
        let mut rows = out.chunks_exact_mut(h);
        for seq in seqs {
            for (position, &id) in seq.iter().enumerate() {
                let word = self.words.get(id as usize * h..(id as usize + 1) * h);
                let pos = self.positions.get(position * h..(position + 1) * h);
                let (Some(word), Some(pos), Some(row)) = (word, pos, rows.next()) else {
                    return Err(Error::InvalidInput(format!(
                        "token id {id} at position {position} is outside the model's vocabulary or length"
                    )));
                };
                for (((r, w), p), t) in row.iter_mut().zip(word).zip(pos).zip(&self.token_type) {
                    *r = w + p + t;
                }
            }
        }
        self.norm.forward(cpu, out);
        Ok(())
    }
}

/// One transformer layer: self-attention and the feed-forward block, each followed by a
/// residual add and layer norm (post-norm BERT).
struct Layer {
    /// Query, key and value projections fused: one matrix product instead of three.
    qkv: PackedLinear,
    attention_out: PackedLinear,
    attention_norm: LayerNorm,
    intermediate: PackedLinear,
    output: PackedLinear,
    output_norm: LayerNorm,
    heads: usize,
}

/// Intermediate results of a forward pass. Kept between calls (in [`BertCpu`]) so that each
/// pass reuses memory instead of faulting in and zeroing fresh pages: a batch of long
/// sentences needs tens of megabytes.
#[derive(Default)]
struct Buffers {
    qkv: Vec<f32>,
    context: Vec<f32>,
    attended: Vec<f32>,
    intermediate: Vec<f32>,
    /// Matrix-product inputs in the kernels' packed layout.
    packed: PackedInput,
}

impl Buffers {
    fn size_for(&mut self, rows: usize, hidden: usize, intermediate: usize) {
        // Every element is written before it is read, so old contents may stay.
        self.qkv.resize(rows * 3 * hidden, 0.0);
        self.context.resize(rows * hidden, 0.0);
        self.attended.resize(rows * hidden, 0.0);
        self.intermediate.resize(rows * intermediate, 0.0);
    }
}

impl Layer {
    fn load(vb: VarBuilder, cfg: &Config, precision: Precision) -> candle_core::Result<Self> {
        let h = cfg.hidden_size;
        let attention = vb.pp("attention");
        let (mut weight, mut bias) = (Vec::with_capacity(3 * h * h), Vec::with_capacity(3 * h));
        for part in ["query", "key", "value"] {
            let (w, b) = linear(&attention.pp("self").pp(part), h, h)?;
            weight.extend(w);
            bias.extend(b);
        }
        let (ao_w, ao_b) = linear(&attention.pp("output").pp("dense"), h, h)?;
        let i = cfg.intermediate_size;
        let (in_w, in_b) = linear(&vb.pp("intermediate").pp("dense"), i, h)?;
        let (out_w, out_b) = linear(&vb.pp("output").pp("dense"), h, i)?;
        Ok(Layer {
            qkv: PackedLinear::new(&weight, &bias, 3 * h, h, precision),
            attention_out: PackedLinear::new(&ao_w, &ao_b, h, h, precision),
            attention_norm: LayerNorm::load(attention.pp("output").pp("LayerNorm"), cfg)?,
            intermediate: PackedLinear::new(&in_w, &in_b, i, h, precision),
            output: PackedLinear::new(&out_w, &out_b, h, i, precision),
            output_norm: LayerNorm::load(vb.pp("output").pp("LayerNorm"), cfg)?,
            heads: cfg.num_attention_heads,
        })
    }

    /// Transforms `hidden` (`rows x hidden_size`) in place.
    fn forward(&self, cpu: Avx512, hidden: &mut [f32], spans: &[Span], buf: &mut Buffers) {
        let h = self.attention_out.out_features();
        let rows = hidden.len() / h;
        let packed = &mut buf.packed;
        let qkv = &mut buf.qkv;
        self.qkv
            .forward(cpu, hidden, rows, qkv, Epilogue::None, packed);
        kernels::attention(cpu, qkv, spans, h, self.heads, &mut buf.context);
        let attended = &mut buf.attended;
        let residual = Epilogue::Residual(hidden);
        self.attention_out
            .forward(cpu, &buf.context, rows, attended, residual, packed);
        self.attention_norm.forward(cpu, attended);
        let intermediate = &mut buf.intermediate;
        self.intermediate
            .forward(cpu, attended, rows, intermediate, Epilogue::Gelu, packed);
        let residual = Epilogue::Residual(attended);
        self.output
            .forward(cpu, intermediate, rows, hidden, residual, packed);
        self.output_norm.forward(cpu, hidden);
    }
}

/// A BERT encoder whose forward pass runs on footnote's AVX-512 kernels.
pub struct BertCpu {
    embeddings: Embeddings,
    layers: Vec<Layer>,
    hidden: usize,
    intermediate: usize,
    cpu: Avx512,
    precision: Precision,
    /// Reused between forward passes; a pass holds the lock for its duration (it uses every
    /// core anyway).
    buffers: Mutex<Buffers>,
}

impl BertCpu {
    /// Loads and packs the weights for products in `precision`. Fails, so that the caller can
    /// fall back to candle, when the CPU lacks AVX-512F (or BF16 for bf16) or the model uses
    /// something this pass does not implement.
    pub fn load(vb: VarBuilder, cfg: &Config, precision: Precision) -> Result<Self> {
        let cpu = cpu_for(Avx512::detect(), precision)?;
        if cfg.hidden_act != HiddenAct::Gelu {
            return Err(unsupported("only the exact GELU activation is implemented"));
        }
        let vb = model_root(vb, cfg);
        let load = || -> candle_core::Result<Self> {
            Ok(BertCpu {
                embeddings: Embeddings::load(vb.pp("embeddings"), cfg)?,
                layers: (0..cfg.num_hidden_layers)
                    .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), cfg, precision))
                    .collect::<candle_core::Result<_>>()?,
                hidden: cfg.hidden_size,
                intermediate: cfg.intermediate_size,
                cpu,
                precision,
                buffers: Mutex::default(),
            })
        };
        load().map_err(|e| unsupported(&format!("weights: {e}")))
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    pub fn hidden_size(&self) -> usize {
        self.hidden
    }

    /// Hidden states of every token of every sequence, packed: sequence 0's rows, then
    /// sequence 1's, and so on (`total tokens x hidden_size`).
    pub fn forward(&self, seqs: &[&[u32]]) -> Result<Vec<f32>> {
        let mut spans = Vec::with_capacity(seqs.len());
        let mut rows = 0;
        for seq in seqs {
            spans.push(Span {
                start: rows,
                len: seq.len(),
            });
            rows += seq.len();
        }
        let h = self.hidden;
        let mut hidden = vec![0.0; rows * h];
        self.embeddings.forward(self.cpu, seqs, &mut hidden)?;
        // A panic elsewhere while the lock was held leaves only stale numbers behind, which
        // every pass overwrites: the poisoned buffers are safe to reuse.
        let mut buf = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        buf.size_for(rows, h, self.intermediate);
        for layer in &self.layers {
            layer.forward(self.cpu, &mut hidden, &spans, &mut buf);
        }
        Ok(hidden)
    }
}

/// Why the native pass cannot run (the caller falls back to candle, or reports it).
fn unsupported(what: &str) -> Error {
    Error::Unsupported(format!("native CPU encoder: {what}"))
}

/// The CPU token for products in `precision`, given what the CPU was `detected` to support, or
/// why it cannot run them. Detection is a parameter so that the refusal is tested on any CPU.
fn cpu_for(detected: Option<Avx512>, precision: Precision) -> Result<Avx512> {
    let cpu = detected.ok_or_else(|| unsupported("this CPU lacks AVX-512F"))?;
    if !cpu.supports(precision) {
        return Err(unsupported("this CPU lacks AVX-512 BF16 for bf16 products"));
    }
    Ok(cpu)
}

/// Where the encoder's tensors live: at the top level (sentence-transformers exports), under
/// `bert.`, or under the config's `model_type` (as candle's `BertModel::load` also accepts).
fn model_root<'a>(vb: VarBuilder<'a>, cfg: &Config) -> VarBuilder<'a> {
    const PROBE: &str = "embeddings.word_embeddings.weight";
    if vb.contains_tensor(PROBE) {
        return vb;
    }
    if vb.contains_tensor(&format!("bert.{PROBE}")) {
        return vb.pp("bert");
    }
    match &cfg.model_type {
        Some(t) if vb.contains_tensor(&format!("{t}.{PROBE}")) => vb.pp(t),
        _ => vb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(detected: Option<Avx512>, precision: Precision) -> Option<String> {
        cpu_for(detected, precision).err().map(|e| e.to_string())
    }

    #[test]
    fn native_pass_is_refused_clearly_on_a_cpu_without_avx512() {
        let lacks_avx512 = Some("native CPU encoder: this CPU lacks AVX-512F".to_string());
        assert_eq!(refusal(None, Precision::F32), lacks_avx512);
        assert_eq!(refusal(None, Precision::Bf16), lacks_avx512);
    }

    #[test]
    fn bf16_products_are_refused_clearly_on_a_cpu_without_avx512_bf16() {
        let Some(cpu) = Avx512::detect_in_test() else {
            return;
        };
        let cpu = cpu.without_bf16();
        assert_eq!(refusal(Some(cpu), Precision::F32), None);
        assert_eq!(
            refusal(Some(cpu), Precision::Bf16).as_deref(),
            Some("native CPU encoder: this CPU lacks AVX-512 BF16 for bf16 products")
        );
    }
}
