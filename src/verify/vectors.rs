//! The claims' vectors, with the forward pass spent only where it is needed: a claim that
//! copies a sentence of a document it cites (footnote's own answers and summaries, a quotation
//! in a draft, a copy citing the wrong paragraph) already has that sentence's vector in the index.
//! Only the others are embedded. On the seeds a short sentence costs about 5 ms of forward pass
//! on 2 cores, and judging it well under 1 ms, so this is most of a draft's cost.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::index::Index;

use super::Parsed;

/// Each claim's vector where the index already has it; the others wait for the model.
pub struct ClaimVectors {
    known: Vec<Option<Vec<f32>>>,
}

impl ClaimVectors {
    /// Looks up every claim among the sentences of the documents it cites.
    pub fn new(index: &Index, parsed: &Parsed) -> Self {
        let cited = parsed.cited();
        // The sentences of the cited documents, by document id, in one pass over the index.
        let mut sentences: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, entry) in index.sentences.iter().enumerate() {
            let id = index.documents[entry.doc].id.as_str();
            if cited.contains(id) {
                sentences.entry(id).or_default().push(i);
            }
        }
        let known = parsed
            .claims
            .iter()
            .map(|claim| {
                claim
                    .citations
                    .iter()
                    .filter_map(|c| sentences.get(c.doc.as_str()))
                    .flatten()
                    .find(|&&i| index.sentence_text(i) == claim.text)
                    .map(|&i| index.sentence_vector(i).to_vec())
            })
            .collect();
        ClaimVectors { known }
    }

    /// The texts the model must embed, in claim order.
    pub fn missing<'a>(&self, parsed: &'a Parsed) -> Vec<&'a str> {
        parsed
            .claims
            .iter()
            .zip(&self.known)
            .filter(|(_, known)| known.is_none())
            .map(|(claim, _)| claim.text.as_str())
            .collect()
    }

    /// Every claim's vector, given the vectors of [`ClaimVectors::missing`] in its order.
    pub fn complete(self, embedded: Vec<Vec<f32>>) -> Result<Vec<Vec<f32>>> {
        let wanted = self.known.iter().filter(|k| k.is_none()).count();
        if embedded.len() != wanted {
            return Err(Error::InvalidInput(format!(
                "{} vectors for {wanted} claims to embed",
                embedded.len()
            )));
        }
        let mut embedded = embedded.into_iter();
        Ok(self
            .known
            .into_iter()
            .map(|known| known.or_else(|| embedded.next()).unwrap_or_default())
            .collect())
    }
}
