//! Short content hashes that name things: models (their files and settings), documents (their
//! text) and the embedding cache's files (the texts embedded).
//!
//! sha256, cut to 128 bits: enough to tell any two models or texts apart, short enough to read in
//! a file name. Each part is prefixed with its length, so that `["ab", "c"]` and `["a", "bc"]`
//! hash differently.

use sha2::{Digest, Sha256};

/// Hex sha256 over byte strings, shortened to 32 hex digits.
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex::encode(&hasher.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_delimited_by_their_lengths() {
        assert_ne!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"a", b"bc"]));
        assert_eq!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"ab", b"c"]));
        assert_eq!(fingerprint(&[b"x"]).len(), 32);
    }
}
