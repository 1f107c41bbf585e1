//! Copying a whole store into a new one (`footnote migrate`): SQLite into PostgreSQL when a
//! newsroom outgrows one machine, or back, as a backup. Documents keep their ids, paragraph
//! numbers, sentences and vectors, so every citation made before still resolves after.

use super::{AnyStore, NewDocument, Store};
use crate::doc_vectors::DocumentVectors;
use crate::error::{Error, Result};

/// Documents written per transaction.
const BATCH: usize = 256;

/// What a migration copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Migrated {
    pub documents: usize,
    pub paragraphs: usize,
    pub sentences: usize,
}

/// Copies every document of `from` into `to`, which must never have held any, then reads `to`
/// back and checks that it holds exactly what `from` does. `progress` is told the documents
/// copied so far. A failure part way leaves `to` partly filled: migrate again into a new store.
pub async fn migrate(
    from: &AnyStore,
    to: &AnyStore,
    progress: impl Fn(usize, usize),
) -> Result<Migrated> {
    if to.model().await?.is_some() || to.is_seeded().await? {
        return Err(Error::InvalidInput(
            "the target store is not new (it holds, or held, documents): migrate into a new, \
             empty store"
                .into(),
        ));
    }
    let Some(model) = from.model().await? else {
        // Every insert records the model: a store without one has never held a document.
        if !from.load(0).await?.is_empty() {
            return Err(Error::StoreFormat(
                "the source holds documents but records no model".into(),
            ));
        }
        if from.is_seeded().await? {
            to.mark_seeded().await?;
        }
        return Ok(Migrated::default());
    };
    let stored = from.load(model.dim).await?;
    let none = DocumentVectors::default();
    let mut copied = 0;
    for documents in stored.chunks(BATCH) {
        // Vectors of a document stored without them (or of another width) stay missing; the
        // service embeds such documents when it starts on the target.
        let rows: Vec<NewDocument> = documents
            .iter()
            .map(|d| NewDocument {
                document: &d.document,
                vectors: d.vectors.as_ref().unwrap_or(&none),
            })
            .collect();
        to.insert(&rows, &model).await?;
        copied += rows.len();
        progress(copied, stored.len());
    }
    if from.is_seeded().await? {
        to.mark_seeded().await?;
    }
    let copy = to.load(model.dim).await?;
    let same = copy.len() == stored.len()
        && copy
            .iter()
            .zip(&stored)
            .all(|(a, b)| a.document == b.document && a.vectors == b.vectors);
    if !same {
        return Err(Error::Store(
            "the target does not read back as the source: the copy is not usable".into(),
        ));
    }
    Ok(Migrated {
        documents: stored.len(),
        paragraphs: stored.iter().map(|d| d.document.paragraphs.len()).sum(),
        sentences: stored
            .iter()
            .map(|d| {
                d.document
                    .paragraphs
                    .iter()
                    .map(|p| p.sentences.len())
                    .sum::<usize>()
            })
            .sum(),
    })
}
