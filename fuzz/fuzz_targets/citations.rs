//! The verifier's citation parser (`footnote::verify::parse`) and the grounding check on arbitrary
//! text, as a client sends it to `POST /v1/verify` or the model writes it.
//!
//! Invariants: every claim is non-empty, holds a letter and is not a question; its citations are
//! numbered from 1 and not repeated; each citation round-trips: written as `[doc ¶n]` after a
//! fixed sentence it reads back as itself, and through JSON too. The same text, read as an
//! article, grounds each of its sentences in the paragraph it came from, and the grounding check
//! of any claim against it never panics.
#![no_main]

use footnote::citation::{check_grounded, Citation};
use footnote::document::Document;
use footnote::verify::parse;
use libfuzzer_sys::fuzz_target;

fn round_trips(citation: &Citation) {
    let text = format!("The talks ended on Monday. {citation}");
    let parsed = parse(&text);
    assert_eq!(parsed.claims.len(), 1, "{text:?} gave {parsed:?}");
    assert_eq!(parsed.claims[0].text, "The talks ended on Monday.");
    assert_eq!(parsed.claims[0].citations, [citation.clone()], "{text:?}");
    assert!(parsed.claims[0].malformed.is_empty(), "{text:?}");
    let json = serde_json::to_string(citation).expect("a citation serializes");
    let back: Citation = serde_json::from_str(&json).expect("and reads back");
    assert_eq!(&back, citation);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse(text);
    for claim in &parsed.claims {
        assert!(!claim.text.is_empty());
        assert!(claim.text.chars().any(char::is_alphabetic), "{claim:?}");
        assert!(!claim.text.ends_with('?'), "{claim:?}");
        for (i, c) in claim.citations.iter().enumerate() {
            assert!(c.paragraph >= 1, "{c:?}");
            assert!(!c.doc.trim().is_empty(), "{c:?}");
            assert!(!claim.citations[..i].contains(c), "repeated {c:?}");
            round_trips(c);
        }
    }
    let Ok(doc) = Document::new("d", None, text) else {
        return;
    };
    let docs = [doc];
    for p in &docs[0].paragraphs {
        let cite = [Citation {
            doc: "d".into(),
            paragraph: p.number,
        }];
        for s in &p.sentences {
            assert_eq!(check_grounded(s, &cite, &docs), Ok(()), "{s:?} in {p:?}");
        }
    }
    for claim in &parsed.claims {
        let _ = check_grounded(&claim.text, &claim.citations, &docs);
    }
});
