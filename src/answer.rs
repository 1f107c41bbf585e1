//! Answering a question with verbatim, cited sentences, or abstaining.
//!
//! The answer is made only of corpus sentences, copied verbatim, each followed by the citation
//! of its paragraph. Whether the corpus supports an answer is decided from signals of the best
//! sentence: how close it is in meaning to the question (embedding cosine), how much of the
//! question's content its paragraph contains (content words weighted by rarity, so that a name
//! found all over the corpus counts less than the word that says what is asked), and whether it
//! carries the kind of fact the question asks for (a number for "how many", a time for "when").
//! When the support is weak, footnote says the articles do not answer and lists the closest
//! passages as related reading, never as the answer.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::citation::Citation;
use crate::embed::{cosine, Embedder};
use crate::error::{Error, Result};
use crate::index::{content_terms, Candidate, Index};

/// Most sentences an answer may have.
pub const MAX_ANSWER_SENTENCES: usize = 3;
/// How many candidates are considered as extra answer sentences after the best one.
const SHORTLIST: usize = 8;
/// A sentence this close in meaning to the question supports an answer on its own.
const STRONG_COSINE: f32 = 0.6;
/// Below this cosine a sentence never supports an answer, whatever words it shares.
const WEAK_COSINE: f32 = 0.3;
/// Between the two cosines, the paragraph must hold this IDF-weighted share of the question's
/// content words.
const MIN_COVERAGE: f32 = 0.5;
/// Extra sentences must be nearly as close to the question as the best one.
const EXTRA_SENTENCE_MARGIN: f32 = 0.08;
/// Sentences this similar to one already chosen say the same thing and are left out.
const DUPLICATE_COSINE: f32 = 0.9;
/// Passages listed as related reading when abstaining.
const RELATED_PASSAGES: usize = 3;

#[derive(Debug, Clone)]
pub struct AskOptions {
    /// 1 to [`MAX_ANSWER_SENTENCES`].
    pub max_sentences: usize,
    /// Restrict the search to these document ids.
    pub documents: Option<Vec<String>>,
}

impl Default for AskOptions {
    fn default() -> Self {
        AskOptions {
            max_sentences: MAX_ANSWER_SENTENCES,
            documents: None,
        }
    }
}

/// One sentence of an answer with the paragraph it is copied from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerSentence {
    pub text: String,
    pub citations: Vec<Citation>,
}

/// A whole cited paragraph, with how well it matched the question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitedParagraph {
    pub doc: String,
    pub paragraph: usize,
    pub text: String,
    pub score: f32,
}

/// The result of `footnote ask`; its JSON form is a stable interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub question: String,
    pub abstained: bool,
    /// The answer as text: sentences each followed by `[doc ¶n]`, or the abstention.
    pub answer: String,
    pub sentences: Vec<AnswerSentence>,
    pub citations: Vec<CitedParagraph>,
    /// Closest passages when abstaining; never the answer.
    pub related: Vec<CitedParagraph>,
}

/// Answers `question` from the index.
pub fn ask(
    index: &Index,
    embedder: &Embedder,
    question: &str,
    options: &AskOptions,
) -> Result<Answer> {
    let question = question.trim();
    if question.is_empty() {
        return Err(Error::EmptyQuestion);
    }
    if !(1..=MAX_ANSWER_SENTENCES).contains(&options.max_sentences) {
        return Err(Error::InvalidInput(format!(
            "max_sentences must be between 1 and {MAX_ANSWER_SENTENCES}"
        )));
    }
    let wanted_docs = resolve_documents(index, options.documents.as_deref())?;
    let query_vector = embedder.embed(&[question])?.pop().unwrap_or_default();
    let candidates = index.rank(question, &query_vector, |e| {
        wanted_docs.as_ref().is_none_or(|set| set.contains(&e.doc))
    });
    let (wanted_kind, topic) = FactKind::asked_for(question);
    let question_terms: HashSet<String> = content_terms(&topic).into_iter().collect();

    let supported = |c: &Candidate| {
        wanted_kind.is_none_or(|kind| kind.found_in(index.sentence_text(c.sentence)))
            && supports(index, c, &question_terms)
    };
    let Some(best) = candidates.iter().take(SHORTLIST).find(|c| supported(c)) else {
        return Ok(abstain(index, question, &candidates));
    };

    let mut chosen: Vec<&Candidate> = vec![best];
    for c in candidates.iter().take(SHORTLIST) {
        if chosen.len() >= options.max_sentences {
            break;
        }
        let close_enough = c.dense >= best.dense - EXTRA_SENTENCE_MARGIN;
        let repeats = chosen.iter().any(|k| {
            k.sentence == c.sentence
                || cosine(
                    index.sentence_vector(k.sentence),
                    index.sentence_vector(c.sentence),
                ) >= DUPLICATE_COSINE
        });
        if close_enough && !repeats && supported(c) {
            chosen.push(c);
        }
    }

    let sentences: Vec<AnswerSentence> = chosen
        .iter()
        .map(|c| AnswerSentence {
            text: index.sentence_text(c.sentence).to_string(),
            citations: vec![index.citation(c.sentence)],
        })
        .collect();
    let answer = sentences
        .iter()
        .map(|s| format!("{} {}", s.text, s.citations[0]))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Answer {
        question: question.to_string(),
        abstained: false,
        answer,
        sentences,
        citations: cited_paragraphs(index, chosen.iter().copied()),
        related: Vec::new(),
    })
}

/// Whether a candidate sentence is strong enough evidence to answer from.
fn supports(index: &Index, c: &Candidate, question_terms: &HashSet<String>) -> bool {
    if c.dense >= STRONG_COSINE {
        return true;
    }
    if c.dense < WEAK_COSINE || question_terms.is_empty() {
        return false;
    }
    let paragraph_terms: HashSet<String> =
        content_terms(&index.sentence_paragraph(c.sentence).text)
            .into_iter()
            .collect();
    let weight =
        |terms: &mut dyn Iterator<Item = &String>| terms.map(|t| index.idf(t)).sum::<f32>();
    let covered = weight(&mut question_terms.intersection(&paragraph_terms));
    let total = weight(&mut question_terms.iter());
    total > 0.0 && covered / total >= MIN_COVERAGE
}

/// The kind of fact a question asks for, when its wording says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FactKind {
    /// "how many", "how much", "how old": the answer holds a number.
    Quantity,
    /// "when", "how long", "what year": the answer holds a number or a word of time.
    Time,
}

impl FactKind {
    /// The kind of fact asked for, and the question without the words that ask for it
    /// ("how long did the call last" asks for a time about "the call last").
    fn asked_for(question: &str) -> (Option<FactKind>, String) {
        const FRAMES: [(&str, FactKind); 12] = [
            ("how many", FactKind::Quantity),
            ("how much", FactKind::Quantity),
            ("what percentage", FactKind::Quantity),
            ("what number", FactKind::Quantity),
            ("how long", FactKind::Time),
            ("what year", FactKind::Time),
            ("which year", FactKind::Time),
            ("what date", FactKind::Time),
            ("what time", FactKind::Time),
            ("what day", FactKind::Time),
            ("what month", FactKind::Time),
            ("when", FactKind::Time),
        ];
        // "how old", "how far" and the like ask for a number too, but their adjective is part of
        // what the answer must say ("69 years old", "40 km away"), so it stays in the topic.
        const KEPT_FRAMES: [&str; 5] = ["how old", "how far", "how big", "how large", "how tall"];
        let lower = question.to_lowercase();
        if KEPT_FRAMES.iter().any(|f| lower.contains(f)) {
            return (Some(FactKind::Quantity), question.to_string());
        }
        for (frame, kind) in FRAMES {
            let at_word_start = lower
                .match_indices(frame)
                .find(|(i, _)| *i == 0 || !lower[..*i].ends_with(char::is_alphanumeric));
            if let Some((i, _)) = at_word_start {
                let mut topic = lower.clone();
                topic.replace_range(i..i + frame.len(), " ");
                // "take place" and "happen" only restate that a time is asked for.
                let topic = topic.replace("take place", " ").replace("happen", " ");
                return (Some(kind), topic);
            }
        }
        (None, question.to_string())
    }

    fn found_in(self, sentence: &str) -> bool {
        const NUMBER_WORDS: [&str; 19] = [
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "dozen",
            "dozens",
            "hundred",
            "hundreds",
            "thousand",
            "thousands",
            "million",
            "billion",
            "trillion",
        ];
        const TIME_WORDS: [&str; 41] = [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
            "jan",
            "feb",
            "mar",
            "apr",
            "jun",
            "jul",
            "aug",
            "sept",
            "oct",
            "nov",
            "dec",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "today",
            "yesterday",
            "tomorrow",
            "week",
            "month",
            "year",
            "hour",
            "minute",
            "decade",
            "century",
            "ago",
        ];
        let words: Vec<String> = sentence
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .collect();
        let has_number = words
            .iter()
            .any(|w| w.chars().any(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(&w.as_str()));
        match self {
            FactKind::Quantity => has_number,
            FactKind::Time => {
                has_number
                    || words.iter().any(|w| {
                        let singular = w.strip_suffix('s').unwrap_or(w);
                        TIME_WORDS.contains(&w.as_str()) || TIME_WORDS.contains(&singular)
                    })
            }
        }
    }
}

fn abstain(index: &Index, question: &str, candidates: &[Candidate]) -> Answer {
    let related: Vec<CitedParagraph> = cited_paragraphs(index, candidates.iter())
        .into_iter()
        .take(RELATED_PASSAGES)
        .collect();
    let answer = if related.is_empty() {
        include_str!("../prompts/abstain-empty.txt")
    } else {
        include_str!("../prompts/abstain.txt")
    }
    .trim()
    .to_string();
    Answer {
        question: question.to_string(),
        abstained: true,
        answer,
        sentences: Vec::new(),
        citations: Vec::new(),
        related,
    }
}

/// The distinct paragraphs of the given candidates, in order, each scored by its best sentence.
fn cited_paragraphs<'a>(
    index: &Index,
    candidates: impl Iterator<Item = &'a Candidate>,
) -> Vec<CitedParagraph> {
    let mut out: Vec<CitedParagraph> = Vec::new();
    for c in candidates {
        let citation = index.citation(c.sentence);
        let score = c.dense.max(c.passage_dense);
        if let Some(existing) = out
            .iter_mut()
            .find(|p| p.doc == citation.doc && p.paragraph == citation.paragraph)
        {
            existing.score = existing.score.max(score);
            continue;
        }
        out.push(CitedParagraph {
            doc: citation.doc,
            paragraph: citation.paragraph,
            text: index.sentence_paragraph(c.sentence).text.clone(),
            score,
        });
    }
    out
}

/// Maps requested document ids to indices; unknown ids are an error naming them.
fn resolve_documents(index: &Index, ids: Option<&[String]>) -> Result<Option<HashSet<usize>>> {
    let Some(ids) = ids else { return Ok(None) };
    let mut set = HashSet::new();
    for id in ids {
        let position = index
            .documents
            .iter()
            .position(|d| &d.id == id)
            .ok_or_else(|| Error::InvalidInput(format!("unknown document id `{id}`")))?;
        set.insert(position);
    }
    Ok(Some(set))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_wording_names_the_fact_kind() {
        let kind = |q| FactKind::asked_for(q).0;
        assert_eq!(kind("How many troops are there?"), Some(FactKind::Quantity));
        assert_eq!(
            kind("When will the talks take place?"),
            Some(FactKind::Time)
        );
        assert_eq!(kind("How long did the call last?"), Some(FactKind::Time));
        assert_eq!(kind("Who requested the call?"), None);
        assert_eq!(kind("Whenever it rains, who gets wet?"), None);
        assert_eq!(
            FactKind::asked_for("How long did the call last?").1.trim(),
            "did the call last?"
        );
    }

    #[test]
    fn fact_kinds_are_found_in_numbers_and_time_words() {
        assert!(FactKind::Quantity.found_in("About 100,000 soldiers remain."));
        assert!(FactKind::Quantity.found_in("Three officials spoke."));
        assert!(!FactKind::Quantity.found_in("Officials spoke at length."));
        assert!(FactKind::Time.found_in("The call lasted just under an hour."));
        assert!(FactKind::Time.found_in("Talks are scheduled for Jan. 10."));
        assert!(!FactKind::Time.found_in("Biden handled the call from his home."));
    }
}
