//! The verifier with the real model over the seeds: the done-when example, and every
//! copied sentence of the seeds, cited correctly, comes out supported.

mod common;

use footnote::verify::{verify_with, Verdict};

const ARTICLE: &str = "002_4612034cd8f006a6";

fn verdict_of(text: &str) -> footnote::verify::SentenceReport {
    let report = verify_with(common::seed_index(), &common::engine().embedder, text)
        .expect("the text is verified");
    assert_eq!(report.sentences.len(), 1, "{report:?}");
    report.sentences.into_iter().next().unwrap()
}

#[test]
fn a_changed_duration_is_unsupported_and_names_what_the_paragraph_says() {
    let s = verdict_of(&format!(
        "Biden and Putin spoke for 70 minutes on Thursday. [{ARTICLE} ¶2]"
    ));
    assert_eq!(s.verdict, Verdict::Unsupported);
    assert!(
        s.reasons[0].contains("\"70 minutes\" is not stated")
            && s.reasons[0].contains("50 minutes"),
        "{s:?}"
    );
}

#[test]
fn the_right_duration_is_supported() {
    let s = verdict_of(&format!(
        "Biden and Putin spoke for 50 minutes on Thursday. [{ARTICLE} ¶2]"
    ));
    assert_eq!(s.verdict, Verdict::Supported, "{s:?}");
}

#[test]
fn citing_the_wrong_paragraph_suggests_the_right_one() {
    let s = verdict_of(&format!(
        "Biden and Putin spoke for 50 minutes on Thursday. [{ARTICLE} ¶3]"
    ));
    assert_eq!(s.verdict, Verdict::Unsupported, "{s:?}");
    let first = &s.suggestions[0];
    assert_eq!((first.doc.as_str(), first.paragraph), (ARTICLE, 2), "{s:?}");
}

#[test]
fn every_copied_seed_sentence_cited_correctly_is_supported() {
    let index = common::seed_index();
    let mut text = String::new();
    for doc in &index.documents {
        for p in doc.content() {
            for s in &p.sentences {
                text.push_str(&format!("{s} [{} ¶{}]\n\n", doc.id, p.number));
            }
        }
    }
    let report = verify_with(index, &common::engine().embedder, &text).unwrap();
    let failed: Vec<_> = report
        .sentences
        .iter()
        .filter(|s| s.verdict != Verdict::Supported)
        .collect();
    assert!(
        failed.is_empty(),
        "{} not supported: {failed:#?}",
        failed.len()
    );
    assert!(report.claims > 50, "{report:?}");
}
