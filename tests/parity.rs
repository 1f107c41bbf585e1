//! The embedder must reproduce sentence-transformers: cosine >= 0.9999 against reference vectors
//! computed by sentence-transformers for all-MiniLM-L6-v2 (`../shared/reference/`), including a
//! text longer than the model's 256-token window. Both forward passes are held to it: footnote's
//! own (native, the default on AVX-512 CPUs) and candle's (any CPU, and CUDA).

mod common;

use common::cpu::{self, Feature};
use footnote::embed::Embedder;
use footnote::encoder::EncoderChoice;
use footnote::vector::cosine;
use footnote::{Engine, EngineSettings};

#[derive(serde::Deserialize)]
struct Reference {
    text: String,
    embedding: Vec<f32>,
}

fn engine_with(encoder: EncoderChoice) -> Engine {
    Engine::load(&EngineSettings {
        encoder,
        ..common::settings()
    })
    .expect("model loads")
}

#[test]
fn default_encoder_embeddings_match_sentence_transformers() {
    let embedder = &common::engine().embedder;
    // The default must be the fast path wherever it can run, or this test checks the wrong one.
    let expected = if Feature::Avx512f.detected() {
        "native-avx512"
    } else {
        "candle"
    };
    assert_eq!(embedder.encoder_name(), expected);
    check_parity(embedder);
}

#[test]
fn candle_encoder_embeddings_match_sentence_transformers() {
    let engine = engine_with(EncoderChoice::Candle);
    assert_eq!(engine.embedder.encoder_name(), "candle");
    check_parity(&engine.embedder);
}

/// The bf16 option trades exactness for speed; it must still meet the same bar.
#[test]
fn native_bf16_encoder_embeddings_match_sentence_transformers() {
    if !cpu::test_can_run(Feature::Avx512Bf16) {
        return;
    }
    let engine = engine_with(EncoderChoice::NativeBf16);
    assert_eq!(engine.embedder.encoder_name(), "native-avx512-bf16");
    check_parity(&engine.embedder);
}

/// Asked for by name, the native pass runs or is refused with a reason; it never falls back to
/// candle as `auto` does. (The refusal itself is unit-tested on every CPU in `bert_cpu`.)
#[test]
fn native_encoder_loads_where_it_can_run_and_is_refused_clearly_elsewhere() {
    let loaded = Engine::load(&EngineSettings {
        encoder: EncoderChoice::Native,
        ..common::settings()
    });
    match loaded {
        Ok(engine) => {
            assert!(
                Feature::Avx512f.detected(),
                "native encoder loaded without AVX-512"
            );
            assert_eq!(engine.embedder.encoder_name(), "native-avx512");
        }
        Err(err) => {
            assert!(!Feature::Avx512f.detected(), "refused on AVX-512: {err}");
            assert!(err.to_string().contains("native CPU encoder"), "{err}");
        }
    }
}

fn check_parity(embedder: &Embedder) {
    let path = common::shared_path("reference/all-MiniLM-L6-v2.embeddings.jsonl");
    let text = std::fs::read_to_string(&path).expect("reference file");
    let references: Vec<Reference> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("reference line"))
        .collect();
    assert_eq!(references.len(), 22);
    let texts: Vec<&str> = references.iter().map(|r| r.text.as_str()).collect();
    let ids = embedder.tokenize(&texts).unwrap();
    assert!(
        texts
            .iter()
            .zip(&ids)
            .any(|(t, i)| t.len() > 2000 && i.len() == embedder.max_seq_len()),
        "the reference set includes a text truncated at the model's window"
    );
    let vectors = embedder.embed(&texts).unwrap();
    for (reference, vector) in references.iter().zip(&vectors) {
        let norm = reference
            .embedding
            .iter()
            .map(|x| x * x)
            .sum::<f32>()
            .sqrt();
        let sim = cosine(&reference.embedding, vector) / norm;
        assert!(sim >= 0.9999, "cosine {sim} for {:?}", reference.text);
    }
    // Batching must not change results: each text alone equals the same text in a batch.
    for (text, in_batch) in texts.iter().zip(&vectors).take(4) {
        let alone = embedder.embed(&[text]).unwrap();
        assert!(cosine(&alone[0], in_batch) > 0.99999);
    }
}
