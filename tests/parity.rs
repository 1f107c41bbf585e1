//! The embedder must reproduce sentence-transformers: cosine >= 0.9999 against reference vectors
//! computed by sentence-transformers for all-MiniLM-L6-v2 (`../shared/reference/`), including a
//! text longer than the model's 256-token window.

mod common;

use footnote::embed::cosine;

#[derive(serde::Deserialize)]
struct Reference {
    text: String,
    embedding: Vec<f32>,
}

#[test]
fn embeddings_match_sentence_transformers() {
    let path = common::shared_path("reference/all-MiniLM-L6-v2.embeddings.jsonl");
    let text = std::fs::read_to_string(&path).expect("reference file");
    let references: Vec<Reference> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("reference line"))
        .collect();
    assert_eq!(references.len(), 22);
    let embedder = &common::engine().embedder;
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
    // Batching must not change results: one text alone equals the same text in a batch.
    let alone = embedder.embed(&texts[..1]).unwrap();
    assert!(cosine(&alone[0], &vectors[0]) > 0.99999);
}
