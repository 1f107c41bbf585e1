//! Batch summarizing (`footnote summarize FILE.jsonl`): one summary per record, the sentences of
//! many records embedded together in shared forward passes.
//!
//! A record is a JSONL line: a document (`{"id"?, "text", "title"?}`) summarized on its own, or a
//! cluster (`{"id", "documents": [{"id"?, "text", "title"?}, ...]}`) summarized across its
//! documents, as `footnote summarize` summarizes several files. A `.txt` file given beside the
//! JSONL files is a record of one document. Record ids name the output lines, so they are unique
//! across the batch; a cluster's summary cites its documents, so their ids are valid citation ids
//! and unique within the cluster. A bad record is reported with its file and line, and the others
//! are summarized.
//!
//! Only sentences are embedded ([`Engine::embed_sentences`]): a summary reads no other vectors,
//! and paragraphs, the longest texts, would double the forward passes' time on news articles (see
//! [`crate::doc_vectors`]). Nothing is cached: a batch is new articles, read once.

use std::collections::HashSet;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Deserialize;

use crate::doc_vectors::SentenceVectors;
use crate::document::{self, Document};
use crate::error::{Error, Result};
use crate::index::Index;
use crate::summarize::{self, Length, Summary};
use crate::Engine;

/// Documents whose sentences are embedded together: enough to fill the model's batches across
/// short articles, few enough that the first summaries come out early and memory stays flat.
const SHARED_PASS_DOCUMENTS: usize = 32;

/// One record of a batch: the documents summarized together, under the record's id.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: String,
    pub documents: Vec<Document>,
}

/// A cluster as its JSONL line gives it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cluster {
    id: String,
    documents: Vec<document::Record>,
}

/// Parses one JSONL line: a cluster when it has `documents`, a document otherwise. The error is
/// a message for the line's report, naming the cluster and the document at fault.
pub fn parse_record(line: &str) -> std::result::Result<Record, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("malformed record: {e}"))?;
    if value.get("documents").is_none() {
        let doc = serde_json::from_value::<document::Record>(value)
            .map_err(|e| format!("malformed record: {e}"))?
            .into_document()
            .map_err(|e| e.to_string())?;
        return Ok(Record {
            id: doc.id.clone(),
            documents: vec![doc],
        });
    }
    let Cluster { id, documents } =
        serde_json::from_value(value).map_err(|e| format!("malformed cluster: {e}"))?;
    // Not cited, but printed as the output line's id and in error lines: the same rules.
    if !document::is_valid_id(&id) {
        return Err(format!("invalid cluster id {id:?}: {}", document::ID_RULE));
    }
    if documents.is_empty() {
        return Err(format!("cluster `{id}` has no documents"));
    }
    let mut ids = HashSet::new();
    let documents = documents
        .into_iter()
        .enumerate()
        .map(|(i, record)| {
            let doc = record
                .into_document()
                .map_err(|e| format!("cluster `{id}`, document {}: {e}", i + 1))?;
            if !ids.insert(doc.id.clone()) {
                return Err(format!(
                    "cluster `{id}`: duplicate document id `{}` (ids must be unique within a cluster)",
                    doc.id
                ));
            }
            Ok(doc)
        })
        .collect::<std::result::Result<Vec<_>, String>>()?;
    Ok(Record { id, documents })
}

/// The records of a batch, plus those that could not be read.
#[derive(Debug, Default)]
pub struct Batch {
    pub records: Vec<Record>,
    /// Records skipped: a malformed line, a bad document, an id already taken.
    pub problems: Vec<Error>,
}

/// Loads the records under `paths`: each line of the `.jsonl` files, and each `.txt` file, in
/// order; directories as [`document::load_paths`] reads them. A file that cannot be read fails
/// the load; a bad record is a problem, and the rest is kept.
pub fn load_paths(paths: &[PathBuf]) -> Result<Batch> {
    let mut batch = Batch::default();
    let mut ids = HashSet::new();
    let mut push = |records: &mut Vec<Record>, record: Record| {
        if !ids.insert(record.id.clone()) {
            return Err(format!(
                "duplicate record id `{}` (each record of a batch needs its own id)",
                record.id
            ));
        }
        records.push(record);
        Ok(())
    };
    for path in paths {
        for file in document::expand(path)? {
            if document::is_jsonl(&file) {
                let text = document::read_text(&file)?;
                let records = &mut batch.records;
                let problems = document::each_jsonl_line(&file, &text, |line| {
                    push(records, parse_record(line)?)
                });
                batch.problems.extend(problems);
                continue;
            }
            let loaded = document::load_paths(std::slice::from_ref(&file))?;
            batch.problems.extend(loaded.problems);
            for doc in loaded.documents {
                let record = Record {
                    id: doc.id.clone(),
                    documents: vec![doc],
                };
                if let Err(message) = push(&mut batch.records, record) {
                    let problem = Error::InvalidInput(format!("{}: {message}", file.display()));
                    batch.problems.push(problem);
                }
            }
        }
    }
    Ok(batch)
}

/// Each record's summary (across all its documents), in order, with the record's id. Records
/// are taken in groups of about [`SHARED_PASS_DOCUMENTS`] documents whose sentences are embedded
/// together; a group's summaries come out once it is embedded.
pub fn summaries(
    engine: &Engine,
    records: Vec<Record>,
    length: Length,
) -> impl Iterator<Item = (String, Result<Summary>)> + '_ {
    let mut records = records.into_iter();
    std::iter::from_fn(move || {
        let mut group = Vec::new();
        let mut documents = 0;
        while documents < SHARED_PASS_DOCUMENTS {
            let Some(record) = records.next() else { break };
            documents += record.documents.len();
            group.push(record);
        }
        (!group.is_empty()).then(|| summarize_group(engine, group, length))
    })
    .flatten()
}

/// Summarizes a group of records whose sentences are embedded in shared forward passes.
fn summarize_group(
    engine: &Engine,
    group: Vec<Record>,
    length: Length,
) -> Vec<(String, Result<Summary>)> {
    let documents: Vec<&Document> = group.iter().flat_map(|r| &r.documents).collect();
    match engine.embed_sentences(&documents) {
        Ok(vectors) => {
            let mut vectors = vectors.into_iter();
            let jobs: Vec<(Record, Vec<SentenceVectors>)> = group
                .into_iter()
                .map(|r| {
                    let own = vectors.by_ref().take(r.documents.len()).collect();
                    (r, own)
                })
                .collect();
            let dim = engine.embedder.dim();
            // Records are independent; summarizing them is the part of a group that does not
            // use both cores otherwise.
            jobs.into_par_iter()
                .map(|(record, vectors)| {
                    let index = Index::for_summaries(record.documents, vectors, dim);
                    (record.id, summarize::summarize(&index, &[], length))
                })
                .collect()
        }
        // One record the model fails on must not cost the others their summaries.
        Err(_) if group.len() > 1 => group
            .into_iter()
            .flat_map(|r| summarize_group(engine, vec![r], length))
            .collect(),
        Err(e) => group.into_iter().map(|r| r.id).zip([Err(e)]).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, text: &str) -> serde_json::Value {
        serde_json::json!({"id": id, "text": text})
    }

    #[test]
    fn a_document_line_is_a_record_of_one_document() {
        let line = doc("a", "One. Two.").to_string();
        let record = parse_record(&line).unwrap();
        assert_eq!(record.id, "a");
        assert_eq!(record.documents, [document::parse_record(&line).unwrap()]);
    }

    #[test]
    fn a_cluster_line_is_a_record_of_its_documents_in_order() {
        let line = serde_json::json!({
            "id": "c1",
            "documents": [doc("x", "One."), {"text": "Two.", "title": "T"}],
        });
        let record = parse_record(&line.to_string()).unwrap();
        assert_eq!(record.id, "c1");
        let ids: Vec<&str> = record.documents.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["x", document::id_from_text("Two.").as_str()]);
        assert_eq!(record.documents[1].title.as_deref(), Some("T"));
    }

    #[test]
    fn a_bad_cluster_is_refused_naming_the_cluster_and_the_document() {
        let cases = [
            (
                serde_json::json!({"id": "c", "documents": [doc("a", "One."), doc("a", "Two.")]}),
                "cluster `c`: duplicate document id `a`",
            ),
            (
                serde_json::json!({"id": "c", "documents": [doc("a", "One."), doc("b]", "Two.")]}),
                "cluster `c`, document 2: invalid document id",
            ),
            (
                serde_json::json!({"id": "c", "documents": [doc("a", "  ")]}),
                "cluster `c`, document 1: the record's text is empty",
            ),
            (
                serde_json::json!({"id": "c", "documents": []}),
                "cluster `c` has no documents",
            ),
            (
                serde_json::json!({"id": "c d", "documents": [doc("a", "One.")]}),
                "invalid cluster id \"c d\"",
            ),
            (
                serde_json::json!({"id": "c", "text": "One.", "documents": [doc("a", "One.")]}),
                "malformed cluster: unknown field `text`",
            ),
            (
                serde_json::json!({"documents": [doc("a", "One.")]}),
                "malformed cluster: missing field `id`",
            ),
            (
                serde_json::json!({"id": "c", "documents": "One."}),
                "malformed cluster: invalid type",
            ),
        ];
        for (line, expected) in cases {
            let message = parse_record(&line.to_string()).unwrap_err();
            assert!(message.starts_with(expected), "{line}: {message}");
        }
    }

    #[test]
    fn bad_records_are_problems_with_their_line_and_the_rest_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("batch.jsonl");
        let lines = [
            doc("a", "One.").to_string(),
            "{not json".to_string(),
            String::new(),
            serde_json::json!({"id": "c", "documents": [doc("a", "Two."), doc("b", "Three.")]})
                .to_string(),
            serde_json::json!({"id": "a", "documents": [doc("x", "Four.")]}).to_string(),
        ];
        std::fs::write(&jsonl, lines.join("\n")).unwrap();
        let txt = dir.path().join("c.txt");
        std::fs::write(&txt, "Five.").unwrap();
        let batch = load_paths(&[jsonl, txt]).unwrap();
        let ids: Vec<&str> = batch.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        let problems: Vec<String> = batch.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("batch.jsonl:2: malformed record"));
        assert!(problems[1].contains("batch.jsonl:5: duplicate record id `a`"));
        assert!(problems[2].contains("c.txt: duplicate record id `c`"));
    }
}
