//! Sentence embeddings from a sentence-transformers BERT model.
//!
//! Reproduces what `SentenceTransformer.encode` does for BERT-family models: WordPiece
//! tokenisation truncated at the model's max sequence length, the transformer (see
//! [`crate::encoder`] for the forward passes), the pooling named in `1_Pooling/config.json`
//! (mean over real tokens, or the CLS token), then L2 normalisation.
//! Texts are sorted by token length and cut into batches under a token budget, so that padding
//! (wasted work) stays small whatever order the caller passes texts in.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use candle_core::Device;
use candle_transformers::models::bert::Config as BertConfig;
use serde::Deserialize;
use tokenizers::{Tokenizer, TruncationParams};

use crate::encoder::{Encoder, EncoderChoice, Pooling};
use crate::error::{Error, Result};
use crate::hash::fingerprint;
use crate::model::ModelDir;

#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
}

#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
}

/// Limits for one forward pass: padded tokens and sequences per batch. The command line uses the
/// defaults; the service sets the token limit with `--max-batch-tokens`
/// ([`Embedder::set_max_batch_tokens`]).
#[derive(Debug, Clone, Copy)]
struct BatchLimits {
    max_tokens: usize,
    max_sequences: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        // Measured on 2 cores: batches past ~32 sentences or ~4k tokens gain nothing.
        BatchLimits {
            max_tokens: 4096,
            max_sequences: 32,
        }
    }
}

/// A loaded embedding model, ready to embed text.
pub struct Embedder {
    encoder: Encoder,
    tokenizer: Tokenizer,
    pooling: Pooling,
    dim: usize,
    max_seq_len: usize,
    model_name: String,
    /// Identifies the exact model files, for embedding caches.
    fingerprint: String,
    batch_limits: BatchLimits,
    /// Forward passes run so far (see [`Embedder::forward_passes`]).
    forward_passes: AtomicUsize,
}

impl Embedder {
    /// Loads the model in `dir` onto `device`, with the forward pass `encoder` picks; the weights'
    /// digest is remembered in `digest_memo` (see [`ModelDir::weights_digest`]).
    pub fn load(
        dir: &ModelDir,
        device: &Device,
        encoder: EncoderChoice,
        digest_memo: Option<&Path>,
    ) -> Result<Self> {
        let started = Instant::now();
        let model_err = |message: String| Error::Model {
            model: dir.name.clone(),
            message,
        };
        let config_text = read_to_string(&dir.file("config.json"))?;
        let config: BertConfig = serde_json::from_str(&config_text)
            .map_err(|e| model_err(format!("config.json: {e}")))?;
        let pooling = read_pooling(dir)?;
        let max_seq_len = read_max_seq_len(dir)?.min(config.max_position_embeddings);

        let mut tokenizer = read_tokenizer(&dir.file("tokenizer.json"))
            .map_err(|e| model_err(format!("tokenizer.json: {e}")))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_seq_len,
                ..Default::default()
            }))
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        tokenizer.with_padding(None);

        let weights = dir.file("model.safetensors");
        let encoder = Encoder::load(&weights, &config, device, encoder).map_err(|e| match e {
            Error::Inference(e) => model_err(format!("not a BERT model this build can run: {e}")),
            other => other,
        })?;
        // The weights' content, not their size: caches and stored vectors made with other
        // weights of the same shape must not be reused.
        let weights_digest = dir.weights_digest(digest_memo)?;
        let fingerprint = fingerprint(&[
            config_text.as_bytes(),
            weights_digest.as_bytes(),
            format!("{pooling:?}/{max_seq_len}").as_bytes(),
        ]);
        tracing::debug!(model = %dir.name, encoder = encoder.name(), ?pooling, max_seq_len, elapsed = ?started.elapsed(), "model loaded");
        Ok(Embedder {
            encoder,
            tokenizer,
            pooling,
            dim: config.hidden_size,
            max_seq_len,
            model_name: dir.name.clone(),
            fingerprint,
            batch_limits: BatchLimits::default(),
            forward_passes: AtomicUsize::new(0),
        })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn max_seq_len(&self) -> usize {
        self.max_seq_len
    }

    pub fn model_name(&self) -> &str {
        &self.model_name
    }

    /// Which forward pass runs (`native-avx512`, `native-avx512-bf16` or `candle`).
    pub fn encoder_name(&self) -> &'static str {
        self.encoder.name()
    }

    /// Sets the most padded tokens one forward pass may take (at least one sequence always goes).
    pub fn set_max_batch_tokens(&mut self, max_tokens: usize) {
        self.batch_limits.max_tokens = max_tokens;
    }

    /// A short hash naming the model files and settings, for keying caches.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// How many forward passes this embedder has run: what tests count (a cache hit runs none;
    /// a token budget splits a batch into more).
    pub fn forward_passes(&self) -> usize {
        self.forward_passes.load(Ordering::Relaxed)
    }

    /// Token ids of each text after truncation, in input order.
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(encodings
            .into_iter()
            .map(|e| e.get_ids().to_vec())
            .collect())
    }

    /// Embeds texts; returns one L2-normalised vector per text, in input order. Identical
    /// texts are embedded once: a paragraph of one sentence is also that sentence, and news
    /// has many.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut unique: Vec<&str> = Vec::new();
        let mut first: HashMap<&str, usize> = HashMap::new();
        let slots: Vec<usize> = texts
            .iter()
            .map(|&text| {
                *first.entry(text).or_insert_with(|| {
                    unique.push(text);
                    unique.len() - 1
                })
            })
            .collect();
        let ids = self.tokenize(&unique)?;
        let vectors = self.embed_tokens(&ids)?;
        if unique.len() == texts.len() {
            // No repeats: the slots are 0, 1, 2, ... and the vectors are already in order.
            return Ok(vectors);
        }
        Ok(slots.into_iter().map(|s| vectors[s].clone()).collect())
    }

    /// Embeds already tokenised texts (see [`Embedder::tokenize`]), in input order.
    pub fn embed_tokens(&self, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        let mut out = vec![Vec::new(); ids.len()];
        for batch in length_sorted_batches(ids, self.batch_limits) {
            let seqs: Vec<&[u32]> = batch.iter().map(|&i| ids[i].as_slice()).collect();
            let vectors = self.embed_batch(&seqs)?;
            for (slot, vector) in batch.into_iter().zip(vectors) {
                out[slot] = vector;
            }
        }
        Ok(out)
    }

    /// Embeds one batch of tokenised texts in a single forward pass.
    pub fn embed_batch(&self, seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        self.forward_passes.fetch_add(1, Ordering::Relaxed);
        let mut vectors = self.encoder.pooled(seqs, self.pooling)?;
        for v in &mut vectors {
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            v.iter_mut().for_each(|x| *x /= norm);
        }
        Ok(vectors)
    }
}

/// Groups text indices into batches of similar length, longest first, each under the limits.
fn length_sorted_batches(ids: &[Vec<u32>], limits: BatchLimits) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
    let mut batches = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in order {
        // Sorted longest first, so the batch's padded width is its first member's length.
        let width = current
            .first()
            .map_or(ids[i].len(), |&f| ids[f].len())
            .max(1);
        let fits = current.len() < limits.max_sequences
            && (current.len() + 1) * width <= limits.max_tokens.max(width);
        if !fits {
            batches.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

fn read_pooling(dir: &ModelDir) -> Result<Pooling> {
    let path = dir.file("1_Pooling/config.json");
    if !path.is_file() {
        return Ok(Pooling::Mean);
    }
    let config: PoolingConfig =
        serde_json::from_str(&read_to_string(&path)?).map_err(|e| Error::Model {
            model: dir.name.clone(),
            message: format!("1_Pooling/config.json: {e}"),
        })?;
    match (
        config.pooling_mode_mean_tokens,
        config.pooling_mode_cls_token,
    ) {
        (true, false) => Ok(Pooling::Mean),
        (false, true) => Ok(Pooling::Cls),
        _ => Err(Error::Model {
            model: dir.name.clone(),
            message: "1_Pooling/config.json: only mean or CLS pooling is supported".into(),
        }),
    }
}

/// sentence-transformers truncates at `max_seq_length`; without that file, BERT's 512.
fn read_max_seq_len(dir: &ModelDir) -> Result<usize> {
    let path = dir.file("sentence_bert_config.json");
    if !path.is_file() {
        return Ok(512);
    }
    let config: SentenceBertConfig =
        serde_json::from_str(&read_to_string(&path)?).map_err(|e| Error::Model {
            model: dir.name.clone(),
            message: format!("sentence_bert_config.json: {e}"),
        })?;
    Ok(config.max_seq_length.unwrap_or(512))
}

/// Reads a `tokenizer.json` file ([`tokenizer_from_bytes`]); the error is a message.
pub fn read_tokenizer(path: &Path) -> std::result::Result<Tokenizer, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    tokenizer_from_bytes(&bytes)
}

/// A tokenizer from the bytes of a `tokenizer.json`, or why not. The `tokenizers` crate panics
/// on some malformed files instead of failing (a JSON syntax error inside `decoder`, a
/// `Precompiled` normalizer whose fields do not read): the text is first read as JSON, so that
/// a truncated or corrupt file is an error naming the line, and a panic while the crate builds
/// the tokenizer from that JSON becomes an error too. (Public for the fuzz targets in `fuzz/`.)
pub fn tokenizer_from_bytes(bytes: &[u8]) -> std::result::Result<Tokenizer, String> {
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    match std::panic::catch_unwind(move || serde_json::from_value::<Tokenizer>(json)) {
        Ok(Ok(tokenizer)) => Ok(tokenizer),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!("the tokenizers crate cannot read it ({why})"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_token_budget_and_keep_every_text() {
        let ids: Vec<Vec<u32>> = [5, 200, 7, 30, 30, 1, 256, 12]
            .iter()
            .map(|&n| vec![1; n])
            .collect();
        let limits = BatchLimits {
            max_tokens: 300,
            max_sequences: 3,
        };
        let batches = length_sorted_batches(&ids, limits);
        let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
        seen.sort();
        assert_eq!(seen, (0..ids.len()).collect::<Vec<_>>());
        for batch in &batches {
            let width = batch.iter().map(|&i| ids[i].len()).max().unwrap();
            assert!(batch.len() <= 3);
            assert!(batch.len() == 1 || batch.len() * width <= 300);
        }
    }

    #[test]
    fn empty_input_gives_no_batches() {
        assert!(length_sorted_batches(&[], BatchLimits::default()).is_empty());
    }

    /// Found by the `tokenizer` fuzz target: a truncated `tokenizer.json` (here cut inside
    /// `decoder`) made the tokenizers crate panic instead of failing.
    #[test]
    fn a_truncated_tokenizer_json_is_an_error_not_a_panic() {
        let err = tokenizer_from_bytes(br#"{"decoder":"#).unwrap_err();
        assert!(err.starts_with("not JSON"), "{err}");
    }

    /// The tokenizers crate also panics on valid JSON: a `Precompiled` normalizer whose map does
    /// not decode. That panic is an error too.
    #[test]
    fn a_tokenizer_the_crate_panics_on_is_an_error() {
        let json = br#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],
            "normalizer":{"type":"Precompiled","precompiled_charsmap":"!!"},
            "pre_tokenizer":null,"post_processor":null,"decoder":null,
            "model":{"type":"WordLevel","vocab":{"a":0},"unk_token":"a"}}"#;
        let err = tokenizer_from_bytes(json).unwrap_err();
        assert!(err.contains("cannot read it"), "{err}");
        let fixed = String::from_utf8_lossy(json).replace(
            r#"{"type":"Precompiled","precompiled_charsmap":"!!"}"#,
            "null",
        );
        assert!(tokenizer_from_bytes(fixed.as_bytes()).is_ok());
    }
}
