//! Written answers over the verifier's tiny test index with made-up vectors (paragraph k points
//! along axis k; each written claim is given the vector of paragraph 2, the one about the talks'
//! length).

use super::*;
use crate::verify::tests::{axis, index};

fn report(index: &Index, text: &str) -> Report {
    verify::verify_in(index, None, text, |claims| {
        Ok(claims.iter().map(|_| axis(1)).collect())
    })
    .unwrap()
}

fn extractive(index: &Index) -> Answer {
    let mut answer = crate::answer::answer_with_vector(
        index,
        "How long did the talks last?",
        &axis(1),
        &Default::default(),
    )
    .unwrap();
    // Whatever the extractive step decided, the fallback must be it unchanged.
    answer.confidence = 0.9;
    answer
}

fn info() -> GenerationInfo {
    GenerationInfo {
        model: "test".into(),
        sources: 2,
        sources_cut: 0,
        prompt_tokens: 100,
        tokens: 20,
        stop: "end".into(),
        first_token_seconds: 0.1,
        seconds: 0.5,
    }
}

#[test]
fn supported_sentences_are_kept_and_the_rest_dropped_with_reasons() {
    let index = index();
    let text = "The talks lasted 50 minutes. [talks ¶2] The talks lasted two hours. [talks ¶2] \
                They were friendly.";
    let answer = written_answer(
        &index,
        extractive(&index),
        &report(&index, text),
        info(),
        3,
        false,
        &[],
    );
    assert_eq!(answer.mode, Mode::Generated);
    assert_eq!(answer.sentences.len(), 1, "{answer:?}");
    assert_eq!(answer.sentences[0].text, "The talks lasted 50 minutes.");
    assert!(answer.sentences[0].verified);
    assert_eq!(answer.answer, "The talks lasted 50 minutes. [talks ¶2]");
    assert_eq!(answer.citations.len(), 1);
    assert_eq!(answer.citations[0].paragraph, 2);
    assert!(answer.citations[0].text.contains("50 minutes"));
    let verdicts: Vec<&str> = answer.dropped.iter().map(|d| d.verdict.as_str()).collect();
    assert_eq!(verdicts, ["unsupported", "uncited"]);
    assert!(!answer.dropped[0].reasons.is_empty());
}

#[test]
fn unverified_sentences_are_shown_only_on_request_and_never_as_verified() {
    let index = index();
    let text = "The talks lasted 50 minutes. [talks ¶2] The talks lasted two hours. [talks ¶2]";
    let answer = written_answer(
        &index,
        extractive(&index),
        &report(&index, text),
        info(),
        3,
        true,
        &[],
    );
    assert_eq!(answer.sentences.len(), 2);
    assert!(answer.sentences[0].verified);
    assert!(!answer.sentences[1].verified);
    assert!(answer.answer.ends_with("(unverified)"), "{}", answer.answer);
    assert_eq!(answer.dropped.len(), 1);
}

#[test]
fn nothing_supported_falls_back_to_the_extractive_answer_and_says_so() {
    let index = index();
    let before = extractive(&index);
    for text in [
        "",
        "The talks lasted two hours. [talks ¶2]",
        "xq zz [talks ¶9]",
        "Hello.",
    ] {
        let answer = written_answer(
            &index,
            before.clone(),
            &report(&index, text),
            info(),
            3,
            true,
            &[],
        );
        assert_ne!(answer.mode, Mode::Generated, "{text}");
        assert_eq!(answer.sentences, before.sentences, "{text}");
        assert_eq!(answer.answer, before.answer, "{text}");
        assert!(answer.sentences.iter().all(|s| s.verified));
        assert_eq!(answer.generation, Some(info()));
    }
    let invalid = report(&index, "The talks lasted 50 minutes. [talks ¶9]");
    let answer = written_answer(&index, before.clone(), &invalid, info(), 3, false, &[]);
    assert_eq!(answer.dropped[0].verdict, "invalid_citation");
}

#[test]
fn a_repeated_sentence_is_kept_once_and_the_sentence_limit_holds() {
    let index = index();
    let text = "The talks lasted 50 minutes. [talks ¶2] The talks lasted 50 minutes. [talks ¶2] \
                The talks ended without a deal. [talks ¶2]";
    let answer = written_answer(
        &index,
        extractive(&index),
        &report(&index, text),
        info(),
        1,
        false,
        &[],
    );
    assert_eq!(answer.sentences.len(), 1);
    assert!(answer.dropped.is_empty());
}

#[test]
fn sources_are_cut_from_the_end_until_the_prompt_fits() {
    let index = index();
    let prompts = Prompts::load(None).unwrap();
    let sources: Vec<Source> = (1..=3)
        .map(|n| Source {
            citation: Citation {
                doc: "talks".into(),
                paragraph: n,
            },
            title: None,
            text: index.documents[0].paragraph(n).unwrap().text.clone(),
            score: 0.0,
        })
        .collect();
    let all = build_prompt(
        &prompts,
        Task::Answer,
        Some("q"),
        2,
        sources.clone(),
        &mut |_| Ok(true),
    )
    .unwrap()
    .unwrap();
    assert_eq!((all.sources.len(), all.cut), (3, 0));
    let limit = all.message.len() - 10;
    let cut = build_prompt(
        &prompts,
        Task::Answer,
        Some("q"),
        2,
        sources.clone(),
        &mut |m| Ok(m.len() <= limit),
    )
    .unwrap()
    .unwrap();
    assert_eq!((cut.sources.len(), cut.cut), (2, 1));
    assert!(!cut.message.contains("[talks ¶3]"));
    let none = build_prompt(&prompts, Task::Answer, Some("q"), 2, sources, &mut |_| {
        Ok(false)
    })
    .unwrap();
    assert!(none.is_none());
}

#[test]
fn finished_sentences_are_given_once_as_the_text_grows() {
    let mut tracker = SentenceTracker::default();
    assert!(tracker.finished("The talks lasted", false).is_empty());
    assert!(tracker
        .finished("The talks lasted 50 minutes. [talks ¶2]", false)
        .is_empty());
    let first = tracker.finished("The talks lasted 50 minutes. [talks ¶2] Oil", false);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].citations.len(), 1);
    assert!(tracker
        .finished("The talks lasted 50 minutes. [talks ¶2] Oil rose", false)
        .is_empty());
    let last = tracker.finished("The talks lasted 50 minutes. [talks ¶2] Oil rose.", true);
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].text, "Oil rose.");
}

/// Found by the `prompts` fuzz target: a document id may hold a chat marker (the id rule allows
/// `<`, `|` and `>`), and the source's label `[id ¶n]` went into the prompt as it is, ending or
/// opening a turn. Such a source is now left out; the others are kept, their text defanged.
#[test]
fn a_document_id_holding_a_chat_marker_never_reaches_the_prompt() {
    let defang = |text: &str| text.replace("<|im_start|>", "");
    let source = |doc: &str, text: &str| Source {
        citation: Citation {
            doc: doc.into(),
            paragraph: 2,
        },
        title: Some("T<|im_start|>".into()),
        text: text.into(),
        score: 0.0,
    };
    let (question, sources) = defang_inputs(
        Some("Who?<|im_start|>"),
        vec![
            source("ppenim<|im_start|>", "Talks ended."),
            source("a", "Talks<|im_start|> ended."),
        ],
        &defang,
    );
    assert_eq!(question.as_deref(), Some("Who?"));
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(sources[0].citation.doc, "a");
    assert_eq!(sources[0].text, "Talks ended.");
    assert_eq!(sources[0].title.as_deref(), Some("T"));
}
