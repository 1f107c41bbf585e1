//! Citations: which paragraph of which document a sentence comes from, how they read in text,
//! and the grounding check every output sentence must pass.

use std::borrow::Borrow;

use serde::{Deserialize, Serialize};

use crate::document::Document;

/// A paragraph of a document, by id and 1-based number. Reads `[doc ¶n]` in text.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Citation {
    pub doc: String,
    pub paragraph: usize,
}

impl std::fmt::Display for Citation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{} ¶{}]", self.doc, self.paragraph)
    }
}

/// Why a sentence failed the grounding check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroundingError {
    NoCitation,
    UnknownParagraph(Citation),
    NotVerbatim,
}

/// Checks that every citation names an existing paragraph and that `sentence` appears verbatim
/// in at least one of the cited paragraphs.
pub fn check_grounded(
    sentence: &str,
    citations: &[Citation],
    documents: &[impl Borrow<Document>],
) -> Result<(), GroundingError> {
    if citations.is_empty() {
        return Err(GroundingError::NoCitation);
    }
    let mut verbatim = false;
    for citation in citations {
        let paragraph = documents
            .iter()
            .map(Borrow::borrow)
            .find(|d: &&Document| d.id == citation.doc)
            .and_then(|d| d.paragraph(citation.paragraph))
            .ok_or_else(|| GroundingError::UnknownParagraph(citation.clone()))?;
        verbatim |= paragraph.text.contains(sentence);
    }
    if verbatim {
        Ok(())
    } else {
        Err(GroundingError::NotVerbatim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citation_reads_with_pilcrow() {
        let c = Citation {
            doc: "003_03060291541c335c".into(),
            paragraph: 8,
        };
        assert_eq!(c.to_string(), "[003_03060291541c335c ¶8]");
    }

    #[test]
    fn grounding_rejects_paraphrase_and_unknown_paragraphs() {
        let docs = [Document::new("d", None, "The call lasted 50 minutes.\n\nIt ended.").unwrap()];
        let cite = |n| Citation {
            doc: "d".into(),
            paragraph: n,
        };
        assert!(check_grounded("The call lasted 50 minutes.", &[cite(1)], &docs).is_ok());
        assert_eq!(
            check_grounded("The call took 50 minutes.", &[cite(1)], &docs),
            Err(GroundingError::NotVerbatim)
        );
        assert!(matches!(
            check_grounded("It ended.", &[cite(3)], &docs),
            Err(GroundingError::UnknownParagraph(_))
        ));
        assert_eq!(
            check_grounded("It ended.", &[], &docs),
            Err(GroundingError::NoCitation)
        );
    }
}
