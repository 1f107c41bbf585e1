//! The sentence and paragraph segmenter on arbitrary text.
//!
//! Invariants: paragraphs are numbered 1, 2, ... in order; each is non-empty, trimmed, a verbatim
//! slice of the input, after the previous one; the sentences of a paragraph (and of the whole
//! input) are non-empty, trimmed, at most 2,000 bytes, verbatim slices in order, and together
//! hold every non-whitespace character of what was split.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Longest sentence the splitter returns, in bytes (`segment/sentences.rs`).
const MAX_SENTENCE_BYTES: usize = 2_000;

fn offset(outer: &str, inner: &str) -> usize {
    let start = inner.as_ptr() as usize;
    let base = outer.as_ptr() as usize;
    assert!(
        start >= base && start + inner.len() <= base + outer.len(),
        "{inner:?} is not a slice of its input"
    );
    start - base
}

fn non_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn check_sentences(text: &str) {
    let sentences = footnote::segment::sentences(text);
    let mut end = 0;
    for s in &sentences {
        assert!(!s.is_empty(), "empty sentence in {text:?}");
        assert_eq!(*s, s.trim(), "untrimmed sentence");
        assert!(
            s.len() <= MAX_SENTENCE_BYTES,
            "sentence of {} bytes",
            s.len()
        );
        let at = offset(text, s);
        assert!(at >= end, "sentences out of order or overlapping");
        end = at + s.len();
    }
    let joined: String = sentences.concat();
    assert_eq!(
        non_whitespace(&joined),
        non_whitespace(text),
        "sentences lost or repeated text"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let paragraphs = footnote::segment::paragraphs(text);
    let mut end = 0;
    for (i, p) in paragraphs.iter().enumerate() {
        assert_eq!(p.number, i + 1, "paragraphs numbered out of order");
        assert!(!p.text.is_empty(), "empty paragraph");
        assert_eq!(p.text, p.text.trim(), "untrimmed paragraph");
        let at = offset(text, p.text);
        assert!(at >= end, "paragraphs out of order or overlapping");
        end = at + p.text.len();
        assert_eq!(p.is_content, footnote::segment::is_content(p.text));
        check_sentences(p.text);
    }
    // Every non-whitespace character of the input is in some paragraph.
    let all: String = paragraphs.iter().map(|p| p.text).collect();
    assert_eq!(
        non_whitespace(&all),
        non_whitespace(text),
        "paragraphs lost text"
    );
    check_sentences(text);
});
