//! The verifier over a tiny index with made-up vectors: paragraph k of the one document points
//! along axis k, and each claim is given the vector of the paragraph it means.

use super::*;
use crate::doc_vectors::DocumentVectors;
use crate::document::Document;

const ARTICLE: &str = "Leaders met in Geneva on Monday for new talks.\n\n\
                       The talks lasted 50 minutes and ended without a deal.\n\n\
                       Oil prices increased sharply after the meeting in Geneva.";

pub(crate) fn axis(k: usize) -> Vec<f32> {
    let mut v = vec![0.0; 3];
    v[k] = 1.0;
    v
}

/// Also the written answers' tests' index (`compose`).
pub(crate) fn index() -> Index {
    let doc = Document::new("talks", Some("Geneva talks".into()), ARTICLE).unwrap();
    let vectors = DocumentVectors {
        sentences: (0..3).map(axis).collect(),
        passages: (0..3).map(axis).collect(),
    };
    assert!(vectors.fits(&doc, 3));
    Index::from_vectors(vec![doc], vec![vectors], 3)
}

/// Verifies a text whose every claim means paragraph `meant` (1-based).
fn verified(text: &str, meant: usize) -> Report {
    verify(&index(), text, |claims| {
        Ok(claims.iter().map(|_| axis(meant - 1)).collect())
    })
    .unwrap()
}

fn one(text: &str, meant: usize) -> SentenceReport {
    let report = verified(text, meant);
    assert_eq!(report.sentences.len(), 1, "{report:?}");
    report.sentences.into_iter().next().unwrap()
}

#[test]
fn a_copied_sentence_cited_correctly_is_supported_verbatim() {
    let s = one(
        "The talks lasted 50 minutes and ended without a deal. [talks ¶2]",
        2,
    );
    assert_eq!(s.verdict, Verdict::Supported);
    assert_eq!(s.reasons, ["verbatim"]);
    assert!(s.suggestions.is_empty());
}

#[test]
fn a_faithful_paraphrase_is_supported() {
    let s = one("The talks lasted 50 minutes. [talks ¶2]", 2);
    assert_eq!(s.verdict, Verdict::Supported, "{s:?}");
    assert!(s.reasons.is_empty());
}

#[test]
fn a_changed_number_is_unsupported_and_names_both_numbers() {
    let s = one("The talks lasted 70 minutes. [talks ¶2]", 2);
    assert_eq!(s.verdict, Verdict::Unsupported);
    assert_eq!(
        s.reasons,
        ["\"70 minutes\" is not stated (the paragraph says \"50 minutes\")"]
    );
}

#[test]
fn the_wrong_paragraph_of_the_right_document_gets_the_right_one_suggested() {
    let s = one("The talks lasted 50 minutes. [talks ¶3]", 2);
    assert_eq!(s.verdict, Verdict::Unsupported);
    assert_eq!(s.suggestions[0].doc, "talks");
    assert_eq!(s.suggestions[0].paragraph, 2);
    assert!((0.0..=1.0).contains(&s.suggestions[0].score));
}

#[test]
fn an_uncited_claim_is_uncited_with_suggestions() {
    let s = one("The talks lasted 50 minutes.", 2);
    assert_eq!(s.verdict, Verdict::Uncited);
    assert_eq!(s.suggestions[0].paragraph, 2);
}

#[test]
fn an_antonym_is_unsupported() {
    let s = one(
        "Oil prices decreased sharply after the meeting in Geneva. [talks ¶3]",
        3,
    );
    assert_eq!(s.verdict, Verdict::Unsupported);
    assert!(
        s.reasons[0].contains("where the cited paragraphs say"),
        "{s:?}"
    );
}

#[test]
fn unknown_documents_and_paragraphs_are_invalid_citations_named() {
    let s = one("The talks lasted 50 minutes. [nope ¶2]", 2);
    assert_eq!(s.verdict, Verdict::InvalidCitation);
    assert_eq!(s.reasons, ["no document \"nope\" in the corpus"]);
    let s = one("The talks lasted 50 minutes. [talks ¶9]", 2);
    assert_eq!(s.verdict, Verdict::InvalidCitation);
    assert_eq!(
        s.reasons,
        ["document \"talks\" has no paragraph 9 (it has 3)"]
    );
}

#[test]
fn malformed_citations_are_invalid_never_a_panic() {
    for group in [
        "[¶]",
        "[talks ¶0]",
        "[talks ¶-1]",
        "[talks ¶99999999999999999999]",
    ] {
        let s = one(&format!("The talks lasted 50 minutes. {group}"), 2);
        assert_eq!(s.verdict, Verdict::InvalidCitation, "{group}");
        assert!(!s.reasons.is_empty());
    }
}

#[test]
fn counts_cover_claims_supported_and_skipped() {
    let report = verified(
        "# Notes\n\nThe talks lasted 50 minutes. [talks ¶2] Did they agree? \
         The talks lasted 70 minutes. [talks ¶2]\n\nSources:\n  [talks ¶2] The talks lasted.",
        2,
    );
    assert_eq!((report.claims, report.supported, report.skipped), (2, 1, 4));
    assert!(!report.all_supported());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["sentences"][0]["verdict"], "supported");
    assert_eq!(json["sentences"][1]["citations"][0]["paragraph"], 2);
}

#[test]
fn empty_and_oversized_texts_are_refused() {
    let embed = |claims: &[&str]| Ok(claims.iter().map(|_| axis(0)).collect());
    assert!(matches!(
        verify(&index(), " \n ", embed),
        Err(Error::InvalidInput(_))
    ));
    let huge = "The talks lasted 50 minutes. [talks ¶2] ".repeat(200_000);
    assert!(matches!(
        verify(&index(), &huge, embed),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn verdict_names_are_what_the_json_says() {
    for verdict in [
        Verdict::Supported,
        Verdict::Unsupported,
        Verdict::Uncited,
        Verdict::InvalidCitation,
    ] {
        assert_eq!(serde_json::to_value(verdict).unwrap(), verdict.name());
    }
}

#[test]
fn only_claims_that_are_not_copies_of_a_cited_document_are_embedded() {
    // The copy cites the wrong paragraph, so it still needs its vector for suggestions: it
    // comes from the index, and the model sees only the reworded claim.
    let text = "The talks lasted 50 minutes and ended without a deal. [talks ¶3]\n\n\
                The talks took 50 minutes. [talks ¶2]";
    let mut asked: Vec<String> = Vec::new();
    let report = verify(&index(), text, |claims| {
        asked = claims.iter().map(|c| c.to_string()).collect();
        Ok(claims.iter().map(|_| axis(1)).collect())
    })
    .unwrap();
    assert_eq!(asked, ["The talks took 50 minutes."]);
    let copy = &report.sentences[0];
    assert_eq!(copy.verdict, Verdict::Unsupported, "{copy:?}");
    assert_eq!(copy.suggestions[0].paragraph, 2, "{copy:?}");
}

#[test]
fn vectors_that_do_not_match_the_claims_to_embed_are_an_error() {
    let parsed = parse("The talks took 50 minutes. [talks ¶2]");
    let known = ClaimVectors::new(&index(), &parsed);
    assert!(known.complete(Vec::new()).is_err());
}
