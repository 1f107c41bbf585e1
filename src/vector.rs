//! Vector math on embeddings, shared by retrieval, answering, summarizing and evaluation.
//!
//! Embeddings are L2-normalised when they are made ([`crate::embed`]), so cosine similarity is
//! their dot product.

/// Cosine similarity of two L2-normalised vectors (their dot product).
///
/// Summed in eight lanes, then the lanes in order: one running sum would be a chain of
/// dependent additions the compiler may not reorder, so it could not use SIMD; this is the hot
/// loop of ranking and of looking for corroboration, over every sentence a request reads.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 8;
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut lanes = [0.0f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for i in 0..LANES {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::cosine;

    /// The lanes give the one-by-one sum (to rounding) at every length, tails included, and
    /// read only as far as the shorter vector, as `zip` did.
    #[test]
    fn cosine_in_lanes_is_the_plain_dot_product() {
        for n in [0, 1, 7, 8, 9, 17, 384] {
            let a: Vec<f32> = (0..n).map(|i| ((i * 7 % 13) as f32 - 6.0) / 10.0).collect();
            let b: Vec<f32> = (0..n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 10.0).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!(
                (cosine(&a, &b) - plain).abs() <= 1e-5 * plain.abs().max(1.0),
                "n = {n}"
            );
        }
        assert_eq!(cosine(&[1.0, 2.0, 3.0], &[1.0, 1.0]), 3.0);
    }
}
