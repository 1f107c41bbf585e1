//! Extractive, grounded summaries of one or many documents.
//!
//! Sentences are scored by centrality (closeness to the centroid of all candidate sentences, and
//! how often the documents repeat the sentence's content words: what the documents are mostly
//! about), by position (news puts the main facts first), by concision (a long sentence spends
//! most of its words on secondary detail) and by whether it stands on its own (one that opens
//! with "He" or "This", or is cut from a longer quotation, leans on a sentence the summary may not
//! carry). Sentences are grouped into claims ([`crate::claims`]): the claims most documents state
//! are picked first, among equals by maximal marginal relevance, and never two sentences of one
//! claim, so that five reports of one fact become one sentence. Each picked sentence is copied
//! verbatim with its citation, lists the paragraphs of the other documents that state its claim,
//! and the summary, in reading order, lists where documents give one of its figures different
//! values.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::citation::Citation;
use crate::claims::{terms_overlap, Claims, Disagreement, Relation, REPEATED_WORDS};
use crate::document::Paragraph;
use crate::error::{Error, Result};
use crate::index::Index;
use crate::lexicon::ANAPHORIC_OPENERS;
use crate::vector::cosine;
use crate::written::{Dropped, GenerationInfo, Mode};

/// Weight of relevance against novelty in maximal marginal relevance.
const MMR_LAMBDA: f32 = 0.6;
/// A sentence this similar to a picked one states the same fact: never picked too.
const SAME_FACT_COSINE: f32 = 0.7;
/// Candidates, best first by relevance, that may be picked.
const SHORTLIST: usize = 300;
/// Share of a sentence's score that comes from its position in the article.
const POSITION_WEIGHT: f32 = 0.35;
/// Shorter sentences are rarely informative summary sentences (datelines, fragments).
const MIN_WORDS: usize = 6;
/// Share of centrality that comes from content-word frequency rather than the embedding
/// centroid. The words an article keeps repeating name its topic (SumBasic); the centroid alone
/// also rewards sentences that are merely generic, such as a quotation about "the families".
const WORD_FREQUENCY_WEIGHT: f32 = 0.4;
/// Sentences longer than this many words have their score scaled down: past this
/// length a news sentence is mostly subordinate detail, and a summary of three of them would
/// be several times the length of a reader's summary.
const CONCISE_WORDS: f32 = 30.0;
/// Score multiplier for a sentence that does not stand on its own: one that opens with a pronoun
/// (out of its article, "He" or "This" has nothing to refer to) or is one piece of a quotation of
/// several sentences (it starts mid-quote, or its quote closes, with the speaker's name, in a later
/// sentence). Such a sentence is picked only when clearly better than the rest.
const NOT_STANDALONE_FACTOR: f32 = 0.8;

/// How long a summary should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    Sentences(usize),
    Words(usize),
}

impl Length {
    /// Sentences in a summary when no length is given.
    pub const DEFAULT_SENTENCES: usize = 5;

    /// The length a caller asked for with a sentence count or a word budget (the CLI's flags, the
    /// HTTP API's fields): five sentences when neither is given; both, or a length of 0, refused.
    pub fn from_options(sentences: Option<usize>, words: Option<usize>) -> Result<Length> {
        let length = match (sentences, words) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidInput(
                    "give `sentences` or `words`, not both".into(),
                ))
            }
            (None, Some(words)) => Length::Words(words),
            (Some(sentences), None) => Length::Sentences(sentences),
            (None, None) => Length::Sentences(Self::DEFAULT_SENTENCES),
        };
        length.check()?;
        Ok(length)
    }

    /// Whether a sentence of `words` words may follow `picked` sentences of `total` words: the
    /// first always; after it, at most the sentence count, and never past a word budget (a
    /// sentence that would pass it is skipped, and a shorter one may still fit).
    pub fn fits(self, picked: usize, total: usize, words: usize) -> bool {
        match self {
            Length::Sentences(n) => picked < n,
            Length::Words(limit) => picked == 0 || total + words <= limit,
        }
    }

    /// Refuses a length of 0, which would give an empty summary.
    fn check(self) -> Result<()> {
        match self {
            Length::Sentences(0) | Length::Words(0) => Err(Error::InvalidInput(
                "the summary length must be at least 1".into(),
            )),
            _ => Ok(()),
        }
    }
}

/// One summary sentence: verbatim, cited, with the paragraphs of other documents that state its
/// claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SummarySentence {
    pub text: String,
    pub citations: Vec<Citation>,
    pub corroborated_by: Vec<Citation>,
    /// True for every sentence shown as checked: copies (extractive) are verbatim, written
    /// sentences passed the verifier. False only for written sentences shown on request
    /// (`--show-unverified`).
    #[serde(default = "crate::written::verified_by_default")]
    pub verified: bool,
}

/// The result of `footnote summarize`; its JSON form is a stable interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Summary {
    pub documents: Vec<String>,
    pub sentences: Vec<SummarySentence>,
    /// Where the documents give different values for a figure a summary sentence states.
    pub disagreements: Vec<Disagreement>,
    /// `extractive` (copied sentences) or `generated` (written by the local model, checked).
    #[serde(default)]
    pub mode: Mode,
    /// Written sentences the verifier did not accept (empty unless the model wrote).
    #[serde(default)]
    pub dropped: Vec<Dropped>,
    /// The writing model's figures, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<GenerationInfo>,
}

/// Summarizes the documents at the given positions of the index (all when `documents` is empty).
pub fn summarize(index: &Index, documents: &[usize], length: Length) -> Result<Summary> {
    length.check()?;
    let wanted: HashSet<usize> = if documents.is_empty() {
        (0..index.documents.len()).collect()
    } else {
        documents.iter().copied().collect()
    };
    let mut doc_ids: Vec<usize> = wanted.iter().copied().collect();
    doc_ids.sort();

    let pool: Vec<usize> = (0..index.sentences.len())
        .filter(|&i| wanted.contains(&index.sentences[i].doc))
        .collect();
    let candidates: Vec<usize> = pool
        .iter()
        .copied()
        .filter(|&i| index.sentence_text(i).split_whitespace().count() >= MIN_WORDS)
        .collect();
    let relevance = relevance_scores(index, &pool, &candidates);
    let claims = Claims::new(index);
    let picked = pick(index, &claims, &pool, &candidates, &relevance, length);

    let mut ordered = picked;
    ordered.sort_by(|&a, &b| reading_position(index, a).total_cmp(&reading_position(index, b)));
    let sentences = ordered
        .iter()
        .map(|&i| SummarySentence {
            text: index.sentence_text(i).to_string(),
            citations: vec![index.citation(i)],
            corroborated_by: claims.paragraphs(&claims.corroborating(i, &pool)),
            verified: true,
        })
        .collect();
    let disagreements = ordered
        .iter()
        .flat_map(|&i| claims.disagreements(i, &pool))
        .collect();
    Ok(Summary {
        documents: doc_ids
            .iter()
            .map(|&d| index.documents[d].id.clone())
            .collect(),
        sentences,
        disagreements,
        mode: Mode::Extractive,
        dropped: Vec::new(),
        generation: None,
    })
}

/// Centrality plus a position prior, per candidate. `pool` is every content sentence of the
/// summarized documents, in index order.
fn relevance_scores(index: &Index, pool: &[usize], candidates: &[usize]) -> Vec<f32> {
    // The index lists each document's content sentences in order, so a sentence's position in
    // its article is its distance from the document's first sentence.
    let mut first_sentence: HashMap<usize, usize> = HashMap::new();
    for &i in pool {
        first_sentence.entry(index.sentences[i].doc).or_insert(i);
    }
    let dim = candidates
        .first()
        .map_or(0, |&i| index.sentence_vector(i).len());
    let mut centroid = vec![0.0f32; dim];
    for &i in candidates {
        for (c, v) in centroid.iter_mut().zip(index.sentence_vector(i)) {
            *c += v;
        }
    }
    let norm = centroid
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(1e-12);
    centroid.iter_mut().for_each(|x| *x /= norm);
    let pool_terms: Vec<&[String]> = pool.iter().map(|&i| index.sentence_terms(i)).collect();
    let candidate_terms: Vec<&[String]> = candidates
        .iter()
        .map(|&i| index.sentence_terms(i))
        .collect();
    let frequency = word_frequency_scores(&pool_terms, &candidate_terms);
    // Quotation pieces, found once per document: doc -> paragraph -> flag per sentence.
    let mut pieces: HashMap<usize, Vec<Vec<bool>>> = HashMap::new();
    candidates
        .iter()
        .zip(frequency)
        .map(|(&i, frequency)| {
            let centrality = (1.0 - WORD_FREQUENCY_WEIGHT)
                * cosine(&centroid, index.sentence_vector(i))
                + WORD_FREQUENCY_WEIGHT * frequency;
            let position = i - first_sentence[&index.sentences[i].doc];
            // 1 for the article's first sentence, decaying with depth into the article.
            let position_prior = 1.0 / (1.0 + position as f32).sqrt();
            let text = index.sentence_text(i);
            let words = text.split_whitespace().count();
            let e = index.sentences[i];
            let quotation_piece = pieces
                .entry(e.doc)
                .or_insert_with(|| quotation_pieces(&index.documents[e.doc].paragraphs))
                .get(e.paragraph)
                .and_then(|flags| flags.get(e.sentence))
                .copied()
                .unwrap_or(false);
            let standalone = if opens_with_pronoun(text) || quotation_piece {
                NOT_STANDALONE_FACTOR
            } else {
                1.0
            };
            ((1.0 - POSITION_WEIGHT) * centrality + POSITION_WEIGHT * position_prior)
                * concision(words)
                * standalone
        })
        .collect()
}

/// Per candidate, the mean number of times the pool's sentences use each of the candidate's
/// content words, scaled so that the best candidate scores 1 (0 for no content words).
fn word_frequency_scores(pool: &[&[String]], candidates: &[&[String]]) -> Vec<f32> {
    let mut counts: HashMap<&str, f32> = HashMap::new();
    for terms in pool {
        for term in terms.iter() {
            *counts.entry(term.as_str()).or_default() += 1.0;
        }
    }
    let means: Vec<f32> = candidates
        .iter()
        .map(|terms| {
            if terms.is_empty() {
                return 0.0;
            }
            let total: f32 = terms
                .iter()
                .map(|t| counts.get(t.as_str()).copied().unwrap_or(0.0))
                .sum();
            total / terms.len() as f32
        })
        .collect();
    let best = means.iter().copied().fold(0.0f32, f32::max);
    if best <= 0.0 {
        return means;
    }
    means.into_iter().map(|m| m / best).collect()
}

/// Score multiplier for a sentence of `words` words: 1 up to [`CONCISE_WORDS`], then falling with
/// the inverse square root of the length.
fn concision(words: usize) -> f32 {
    // The square root keeps a long, central lead sentence ahead of a short aside.
    (CONCISE_WORDS / words.max(1) as f32).min(1.0).sqrt()
}

/// Whether the sentence's first word (after any opening quote or bracket) is one of
/// [`ANAPHORIC_OPENERS`]: "He said", "“This is", "It's"; not "Heathrow" or "Thousands".
fn opens_with_pronoun(text: &str) -> bool {
    let first = text
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    ANAPHORIC_OPENERS.contains(&first)
}

/// For each sentence of each paragraph, whether it is a piece of a quotation that spans several
/// sentences: it starts inside the quotation, or opens it and ends before it closes. A quotation
/// is a pair of curly double quotes or of straight ones. News style runs a quotation on into the
/// next paragraph by leaving it open at the end of one and opening the next with a quote mark:
/// that mark continues the quotation rather than closing it. A quote left open that the next
/// paragraph does not continue pairs with nothing.
fn quotation_pieces(paragraphs: &[Paragraph]) -> Vec<Vec<bool>> {
    // Positions are (paragraph, byte offset), ordered as they are read.
    type Position = (usize, usize);
    let mut spans: Vec<(Position, Position)> = Vec::new();
    let mut open: Option<Position> = None;
    for (p, paragraph) in paragraphs.iter().enumerate() {
        let mut chars = paragraph.text.char_indices().peekable();
        match chars.peek() {
            Some((_, '“' | '"')) if open.is_some() => {
                chars.next();
            }
            _ => open = None,
        }
        for (at, c) in chars {
            match c {
                '“' => open = Some((p, at)),
                '”' => {
                    if let Some(start) = open.take() {
                        spans.push((start, (p, at)));
                    }
                }
                '"' => match open.take() {
                    Some(start) => spans.push((start, (p, at))),
                    None => open = Some((p, at)),
                },
                _ => {}
            }
        }
    }
    // Sentences and spans are both in order, so one pass over each finds every overlap.
    let mut span = 0;
    paragraphs
        .iter()
        .enumerate()
        .map(|(p, paragraph)| {
            let mut cursor = 0;
            paragraph
                .sentences
                .iter()
                .map(|sentence| {
                    let Some(offset) = paragraph.text[cursor..].find(sentence.as_str()) else {
                        return false;
                    };
                    let (start, end) =
                        ((p, cursor + offset), (p, cursor + offset + sentence.len()));
                    cursor = end.1;
                    while spans.get(span).is_some_and(|&(_, close)| close < start) {
                        span += 1;
                    }
                    spans[span..]
                        .iter()
                        .take_while(|&&(open, _)| open < end)
                        .any(|&(open, close)| {
                            (open < start && start < close) || (start <= open && end <= close)
                        })
                })
                .collect()
        })
        .collect()
}

/// Where a sentence sits in its article, from 0 (start) to 1 (end), for reading order.
fn reading_position(index: &Index, i: usize) -> f32 {
    let e = index.sentences[i];
    let paragraphs = index.documents[e.doc].paragraphs.len().max(1);
    (e.paragraph as f32 + e.sentence as f32 * 0.01) / paragraphs as f32 + e.doc as f32 * 1e-6
}

/// Picks sentences for the summary: the claims most documents state first, among equals the
/// best by maximal marginal relevance, never a sentence that states a claim of one already
/// picked, is close to one in meaning or repeats most of its words, until the length is reached.
fn pick(
    index: &Index,
    claims: &Claims,
    pool: &[usize],
    candidates: &[usize],
    relevance: &[f32],
    length: Length,
) -> Vec<usize> {
    // Support is counted for the most relevant candidates only: it compares a candidate with
    // every sentence of the pool, and a summary is never picked from deep in the ranking.
    let mut available: Vec<usize> = (0..candidates.len()).collect();
    available.sort_by(|&a, &b| relevance[b].total_cmp(&relevance[a]));
    available.truncate(SHORTLIST);
    let mut support = vec![0; candidates.len()];
    for &k in &available {
        support[k] = claims.support(candidates[k], pool);
    }
    let mut picked: Vec<usize> = Vec::new();
    let mut words = 0usize;
    loop {
        if let Length::Sentences(n) = length {
            if picked.len() >= n {
                break;
            }
        }
        let best = available
            .iter()
            .copied()
            .filter_map(|k| {
                let i = candidates[k];
                let mut redundancy = 0.0f32;
                for &p in &picked {
                    let similarity = cosine(index.sentence_vector(p), index.sentence_vector(i));
                    let repeats = similarity >= SAME_FACT_COSINE
                        || claims.relation(p, i) != Relation::Distinct
                        || terms_overlap(index.sentence_terms(p), index.sentence_terms(i))
                            >= REPEATED_WORDS;
                    if repeats {
                        return None;
                    }
                    redundancy = redundancy.max(similarity);
                }
                let score = MMR_LAMBDA * relevance[k] - (1.0 - MMR_LAMBDA) * redundancy;
                Some((k, support[k], score))
            })
            .max_by(|a, b| a.1.cmp(&b.1).then(a.2.total_cmp(&b.2)));
        let Some((k, _, _)) = best else { break };
        available.retain(|&a| a != k);
        let sentence_words = index
            .sentence_text(candidates[k])
            .split_whitespace()
            .count();
        if !length.fits(picked.len(), words, sentence_words) {
            continue;
        }
        words += sentence_words;
        picked.push(candidates[k]);
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn word_frequency_favours_sentences_about_repeated_words() {
        let a = terms(&["mine", "rescu", "famili"]);
        let b = terms(&["mine", "collaps"]);
        let c = terms(&["weather", "sunni"]);
        let pool: Vec<&[String]> = vec![&a, &b, &c];
        let scores = word_frequency_scores(&pool, &pool);
        assert_eq!(scores.len(), 3);
        assert!((scores[1] - 1.0).abs() < 1e-6, "{scores:?}");
        assert!(scores[0] > scores[2], "{scores:?}");
    }

    #[test]
    fn word_frequency_of_a_sentence_without_content_words_is_zero() {
        let a = terms(&["mine"]);
        let empty: Vec<String> = Vec::new();
        let pool: Vec<&[String]> = vec![&a, &empty];
        assert_eq!(word_frequency_scores(&pool, &pool), vec![1.0, 0.0]);
        assert_eq!(word_frequency_scores(&[], &[&empty]), vec![0.0]);
    }

    #[test]
    fn pronoun_openings_are_recognised_but_not_words_that_merely_start_alike() {
        for text in [
            "He said the talks would resume.",
            "“This is not over,” she said.",
            "It's unclear when the vote will be held.",
            "(They declined to comment.)",
        ] {
            assert!(opens_with_pronoun(text), "{text}");
        }
        for text in [
            "Heathrow reopened on Monday.",
            "Thousands marched in the capital.",
            "The minister said he would resign.",
            "",
        ] {
            assert!(!opens_with_pronoun(text), "{text}");
        }
    }

    fn paragraph(number: usize, text: &str) -> Paragraph {
        Paragraph {
            number,
            text: text.to_string(),
            is_content: true,
            sentences: crate::segment::sentences(text)
                .into_iter()
                .map(str::to_string)
                .collect(),
        }
    }

    fn pieces_of(text: &str) -> Vec<bool> {
        quotation_pieces(&[paragraph(1, text)]).remove(0)
    }

    #[test]
    fn sentences_cut_from_a_longer_quotation_are_pieces() {
        let paragraph =
            "\"I ran. I fell,\" he said. Then he left. “Go now,” she said. “Wait. Stop.”";
        assert_eq!(
            pieces_of(paragraph),
            vec![true, true, false, false, true, true]
        );
    }

    #[test]
    fn a_whole_quotation_or_an_unclosed_one_is_not_a_piece() {
        assert_eq!(pieces_of("“It ended,” she said."), vec![false]);
        assert_eq!(
            pieces_of("\"The talks failed. Nobody came. It is over."),
            vec![false, false, false]
        );
        assert!(quotation_pieces(&[]).is_empty());
    }

    #[test]
    fn a_quotation_continued_in_the_next_paragraph_is_in_pieces() {
        // The first paragraph leaves the quote open; the next reopens it, which continues it.
        let paragraphs = [
            paragraph(1, "\"We are delighted with the result."),
            paragraph(
                2,
                "\"It shows the hard work,\" said the coach. The season ends soon.",
            ),
            paragraph(3, "\"Nobody listened."),
            paragraph(4, "The club did not comment."),
        ];
        assert_eq!(
            quotation_pieces(&paragraphs),
            vec![vec![true], vec![true, false], vec![false], vec![false]]
        );
    }

    #[test]
    fn concision_scales_down_only_long_sentences() {
        assert_eq!(concision(0), 1.0);
        assert_eq!(concision(12), 1.0);
        assert_eq!(concision(30), 1.0);
        assert!((concision(120) - 0.5).abs() < 1e-6);
        assert!(concision(45) > concision(90));
    }

    #[test]
    fn summary_length_defaults_to_five_sentences_and_refuses_zero_and_both() {
        assert_eq!(
            Length::from_options(None, None).unwrap(),
            Length::Sentences(5)
        );
        assert_eq!(
            Length::from_options(Some(2), None).unwrap(),
            Length::Sentences(2)
        );
        assert_eq!(
            Length::from_options(None, Some(60)).unwrap(),
            Length::Words(60)
        );
        for (sentences, words, message) in [
            (Some(0), None, "the summary length must be at least 1"),
            (None, Some(0), "the summary length must be at least 1"),
            (Some(3), Some(60), "give `sentences` or `words`, not both"),
        ] {
            let err = Length::from_options(sentences, words).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
            assert_eq!(err.to_string(), message);
        }
    }
}
