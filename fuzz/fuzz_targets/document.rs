//! The document readers: arbitrary bytes as a `.txt` file or a JSONL file, read by
//! `footnote::document::load_paths` exactly as the command line reads them (the first byte picks
//! the kind; the file is rewritten in a temporary folder each run).
//!
//! Invariants: the load never panics; it fails or yields documents whose ids are valid and
//! unique, whose paragraphs are numbered 1, 2, ... and non-empty, found by `paragraph(n)`, whose
//! sentences are verbatim in their paragraph; a `.txt` file gives one document (or one problem);
//! a JSONL file gives at most one document or problem per non-blank line.
#![no_main]

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use footnote::document::{is_valid_id, load_paths};
use libfuzzer_sys::fuzz_target;

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    let jsonl = kind & 1 == 1;
    let path: PathBuf = dir()
        .path()
        .join(if jsonl { "batch.jsonl" } else { "article.txt" });
    std::fs::write(&path, bytes).expect("the file is written");
    let Ok(loaded) = load_paths(std::slice::from_ref(&path)) else {
        return;
    };
    let mut ids = HashSet::new();
    for doc in &loaded.documents {
        assert!(is_valid_id(&doc.id), "invalid id {:?}", doc.id);
        assert!(ids.insert(doc.id.as_str()), "duplicate id {:?}", doc.id);
        assert!(!doc.paragraphs.is_empty(), "a document without paragraphs");
        for (i, p) in doc.paragraphs.iter().enumerate() {
            assert_eq!(p.number, i + 1);
            assert_eq!(doc.paragraph(p.number), Some(p));
            assert!(!p.text.trim().is_empty(), "empty paragraph");
            for s in &p.sentences {
                assert!(
                    !s.is_empty() && p.text.contains(s.as_str()),
                    "{s:?} not in {p:?}"
                );
            }
        }
        assert!(doc.paragraph(0).is_none());
        assert!(doc.paragraph(doc.paragraphs.len() + 1).is_none());
    }
    let results = loaded.documents.len() + loaded.problems.len();
    if jsonl {
        let text = String::from_utf8_lossy(bytes);
        let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
        assert!(results <= lines, "{results} results from {lines} lines");
    } else {
        assert_eq!(results, 1, "a .txt file is one document");
        if let Some(doc) = loaded.documents.first() {
            assert_eq!(doc.id, "article");
        }
    }
});
