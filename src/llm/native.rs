//! footnote's own forward pass for Qwen3 with Q8_0 weights (the default writing model), on CPUs
//! with AVX-512 VNNI and BF16 (Zen 4, Sapphire Rapids and later): token embedding, RMS norms,
//! per-head q and k norms, rotary positions (Qwen3's layout: each head's two halves rotate
//! together), grouped-query causal attention over a KV cache, a SwiGLU MLP, and the output head
//! (tied to the embedding when the file has no `output.weight`).
//!
//! Why: candle's quantized Qwen3 takes about 7 times as long to the first token of a 1,500-token
//! prompt on the 2-core machine this runs on, and writes more slowly (BENCHMARKS.md, "The writing
//! model", has the measured figures). The matrix products, nearly all the
//! work, run on [`super::kernels`]: weights repacked once at load, activations quantized to Q8_0
//! blocks, int8 dot products; q, k and v are one stacked matrix, and so are gate and up, so
//! each layer makes four passes over its weights. Attention multiplies in bfloat16 (as the
//! model runs on GPUs) with f32 sums and softmax; norms, rotary positions and SwiGLU work in
//! f32 on buffers kept from call to call.
//!
//! Weights are read through candle's GGUF reader (`gguf_file::Content`), so no parser of our
//! own. [`supports`] says, before any tensor is read, whether a file can run here; the caller
//! ([`super::weights::Weights`]) falls back to candle where it cannot.

use std::io::{Read, Seek};

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::Device;

use super::kernels::{self, KvCache, Q8Matrix, QuantRows, Vnni, BLOCK, PANEL};
use crate::error::{Error, Result};

/// One transformer block.
struct Layer {
    attn_norm: Vec<f32>,
    /// q, k and v stacked: `heads x head_dim + 2 x kv_heads x head_dim` rows.
    qkv: Q8Matrix,
    q_norm: Vec<f32>,
    k_norm: Vec<f32>,
    output: Q8Matrix,
    ffn_norm: Vec<f32>,
    /// Gate and up stacked: `2 x feed_forward` rows.
    gate_up: Q8Matrix,
    down: Q8Matrix,
    cache: KvCache,
}

/// The model's dimensions, from the GGUF metadata.
#[derive(Debug, Clone, Copy)]
struct Config {
    hidden: usize,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    feed_forward: usize,
    layers: usize,
    eps: f32,
    rope_base: f32,
}

/// Buffers of one forward pass, kept so that decode steps allocate nothing.
#[derive(Default)]
struct Scratch {
    /// The residual stream, `rows x hidden`.
    x: Vec<f32>,
    /// A normed copy of it.
    normed: Vec<f32>,
    qkv: Vec<f32>,
    context: Vec<f32>,
    gate_up: Vec<f32>,
    act: Vec<f32>,
    quant: QuantRows,
}

/// Rotary position angles, `cos` and `sin` per position and pair, grown on demand.
#[derive(Default)]
struct Rope {
    positions: usize,
    cos: Vec<f32>,
    sin: Vec<f32>,
}

/// A loaded Qwen3 with its KV cache.
pub struct NativeQwen3 {
    cpu: Vnni,
    config: Config,
    embedding: Q8Matrix,
    /// `None`: tied to the embedding.
    output: Option<Q8Matrix>,
    output_norm: Vec<f32>,
    layers: Vec<Layer>,
    rope: Rope,
    scratch: Scratch,
}

/// Whether this file can run on the native pass on this CPU: `Ok` with the CPU's token, or
/// why not (for the log, or for the error when the native pass was asked for).
pub fn supports(content: &gguf_file::Content) -> std::result::Result<Vnni, String> {
    let cpu = Vnni::detect().ok_or("this CPU lacks one of AVX-512 F, BW, VL, VNNI and BF16")?;
    let architecture = content
        .metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .map_or("", |s| s.as_str());
    if architecture != "qwen3" {
        return Err(format!("the native pass runs qwen3, not `{architecture}`"));
    }
    let config = config(content)?;
    for (name, info) in &content.tensor_infos {
        let matrix = info.shape.dims().len() == 2;
        if matrix && info.ggml_dtype != GgmlDType::Q8_0 {
            return Err(format!(
                "the native pass runs Q8_0 weights; {name} is {:?}",
                info.ggml_dtype
            ));
        }
    }
    let q_width = config.heads * config.head_dim;
    let kv_width = config.kv_heads * config.head_dim;
    let shapes_fit = [config.hidden, q_width, kv_width, config.feed_forward]
        .iter()
        .all(|n| n.is_multiple_of(PANEL) && n.is_multiple_of(BLOCK))
        && config.head_dim.is_multiple_of(16)
        && config.head_dim.is_multiple_of(2)
        && config.heads.is_multiple_of(config.kv_heads);
    if !shapes_fit {
        return Err(format!(
            "the native pass needs widths that are multiples of 32 and head sizes of 16: {config:?}"
        ));
    }
    Ok(cpu)
}

fn config(content: &gguf_file::Content) -> std::result::Result<Config, String> {
    let get = |key: &str| {
        content
            .metadata
            .get(&format!("qwen3.{key}"))
            .ok_or_else(|| format!("the GGUF metadata lacks qwen3.{key}"))
    };
    let int = |key: &str| -> std::result::Result<usize, String> {
        get(key)?
            .to_u32()
            .map(|v| v as usize)
            .map_err(|e| format!("qwen3.{key}: {e}"))
    };
    let float = |key: &str| -> std::result::Result<f32, String> {
        get(key)?.to_f32().map_err(|e| format!("qwen3.{key}: {e}"))
    };
    let config = Config {
        hidden: int("embedding_length")?,
        heads: int("attention.head_count")?,
        kv_heads: int("attention.head_count_kv")?,
        head_dim: int("attention.key_length")?,
        feed_forward: int("feed_forward_length")?,
        layers: int("block_count")?,
        eps: float("attention.layer_norm_rms_epsilon")?,
        rope_base: float("rope.freq_base")?,
    };
    if config.heads == 0 || config.kv_heads == 0 || config.head_dim == 0 || config.layers == 0 {
        return Err(format!("a dimension is zero: {config:?}"));
    }
    Ok(config)
}

impl NativeQwen3 {
    /// Reads and repacks the weights of a file [`supports`] accepted.
    pub fn load<R: Read + Seek>(
        cpu: Vnni,
        content: &gguf_file::Content,
        reader: &mut R,
    ) -> Result<Self> {
        let config = config(content).map_err(Error::Unsupported)?;
        let mut tensor =
            |name: &str| -> Result<QTensor> { Ok(content.tensor(reader, name, &Device::Cpu)?) };
        let (h, d) = (config.hidden, config.head_dim);
        let q_width = config.heads * d;
        let kv_width = config.kv_heads * d;
        let vector = |t: QTensor, len: usize, name: &str| -> Result<Vec<f32>> {
            let v = t
                .dequantize(&Device::Cpu)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            if v.len() != len {
                return Err(Error::Unsupported(format!(
                    "{name} has {} values, not {len}",
                    v.len()
                )));
            }
            Ok(v)
        };
        // Raw Q8_0 bytes of a `[rows x cols]` matrix, shape checked.
        let raw = |t: &QTensor, rows: usize, cols: usize, name: &str| -> Result<Vec<u8>> {
            let dims = t.shape().dims();
            if t.dtype() != GgmlDType::Q8_0 || dims != [rows, cols] {
                return Err(Error::Unsupported(format!(
                    "{name} is {:?} {dims:?}, not Q8_0 [{rows}, {cols}]",
                    t.dtype()
                )));
            }
            Ok(t.data()?.into_owned())
        };
        let pack = |parts: &[(&[u8], usize)], cols: usize, name: &str| {
            Q8Matrix::pack(parts, cols).ok_or_else(|| {
                Error::Unsupported(format!("{name}: cannot repack for the native pass"))
            })
        };

        let embedding_tensor = tensor("token_embd.weight")?;
        let vocab = embedding_tensor
            .shape()
            .dims()
            .first()
            .copied()
            .unwrap_or(0);
        let embedding = {
            let bytes = raw(&embedding_tensor, vocab, h, "token_embd.weight")?;
            pack(&[(&bytes, vocab)], h, "token_embd.weight")?
        };
        drop(embedding_tensor);
        let output = if content.tensor_infos.contains_key("output.weight") {
            let t = tensor("output.weight")?;
            let bytes = raw(&t, vocab, h, "output.weight")?;
            Some(pack(&[(&bytes, vocab)], h, "output.weight")?)
        } else {
            None
        };
        let output_norm = vector(tensor("output_norm.weight")?, h, "output_norm.weight")?;
        let mut layers = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
            let name = |n: &str| format!("blk.{i}.{n}.weight");
            let mut matrix = |n: &str, rows: usize, cols: usize| -> Result<Vec<u8>> {
                let t = tensor(&name(n))?;
                raw(&t, rows, cols, &name(n))
            };
            let q = matrix("attn_q", q_width, h)?;
            let k = matrix("attn_k", kv_width, h)?;
            let v = matrix("attn_v", kv_width, h)?;
            let o = matrix("attn_output", h, q_width)?;
            let gate = matrix("ffn_gate", config.feed_forward, h)?;
            let up = matrix("ffn_up", config.feed_forward, h)?;
            let down = matrix("ffn_down", h, config.feed_forward)?;
            let qkv = pack(
                &[(&q, q_width), (&k, kv_width), (&v, kv_width)],
                h,
                &name("attn_qkv"),
            )?;
            let output = pack(&[(&o, h)], q_width, &name("attn_output"))?;
            let gate_up = pack(
                &[(&gate, config.feed_forward), (&up, config.feed_forward)],
                h,
                &name("ffn_gate_up"),
            )?;
            let down = pack(&[(&down, h)], config.feed_forward, &name("ffn_down"))?;
            let mut norm = |n: &str, len: usize| -> Result<Vec<f32>> {
                let t = tensor(&name(n))?;
                vector(t, len, &name(n))
            };
            layers.push(Layer {
                attn_norm: norm("attn_norm", h)?,
                q_norm: norm("attn_q_norm", d)?,
                k_norm: norm("attn_k_norm", d)?,
                ffn_norm: norm("ffn_norm", h)?,
                qkv,
                output,
                gate_up,
                down,
                cache: KvCache::new(config.kv_heads, d),
            });
        }
        Ok(NativeQwen3 {
            cpu,
            config,
            embedding,
            output,
            output_norm,
            layers,
            rope: Rope::default(),
            scratch: Scratch::default(),
        })
    }

    /// Empties the KV cache, for a new sequence.
    pub fn clear(&mut self) {
        for layer in &mut self.layers {
            layer.cache.clear();
        }
    }

    /// Positions in the KV cache.
    fn cached(&self) -> usize {
        self.layers.first().map_or(0, |l| l.cache.len())
    }

    /// Runs `tokens` at positions `offset..` (which must follow what the cache holds) and
    /// returns the logits for the token after the last.
    pub fn forward(&mut self, tokens: &[u32], offset: usize) -> Result<Vec<f32>> {
        if tokens.is_empty() {
            return Err(Error::InvalidInput("no tokens to run the model on".into()));
        }
        if offset != self.cached() {
            return Err(Error::InvalidInput(format!(
                "tokens at position {offset}, but the cache holds {} positions",
                self.cached()
            )));
        }
        let vocab = self.embedding.rows();
        if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= vocab) {
            return Err(Error::InvalidInput(format!(
                "token id {bad} is past the vocabulary of {vocab}"
            )));
        }
        let c = self.config;
        let cpu = self.cpu;
        let rows = tokens.len();
        let (h, d) = (c.hidden, c.head_dim);
        let q_width = c.heads * d;
        let kv_width = c.kv_heads * d;
        let qkv_width = q_width + 2 * kv_width;
        self.rope.fit(offset + rows, d, c.rope_base);
        let s = &mut self.scratch;
        s.x.resize(rows * h, 0.0);
        for (row, &token) in s.x.chunks_exact_mut(h).zip(tokens) {
            self.embedding.row(token as usize, row);
        }
        let layers = self.layers.len();
        let mut skip = 0;
        for (index, layer) in self.layers.iter_mut().enumerate() {
            // Attention.
            s.normed.clear();
            s.normed.extend_from_slice(&s.x);
            kernels::rms_norm(cpu, &mut s.normed, &layer.attn_norm, c.eps);
            s.quant.quantize(cpu, &s.normed, rows, h);
            s.qkv.resize(rows * qkv_width, 0.0);
            kernels::matmul(cpu, &layer.qkv, &s.quant, &mut s.qkv, false);
            for (i, row) in s.qkv.chunks_exact_mut(qkv_width).enumerate() {
                let (q, kv) = row.split_at_mut(q_width);
                let k = &mut kv[..kv_width];
                kernels::rms_norm(cpu, q, &layer.q_norm, c.eps);
                kernels::rms_norm(cpu, k, &layer.k_norm, c.eps);
                let position = offset + i;
                for head in q.chunks_exact_mut(d).chain(k.chunks_exact_mut(d)) {
                    self.rope.apply(head, position);
                }
            }
            layer.cache.append(
                &s.qkv[q_width..],
                &s.qkv[q_width + kv_width..],
                qkv_width,
                rows,
            );
            // After the last layer's keys and values are cached, only the last position's
            // output is needed: its attention, output projection and MLP run on one row.
            if index + 1 == layers {
                skip = rows - 1;
            }
            let kept = rows - skip;
            let x = &mut s.x[skip * h..];
            s.context.resize(kept * q_width, 0.0);
            kernels::attention(
                cpu,
                &s.qkv[skip * qkv_width..],
                qkv_width,
                kept,
                c.heads,
                &layer.cache,
                &mut s.context,
            );
            s.quant.quantize(cpu, &s.context, kept, q_width);
            kernels::matmul(cpu, &layer.output, &s.quant, x, true);
            // MLP.
            s.normed.clear();
            s.normed.extend_from_slice(x);
            kernels::rms_norm(cpu, &mut s.normed, &layer.ffn_norm, c.eps);
            s.quant.quantize(cpu, &s.normed, kept, h);
            s.gate_up.resize(kept * 2 * c.feed_forward, 0.0);
            kernels::matmul(cpu, &layer.gate_up, &s.quant, &mut s.gate_up, false);
            s.act.resize(kept * c.feed_forward, 0.0);
            kernels::swiglu(cpu, &s.gate_up, c.feed_forward, &mut s.act);
            s.quant.quantize(cpu, &s.act, kept, c.feed_forward);
            kernels::matmul(cpu, &layer.down, &s.quant, x, true);
        }
        let last = &mut s.x[(rows - 1) * h..];
        kernels::rms_norm(cpu, last, &self.output_norm, c.eps);
        s.quant.quantize(cpu, last, 1, h);
        let head = self.output.as_ref().unwrap_or(&self.embedding);
        let mut logits = vec![0.0; head.rows()];
        kernels::matmul(cpu, head, &s.quant, &mut logits, false);
        Ok(logits)
    }
}

impl Rope {
    /// Makes the table cover positions `0..positions`.
    fn fit(&mut self, positions: usize, head_dim: usize, base: f32) {
        if positions <= self.positions {
            return;
        }
        let positions = positions.next_power_of_two().max(1024);
        let half = head_dim / 2;
        self.cos.clear();
        self.sin.clear();
        for p in 0..positions {
            for i in 0..half {
                let inv_freq = (base as f64).powf(-((2 * i) as f64) / head_dim as f64);
                let angle = p as f64 * inv_freq;
                self.cos.push(angle.cos() as f32);
                self.sin.push(angle.sin() as f32);
            }
        }
        self.positions = positions;
    }

    /// Rotates one head's vector for `position`: pair `i` is `(x[i], x[i + half])`.
    fn apply(&self, x: &mut [f32], position: usize) {
        let half = x.len() / 2;
        let cos = &self.cos[position * half..][..half];
        let sin = &self.sin[position * half..][..half];
        let (a, b) = x.split_at_mut(half);
        for (((a, b), &c), &s) in a.iter_mut().zip(b.iter_mut()).zip(cos).zip(sin) {
            let (x0, x1) = (*a, *b);
            *a = x0 * c - x1 * s;
            *b = x1 * c + x0 * s;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;

    use candle_core::quantized::{gguf_file, GgmlDType};
    use candle_core::Device;

    use super::super::kernels::vnni_in_test;
    use super::super::random::{write_model, Behaviour, Family, Shape};
    use super::super::weights::{Backend, Weights};

    fn load(gguf: &std::path::Path, backend: Backend) -> Weights {
        let mut file = File::open(gguf).expect("the model was written");
        let content = gguf_file::Content::read(&mut file).expect("a GGUF file");
        Weights::load(content, &mut file, &Device::Cpu, "tiny", backend).expect("loads")
    }

    /// The native pass against candle's quantized Qwen3 on a tiny random model: a 37-token
    /// prompt (full and partial query tiles), then decode steps through the KV cache. They
    /// differ only in rounding (activation block scales in f32 here, f16 in candle; rotary
    /// angles in f64 here, f16 in candle; attention products in bfloat16 here, f32 in candle),
    /// so the logits must agree to 2% of their largest magnitude (over repeated runs, with new
    /// random weights each time, they did to 0.4-0.7%), and the native top token must be
    /// candle's or tie with it within that tolerance.
    #[test]
    fn native_logits_match_candles_through_prefill_and_decode() {
        if vnni_in_test().is_none() {
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let files = write_model(
            dir.path(),
            "tiny",
            &Shape::tiny(Family::Qwen3),
            GgmlDType::Q8_0,
            &Behaviour::Random,
        )
        .expect("model written");
        let mut candle = load(&files.gguf, Backend::Candle);
        let mut native = load(&files.gguf, Backend::Native);
        assert_eq!(candle.backend(), "candle");
        assert_eq!(native.backend(), "native-avx512-vnni");
        let prompt: Vec<u32> = (0..37).map(|i| (i * 37 + 5) % 300).collect();
        let mut tokens = prompt.clone();
        let mut offset = 0;
        for step in 0..8 {
            let run = |w: &mut Weights| {
                w.forward(&tokens, offset, &Device::Cpu)
                    .and_then(|t| Ok(t.to_vec1::<f32>()?))
                    .expect("forward")
            };
            let (want, got) = (run(&mut candle), run(&mut native));
            assert_eq!(want.len(), got.len());
            let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
            let diff = want
                .iter()
                .zip(&got)
                .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
            eprintln!("step {step}: max |logit| {scale:.4}, max diff {diff:.5}");
            assert!(diff <= 0.02 * scale, "step {step}: {diff} vs scale {scale}");
            let argmax = |v: &[f32]| {
                v.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(0, |(i, _)| i)
            };
            let (top, native_top) = (argmax(&want), argmax(&got));
            assert!(
                top == native_top || want[top] - want[native_top] <= 0.02 * scale,
                "step {step}: top token {native_top}, candle's {top}"
            );
            offset += tokens.len();
            tokens = vec![top as u32];
        }
    }

    /// The whole generator on the native pass: a model that always writes one token writes
    /// it to the token limit, and one that always ends its turn stops at once.
    #[test]
    fn a_generator_on_the_native_pass_writes_what_the_model_always_writes() {
        use super::super::{Generator, StopReason};
        if vnni_in_test().is_none() {
            return;
        }
        for (token, text, stop) in [
            ("x", "xxxxx", StopReason::MaxTokens),
            ("<|im_end|>", "", StopReason::End),
        ] {
            let dir = tempfile::tempdir().expect("temp dir");
            let files = write_model(
                dir.path(),
                "always",
                &Shape::tiny(Family::Qwen3),
                GgmlDType::Q8_0,
                &Behaviour::Always(token.into()),
            )
            .expect("model written");
            let mut generator =
                Generator::load_with(&files, &Device::Cpu, Backend::Native).expect("loads");
            assert_eq!(generator.backend(), "native-avx512-vnni");
            let prompt = generator
                .encode(&generator.chat_prompt("Who called?").expect("prompt"))
                .expect("tokens");
            let g = generator
                .generate(&prompt, 5, false, &mut |_| true)
                .expect("generates");
            assert_eq!((g.text.as_str(), g.stop), (text, stop), "always {token}");
        }
    }
}
