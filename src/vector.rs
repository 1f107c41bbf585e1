//! Vector math on embeddings, shared by retrieval, answering, summarizing and evaluation.
//!
//! Embeddings are L2-normalised when they are made ([`crate::embed`]), so cosine similarity is
//! their dot product.

/// Cosine similarity of two L2-normalised vectors (their dot product).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
