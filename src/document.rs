//! Documents, their numbered paragraphs and sentences, and loading them from files.
//!
//! A document is a `.txt` file (its id is the file stem) or one line of a JSONL file
//! (`{"id", "text", "title"?}`). Paragraphs are the blank-line-separated blocks (or the lines of
//! a block written one paragraph per line; see [`segment::paragraphs`]), numbered from 1, every
//! one counted, so that a citation `[doc ¶n]` can be checked by counting them in the original
//! file. Blocks that are not content (credits, promotions, captions) keep their number but
//! are never used as evidence.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::hash::fingerprint;
use crate::segment;

/// One paragraph of a document: a blank-line-separated block, or a line of a block written one
/// paragraph per line.
#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    /// 1-based position among all blocks of the document.
    pub number: usize,
    pub text: String,
    /// False for credits, promotions and captions: such blocks are never evidence.
    pub is_content: bool,
    /// The block's sentences usable as evidence: verbatim slices of `text`, in order (lines of
    /// boilerplate such as "Share this with" are left out).
    pub sentences: Vec<String>,
}

/// An article split into numbered paragraphs.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: String,
    pub title: Option<String>,
    pub paragraphs: Vec<Paragraph>,
    /// Hash of the text: how the service recognises the same text posted again. (The command
    /// line's embedding cache is keyed by the segmented texts instead; see [`crate::cache`].)
    pub content_hash: String,
}

impl Document {
    /// Splits `text` into paragraphs and sentences. Fails on an id that cannot appear in a
    /// citation and on text without a paragraph (empty or whitespace only).
    pub fn new(id: impl Into<String>, title: Option<String>, text: &str) -> Result<Self> {
        let id = id.into();
        validate_id(&id)?;
        let paragraphs: Vec<Paragraph> = segment::paragraphs(text)
            .into_iter()
            .map(|p| Paragraph {
                number: p.number,
                text: p.text.to_string(),
                is_content: p.is_content,
                // Boilerplate lines inside a block ("Share this with", "Email") are not evidence.
                sentences: segment::sentences(p.text)
                    .into_iter()
                    .filter(|s| segment::is_content(s))
                    .map(str::to_string)
                    .collect(),
            })
            .collect();
        if paragraphs.is_empty() {
            return Err(Error::InvalidInput(format!("document `{id}` has no text")));
        }
        Ok(Document {
            id,
            title,
            paragraphs,
            content_hash: fingerprint(&[text.as_bytes()]),
        })
    }

    /// A document from the fields of a record (a JSONL line, an HTTP request): without an id,
    /// the id is derived from the text ([`id_from_text`]); empty text is refused.
    pub fn from_record(id: Option<String>, title: Option<String>, text: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Err(Error::InvalidInput("the record's text is empty".into()));
        }
        let id = id.unwrap_or_else(|| id_from_text(text));
        Document::new(id, title, text)
    }

    /// The paragraph numbered `number` (1-based), if the document has it.
    pub fn paragraph(&self, number: usize) -> Option<&Paragraph> {
        number
            .checked_sub(1)
            .and_then(|i| self.paragraphs.get(i))
            .filter(|p| p.number == number)
    }

    /// Paragraphs usable as evidence.
    pub fn content(&self) -> impl Iterator<Item = &Paragraph> {
        self.paragraphs.iter().filter(|p| p.is_content)
    }

    /// How many content sentences and content paragraphs the document has: the rows of its
    /// sentence and paragraph embeddings.
    pub fn content_counts(&self) -> (usize, usize) {
        self.content()
            .fold((0, 0), |(s, p), para| (s + para.sentences.len(), p + 1))
    }
}

/// What [`is_valid_id`] asks of an id, for error messages.
pub const ID_RULE: &str = "use 1-200 characters without spaces, slashes, brackets or ¶";

/// Ids appear inside citations `[id ¶n]` and URLs: keep them printable and bracket-free.
pub fn is_valid_id(id: &str) -> bool {
    !id.trim().is_empty()
        && id.chars().count() <= 200
        && !id
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '[' | ']' | '/' | '¶'))
}

fn validate_id(id: &str) -> Result<()> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "invalid document id {id:?}: {ID_RULE}"
        )))
    }
}

/// A document id derived from its text, for records that do not name one.
pub fn id_from_text(text: &str) -> String {
    fingerprint(&[text.as_bytes()])[..12].to_string()
}

/// A document as a JSONL line or an element of a list gives it: `{"id"?, "text", "title"?}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub id: Option<String>,
    pub title: Option<String>,
    pub text: String,
}

impl Record {
    pub fn into_document(self) -> Result<Document> {
        Document::from_record(self.id, self.title, &self.text)
    }
}

/// Documents loaded from paths, plus the records that could not be read.
#[derive(Debug, Default)]
pub struct Loaded {
    pub documents: Vec<Document>,
    /// Problems that did not stop the load (a malformed JSONL line, a duplicate id).
    pub problems: Vec<Error>,
    /// Ids of `documents`, to find duplicates without comparing every pair.
    ids: HashSet<String>,
}

/// Loads every document under `paths`: `.txt` files, `.jsonl` files, or directories of them.
///
/// A missing, unreadable, empty or non-text file fails the whole load: the user named it. A bad
/// line inside a JSONL file is reported in `problems` with its line number and the rest is kept.
pub fn load_paths(paths: &[PathBuf]) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    for path in paths {
        for file in expand(path)? {
            load_file(&file, &mut loaded)?;
        }
    }
    Ok(loaded)
}

/// A directory becomes its `.txt` and `.jsonl` files, sorted; a file stays itself.
pub fn expand(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = fs::read_dir(path)
        .map_err(|e| Error::io(path, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && (is_jsonl(p) || p.extension().is_some_and(|x| x == "txt")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::NoDocuments {
            path: path.to_path_buf(),
        });
    }
    Ok(files)
}

pub fn is_jsonl(path: &Path) -> bool {
    path.extension()
        .is_some_and(|x| x == "jsonl" || x == "ndjson")
}

fn load_file(path: &Path, loaded: &mut Loaded) -> Result<()> {
    let text = read_text(path)?;
    if is_jsonl(path) {
        let problems =
            each_jsonl_line(path, &text, |line| push_unique(loaded, parse_record(line)?));
        loaded.problems.extend(problems);
        return Ok(());
    }
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let doc = Document::new(id, None, &text)
        .map_err(|e| Error::InvalidInput(format!("{}: {e}", path.display())))?;
    if let Err(message) = push_unique(loaded, doc) {
        let problem = Error::InvalidInput(format!("{}: {message}", path.display()));
        loaded.problems.push(problem);
    }
    Ok(())
}

/// Hands each non-blank line of the JSONL file `path` (whose text is `text`) to `take`; the lines
/// it refuses, with its message, come back as [`Error::BadRecord`]s naming the file and line.
pub fn each_jsonl_line(
    path: &Path,
    text: &str,
    mut take: impl FnMut(&str) -> std::result::Result<(), String>,
) -> Vec<Error> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .filter_map(|(line_no, line)| {
            take(line).err().map(|message| Error::BadRecord {
                path: path.to_path_buf(),
                line: line_no + 1,
                message,
            })
        })
        .collect()
}

/// Parses one JSONL line into a document; the error is a message for the line's report.
pub fn parse_record(line: &str) -> std::result::Result<Document, String> {
    let record: Record =
        serde_json::from_str(line).map_err(|e| format!("malformed record: {e}"))?;
    record.into_document().map_err(|e| e.to_string())
}

/// Adds a document unless its id is taken; the error is a message for the report.
fn push_unique(loaded: &mut Loaded, doc: Document) -> std::result::Result<(), String> {
    if !loaded.ids.insert(doc.id.clone()) {
        return Err(format!(
            "duplicate document id `{}` (ids must be unique across the corpus)",
            doc.id
        ));
    }
    loaded.documents.push(doc);
    Ok(())
}

/// Reads a file that must be non-empty UTF-8 text.
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    // NUL bytes mean a binary file even when the bytes happen to be valid UTF-8.
    if bytes.contains(&0) {
        return Err(Error::NotUtf8 {
            path: path.to_path_buf(),
        });
    }
    let text = String::from_utf8(bytes).map_err(|_| Error::NotUtf8 {
        path: path.to_path_buf(),
    })?;
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    if text.trim().is_empty() {
        return Err(Error::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraph_lookup_is_one_based_and_bounded() {
        let doc = Document::new("d", None, "First block.\n\nSecond block.").unwrap();
        assert_eq!(doc.paragraph(1).unwrap().text, "First block.");
        assert_eq!(doc.paragraph(2).unwrap().text, "Second block.");
        assert!(doc.paragraph(0).is_none());
        assert!(doc.paragraph(3).is_none());
    }

    #[test]
    fn malformed_jsonl_line_is_reported_with_its_number_and_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.jsonl");
        fs::write(
            &path,
            "{\"id\":\"a\",\"text\":\"One. Two.\"}\n{not json\n\n{\"id\":\"b\",\"text\":\"Three.\"}\n",
        )
        .unwrap();
        let loaded = load_paths(&[path]).unwrap();
        assert_eq!(loaded.documents.len(), 2);
        assert_eq!(loaded.problems.len(), 1);
        assert!(loaded.problems[0].to_string().contains(":2:"));
    }

    #[test]
    fn binary_and_non_utf8_and_empty_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &[u8]); 3] = [
            ("bin.txt", b"abc\0def"),
            ("latin1.txt", b"caf\xe9 au lait"),
            ("empty.txt", b"  \n\n "),
        ];
        for (name, bytes) in cases {
            let path = dir.path().join(name);
            fs::write(&path, bytes).unwrap();
            assert!(load_paths(&[path]).is_err(), "{name} should be refused");
        }
    }

    #[test]
    fn missing_path_is_an_error_naming_it() {
        let err = load_paths(&[PathBuf::from("/no/such/file.txt")]).unwrap_err();
        assert!(err.to_string().contains("/no/such/file.txt"));
    }

    #[test]
    fn five_mb_article_is_chunked_not_rejected() {
        let sentence = "Officials said the talks would continue next week in Geneva. ";
        let mut text = String::new();
        while text.len() < 5 * 1024 * 1024 {
            text.push_str(sentence);
            if text.len().is_multiple_of(7) {
                text.push_str("\n\n");
            }
        }
        // One more paragraph with no punctuation at all, a single 1 MB run of words.
        text.push_str("\n\n");
        text.push_str(&"word ".repeat(200_000));
        let doc = Document::new("big", None, &text).unwrap();
        let sentences: Vec<&String> = doc.paragraphs.iter().flat_map(|p| &p.sentences).collect();
        assert!(sentences.len() > 50_000);
        assert!(
            sentences.iter().all(|s| s.len() <= 4096),
            "long runs are cut into chunks"
        );
        assert!(doc
            .paragraphs
            .iter()
            .all(|p| p.sentences.iter().all(|s| p.text.contains(s.as_str()))));
    }

    #[test]
    fn ids_with_brackets_or_spaces_are_refused() {
        assert!(Document::new("a b", None, "Text.").is_err());
        assert!(Document::new("a]b", None, "Text.").is_err());
        assert!(Document::new("003_03060291541c335c", None, "Text.").is_ok());
    }

    #[test]
    fn id_length_is_counted_in_characters_not_bytes() {
        assert!(Document::new("é".repeat(200), None, "Text.").is_ok());
        assert!(Document::new("é".repeat(201), None, "Text.").is_err());
    }

    #[test]
    fn duplicate_id_in_jsonl_is_reported_with_its_line_and_first_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.jsonl");
        fs::write(
            &path,
            "{\"id\":\"a\",\"text\":\"One.\"}\n{\"id\":\"a\",\"text\":\"Two.\"}\n",
        )
        .unwrap();
        let loaded = load_paths(&[path]).unwrap();
        assert_eq!(loaded.documents.len(), 1);
        assert_eq!(loaded.documents[0].paragraphs[0].text, "One.");
        let problem = loaded.problems[0].to_string();
        assert!(problem.contains("batch.jsonl:2:"), "{problem}");
        assert!(problem.contains("duplicate document id `a`"), "{problem}");
    }
}
