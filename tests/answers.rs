//! Behaviour of `ask` and `summarize` with the real model over the seed articles.

mod common;

use footnote::answer::{self, AskOptions};
use footnote::cache::EmbeddingCache;
use footnote::citation::check_grounded;
use footnote::summarize::{self, Length};
use footnote::{Engine, EngineSettings};
use proptest::prelude::*;

fn ask(question: &str) -> footnote::answer::Answer {
    common::engine()
        .ask(common::seed_index(), question, &AskOptions::default())
        .expect("ask succeeds")
}

fn cites(answer: &footnote::answer::Answer, doc: &str, paragraph: usize) -> bool {
    answer
        .sentences
        .iter()
        .flat_map(|s| &s.citations)
        .any(|c| c.doc == doc && c.paragraph == paragraph)
}

#[test]
fn question_answered_in_one_paragraph_cites_it() {
    // Each fact is stated in exactly one paragraph of the seeds.
    let cases = [
        (
            "Who will lead the US delegation in the talks?",
            "003_03060291541c335c",
            20,
        ),
        (
            "Who will lead the Russian delegation?",
            "003_03060291541c335c",
            21,
        ),
        (
            "What area can the JSTARS on-board antenna cover?",
            "003_03060291541c335c",
            37,
        ),
        (
            "Which aircraft carrier did Lloyd Austin order to stay in the Mediterranean?",
            "003_03060291541c335c",
            31,
        ),
    ];
    for (question, doc, paragraph) in cases {
        let answer = ask(question);
        assert!(!answer.abstained, "{question}: abstained");
        assert!(
            cites(&answer, doc, paragraph),
            "{question}: expected [{doc} ¶{paragraph}], got {}",
            answer.answer
        );
        assert_eq!(
            (
                answer.sentences[0].citations[0].doc.as_str(),
                answer.sentences[0].citations[0].paragraph
            ),
            (doc, paragraph),
            "{question}: the most direct sentence comes first"
        );
    }
}

#[test]
fn fact_reported_by_several_articles_is_answered_with_its_figure() {
    let answer = ask("How many Russian troops are gathered near the border with Ukraine?");
    assert!(!answer.abstained);
    assert!(
        answer.sentences[0].text.contains("100,000"),
        "{}",
        answer.answer
    );
}

#[test]
fn off_topic_questions_abstain_and_offer_related_reading() {
    for question in [
        "What is the capital of France?",
        "How do I bake sourdough bread?",
        "Who won the 2018 FIFA World Cup?",
        "What is the boiling point of water at sea level?",
        "Which programming language has a borrow checker?",
    ] {
        let answer = ask(question);
        assert!(answer.abstained, "{question}: answered {}", answer.answer);
        assert!(answer.sentences.is_empty());
        assert!(answer.citations.is_empty());
        assert!(!answer.related.is_empty(), "related reading is listed");
        assert!(answer.answer.starts_with("The articles do not say"));
    }
}

#[test]
fn on_topic_question_the_articles_do_not_answer_abstains() {
    for question in [
        "What did Putin eat for breakfast?",
        "How old is Vladimir Putin?",
        "What is the population of Ukraine?",
    ] {
        let answer = ask(question);
        assert!(answer.abstained, "{question}: answered {}", answer.answer);
    }
}

#[test]
fn empty_question_is_an_error_not_an_answer() {
    let result = common::engine().ask(common::seed_index(), "   ", &AskOptions::default());
    assert!(matches!(result, Err(footnote::Error::EmptyQuestion)));
}

#[test]
fn unknown_document_filter_is_an_error() {
    let options = AskOptions {
        documents: Some(vec!["no-such-doc".into()]),
        ..AskOptions::default()
    };
    let result = common::engine().ask(common::seed_index(), "Who requested the call?", &options);
    assert!(result.is_err());
}

#[test]
fn document_filter_limits_citations_to_those_documents() {
    let options = AskOptions {
        documents: Some(vec!["004_c4fa9f1a35a7d1c8".into()]),
        ..AskOptions::default()
    };
    let answer = common::engine()
        .ask(
            common::seed_index(),
            "How many troops has Russia built up?",
            &options,
        )
        .unwrap();
    for s in &answer.sentences {
        assert_eq!(s.citations[0].doc, "004_c4fa9f1a35a7d1c8");
    }
}

/// Every answer sentence is verbatim in a paragraph it cites, every citation exists, and the
/// `answer` text is exactly the sentences followed by their citations.
fn assert_answer_grounded(answer: &footnote::answer::Answer) {
    let docs = &common::seed_index().documents;
    for s in &answer.sentences {
        assert_eq!(
            check_grounded(&s.text, &s.citations, docs),
            Ok(()),
            "{:?}",
            s
        );
    }
    for p in answer.citations.iter().chain(&answer.related) {
        let doc = docs
            .iter()
            .find(|d| d.id == p.doc)
            .expect("cited document exists");
        let paragraph = doc.paragraph(p.paragraph).expect("cited paragraph exists");
        assert_eq!(paragraph.text, p.text);
        assert!(
            paragraph.is_content,
            "non-content blocks are never evidence"
        );
    }
    assert!(answer.sentences.len() <= answer::MAX_ANSWER_SENTENCES);
    assert_eq!(answer.abstained, answer.sentences.is_empty());
    for s in &answer.sentences {
        assert!(answer
            .answer
            .contains(&format!("{} {}", s.text, s.citations[0])));
    }
}

#[test]
fn answers_to_many_questions_are_grounded() {
    // Questions written about the seeds, plus one question made from every content sentence.
    let mut questions: Vec<String> = [
        "Who requested the call?",
        "How long did the call last?",
        "Where was Biden during the call?",
        "What did Putin say about sanctions?",
        "What paths did Biden lay out?",
        "What did the US spy plane do?",
        "Who is Thomas Graham?",
        "What will happen in Geneva?",
        "Is the US planning to deploy weapons in Ukraine?",
        "What is the weather in Paris?",
    ]
    .iter()
    .map(|q| q.to_string())
    .collect();
    let index = common::seed_index();
    for i in (0..index.sentences.len()).step_by(3) {
        let words: Vec<&str> = index.sentence_text(i).split_whitespace().take(7).collect();
        questions.push(format!("What about {}?", words.join(" ")));
    }
    for question in &questions {
        assert_answer_grounded(&ask(question));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_question_gets_a_grounded_answer_or_abstains(question in "[A-Za-z0-9 ,.?'-]{1,80}") {
        match common::engine().ask(common::seed_index(), &question, &AskOptions::default()) {
            Ok(answer) => assert_answer_grounded(&answer),
            Err(footnote::Error::EmptyQuestion) => prop_assert!(question.trim().is_empty()),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}

#[test]
fn summaries_are_grounded_non_redundant_and_sized() {
    let index = common::seed_index();
    let docs = &index.documents;
    let mut groups: Vec<Vec<usize>> = vec![Vec::new()];
    groups.extend((0..docs.len()).map(|d| vec![d]));
    for group in &groups {
        for length in [
            Length::Sentences(1),
            Length::Sentences(3),
            Length::Sentences(6),
            Length::Words(60),
        ] {
            let summary = summarize::summarize(index, group, length).unwrap();
            assert!(!summary.sentences.is_empty());
            if let Length::Sentences(n) = length {
                assert!(summary.sentences.len() <= n);
            }
            for s in &summary.sentences {
                assert_eq!(check_grounded(&s.text, &s.citations, docs), Ok(()), "{s:?}");
                for c in &s.corroborated_by {
                    let doc = docs
                        .iter()
                        .find(|d| d.id == c.doc)
                        .expect("document exists");
                    assert!(doc.paragraph(c.paragraph).is_some_and(|p| p.is_content));
                    assert!(
                        !s.citations.contains(c),
                        "a paragraph does not corroborate itself"
                    );
                }
                if !group.is_empty() {
                    assert_eq!(s.citations[0].doc, docs[group[0]].id);
                }
            }
            let mut texts: Vec<&str> = summary.sentences.iter().map(|s| s.text.as_str()).collect();
            texts.dedup();
            assert_eq!(texts.len(), summary.sentences.len(), "no sentence twice");
        }
    }
}

#[test]
fn multi_document_summary_states_the_shared_fact_once_with_corroboration() {
    let index = common::seed_index();
    let summary = summarize::summarize(index, &[], Length::Sentences(6)).unwrap();
    // Four of five seeds report the 100,000 troops: at most one summary sentence should say it.
    let troop_sentences = summary
        .sentences
        .iter()
        .filter(|s| s.text.contains("100,000"))
        .count();
    assert!(troop_sentences <= 1, "{:#?}", summary.sentences);
    assert!(
        summary
            .sentences
            .iter()
            .any(|s| !s.corroborated_by.is_empty()),
        "facts reported by several seeds list their corroborating paragraphs"
    );
}

#[test]
fn second_index_of_the_same_corpus_reuses_cached_embeddings() {
    // An engine of its own, on an empty cache: the shared engine's forward passes also count
    // other tests' questions.
    let cache_dir = tempfile::tempdir().unwrap();
    let engine = Engine::load(&EngineSettings {
        cache_dir: Some(cache_dir.path().to_path_buf()),
        ..common::settings()
    })
    .expect("model loads");
    let first = engine.index(common::seed_documents()).unwrap();
    let embedded = engine.embedder.forward_passes();
    assert!(embedded > 0, "uncached documents were not embedded");
    let cache = cache_dir.path().join(engine.embedder.fingerprint());
    for doc in common::seed_documents() {
        assert!(cache.join(EmbeddingCache::file_name(&doc)).is_file());
    }
    let again = engine.index(common::seed_documents()).unwrap();
    assert_eq!(
        engine.embedder.forward_passes(),
        embedded,
        "indexing cached documents ran the model"
    );
    assert_eq!(again.sentences.len(), first.sentences.len());
}

#[test]
fn the_batch_token_budget_bounds_each_forward_pass() {
    // `serve --max-batch-tokens` sets this budget: a pass never takes more padded tokens than it
    // allows (one text always goes, however long).
    let mut engine = Engine::load(&EngineSettings {
        cache_dir: None,
        ..common::settings()
    })
    .expect("model loads");
    let texts = [
        "The call lasted fifty minutes, officials said on Thursday.",
        "Both leaders agreed to talk again before the talks in Geneva.",
        "Russia has massed troops near the border with Ukraine.",
        "The White House described the call as serious and substantive.",
    ];
    let widest = engine
        .embedder
        .tokenize(&texts)
        .unwrap()
        .iter()
        .map(Vec::len)
        .max()
        .unwrap();
    let before = engine.embedder.forward_passes();
    let together = engine.embedder.embed(&texts).unwrap();
    assert_eq!(
        engine.embedder.forward_passes() - before,
        1,
        "four short texts share one pass"
    );
    engine.embedder.set_max_batch_tokens(widest);
    let before = engine.embedder.forward_passes();
    let apart = engine.embedder.embed(&texts).unwrap();
    assert_eq!(
        engine.embedder.forward_passes() - before,
        texts.len(),
        "one text per pass"
    );
    for (a, b) in together.iter().zip(&apart) {
        assert!(footnote::vector::cosine(a, b) > 0.99999);
    }
}

/// A fact of the seeds a cross-document summary should carry, with the phrases (any of them,
/// lower-case) that show a sentence states it. Written by hand for issue 14.
#[derive(serde::Deserialize)]
struct SeedFact {
    fact: String,
    any_of: Vec<String>,
}

/// How many of the hand-written seed facts a 6-sentence summary of the five articles carries.
/// Measured at 3 of 13 when the list was written (session 7): the summary repeats "Biden and
/// Putin spoke" and "50 minutes" instead. Issue 14 is to raise it; this floor keeps it from
/// falling meanwhile.
#[test]
fn seed_summary_carries_the_hand_listed_facts() {
    let facts: Vec<SeedFact> =
        std::fs::read_to_string(common::repo_path("tests/data/seed_facts.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let index = common::seed_index();
    let summary = summarize::summarize(index, &[], Length::Sentences(6)).unwrap();
    let text = summary
        .sentences
        .iter()
        .map(|s| s.text.to_lowercase())
        .collect::<Vec<_>>()
        .join("\n");
    let carried: Vec<&str> = facts
        .iter()
        .filter(|f| f.any_of.iter().any(|p| text.contains(p.as_str())))
        .map(|f| f.fact.as_str())
        .collect();
    println!(
        "{} of {} seed facts carried: {carried:#?}",
        carried.len(),
        facts.len()
    );
    assert!(carried.len() >= 4, "{carried:#?}");
}

/// An index over short hand-written reports, one document each.
fn reports(texts: &[&str]) -> footnote::index::Index {
    let documents = texts
        .iter()
        .enumerate()
        .map(|(k, text)| footnote::document::Document::new(format!("r{k}"), None, text).unwrap())
        .collect();
    common::engine().index(documents).unwrap()
}

#[test]
fn seed_summary_states_each_claim_once_and_lists_every_other_report_of_it() {
    let index = common::seed_index();
    let summary = summarize::summarize(index, &[], Length::Sentences(6)).unwrap();
    assert_eq!(summary.sentences.len(), 6);
    let claims = footnote::claims::Claims::new(index);
    let position = |s: &summarize::SummarySentence| {
        (0..index.sentences.len())
            .find(|&i| index.citation(i) == s.citations[0] && index.sentence_text(i) == s.text)
            .unwrap()
    };
    let picked: Vec<usize> = summary.sentences.iter().map(position).collect();
    for (a, &i) in picked.iter().enumerate() {
        for &j in &picked[a + 1..] {
            assert_eq!(
                claims.relation(i, j),
                footnote::claims::Relation::Distinct,
                "{} / {}",
                index.sentence_text(i),
                index.sentence_text(j)
            );
        }
    }
    // The lead fact is in every report; corroboration never names the sentence's own document.
    assert_eq!(summary.sentences[0].corroborated_by.len(), 4);
    for s in &summary.sentences {
        assert!(s.corroborated_by.iter().all(|c| c.doc != s.citations[0].doc
            && index
                .documents
                .iter()
                .any(|d| d.id == c.doc && d.paragraphs.iter().any(|p| p.number == c.paragraph))));
    }
}

#[test]
fn reports_giving_one_figure_different_values_are_shown_as_a_disagreement() {
    let index = reports(&[
        "The talks between the two ministers in Geneva lasted 50 minutes on Monday, officials said.",
        "The talks between the two ministers in Geneva lasted 70 minutes on Monday, officials said.",
    ]);
    let summary = summarize::summarize(&index, &[], Length::Sentences(2)).unwrap();
    assert_eq!(summary.sentences.len(), 1, "{summary:#?}");
    assert_eq!(summary.disagreements.len(), 1, "{summary:#?}");
    let disagreement = &summary.disagreements[0];
    assert!(disagreement.about.contains("minutes"), "{disagreement:?}");
    let docs: Vec<&str> = disagreement
        .statements
        .iter()
        .map(|s| s.citation.doc.as_str())
        .collect();
    assert_eq!(docs.len(), 2);
    assert_ne!(docs[0], docs[1]);
    // Asked, footnote answers with one report and shows the other's figure as a disagreement,
    // not as a second answer sentence.
    let answer = common::engine()
        .ask(
            &index,
            "How long did the talks in Geneva last?",
            &AskOptions::default(),
        )
        .unwrap();
    assert_eq!(answer.sentences.len(), 1, "{answer:#?}");
    assert_eq!(answer.disagreements.len(), 1, "{answer:#?}");
}

#[test]
fn compatible_figures_and_figures_of_other_things_are_no_disagreement() {
    for pair in [
        [
            "The talks between the two ministers in Geneva lasted 50 minutes on Monday, officials said.",
            "The talks between the two ministers in Geneva lasted just under 1 hour on Monday, officials said.",
        ],
        [
            "Russia has massed roughly 100,000 troops near its border with Ukraine, officials said.",
            "Russia could send up to 175,000 troops near its border with Ukraine, officials said.",
        ],
        [
            "Through July, 32 cases of the illness were confirmed across the country this year, health officials said.",
            "Through September, 50 cases of the illness were confirmed across the country this year, health officials said.",
        ],
    ] {
        let index = reports(&pair);
        let summary = summarize::summarize(&index, &[], Length::Sentences(2)).unwrap();
        assert!(summary.disagreements.is_empty(), "{summary:#?}");
    }
}

#[test]
fn a_report_repeating_an_answer_is_listed_as_corroboration() {
    let index = reports(&[
        "The mayor of the city announced on Tuesday that the old bridge will close for repairs in March.",
        "The old bridge will close for repairs in March, the mayor of the city announced on Tuesday.",
        "The city council met on Wednesday to discuss the school budget for next year.",
    ]);
    let answer = common::engine()
        .ask(
            &index,
            "When will the old bridge close for repairs?",
            &AskOptions::default(),
        )
        .unwrap();
    assert!(!answer.abstained, "{answer:#?}");
    assert_eq!(answer.sentences.len(), 1, "{answer:#?}");
    let also: Vec<&str> = answer.sentences[0]
        .corroborated_by
        .iter()
        .map(|c| c.doc.as_str())
        .collect();
    let other = if answer.sentences[0].citations[0].doc == "r0" {
        "r1"
    } else {
        "r0"
    };
    assert_eq!(also, [other], "{answer:#?}");
}
