//! Answering a question with verbatim, cited sentences, or abstaining.
//!
//! The answer is made only of corpus sentences, copied verbatim, each followed by the citation
//! of its paragraph. Whether the corpus supports an answer is decided from signals of the best
//! sentence: how close it is in meaning to the question (embedding cosine), how much of the
//! question's content its paragraph contains (content words weighted by rarity, so that a name
//! found all over the corpus counts less than the word that says what is asked), whether it
//! carries the kind of fact the question asks for (a number for "how many", a time for "when"),
//! and whether it says something other than what is asked: a name or number the document never
//! states, a negation, an antonym of a question word, a different number. When the support is
//! weak, footnote says the articles do not answer and lists the closest passages as related
//! reading, never as the answer.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::citation::Citation;
use crate::embed::Embedder;
use crate::error::{Error, Result};
use crate::index::{Candidate, Index};
use crate::text::{content_terms, raw_words, words};
use crate::vector::cosine;

/// Most sentences an answer may have.
pub const MAX_ANSWER_SENTENCES: usize = 3;
/// How many candidates are considered as extra answer sentences after the best one.
const SHORTLIST: usize = 8;
/// Two logistic models over [`Evidence`] features (in field order), fitted by
/// `scripts/fit_support_model.py` on four SQuAD 2.0 articles (see EVAL.md for the data and the
/// held-out results): the ranking model picks the sentence that holds the answer, the
/// answerability model decides whether the best sentence answers at all. Each weight's sign is
/// fixed by what its signal means and the answerability model's paragraph-coverage weight is a
/// prior (2.0), not a fit; the script says why. The weights say how much each signal counts in
/// general, not facts about any one article.
const SUPPORT_FEATURES: usize = 9;
const RANKING_WEIGHTS: [f32; SUPPORT_FEATURES] = [
    2.159, 0.793, 2.651, 0.141, -0.889, 0.239, -2.307, -0.534, -1.244,
];
const RANKING_BIAS: f32 = -4.415;
const SUPPORT_WEIGHTS: [f32; SUPPORT_FEATURES] = [
    1.148, 2.233, 0.000, 2.000, -1.086, 0.000, -4.310, -2.486, -2.679,
];
const SUPPORT_BIAS: f32 = -2.496;
/// Answer only when the best sentence's confidence reaches this.
const MIN_CONFIDENCE: f32 = 0.5;
/// Extra sentences must be nearly as likely to hold the answer as the best one.
const EXTRA_SENTENCE_MARGIN: f32 = 0.15;
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerSentence {
    pub text: String,
    pub citations: Vec<Citation>,
}

/// A whole cited paragraph, with how well it matched the question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CitedParagraph {
    pub doc: String,
    pub paragraph: usize,
    pub text: String,
    pub score: f32,
}

/// The result of `footnote ask`; its JSON form is a stable interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Answer {
    pub question: String,
    pub abstained: bool,
    /// The answer as text: sentences each followed by `[doc ¶n]`, or the abstention.
    pub answer: String,
    /// Estimated probability that the best sentence answers the question (0 to 1); footnote
    /// answers only from 0.5.
    pub confidence: f32,
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
    let question = check_question(question, options)?;
    resolve_documents(index, options.documents.as_deref())?;
    let query_vector = embedder.embed(&[question])?.pop().unwrap_or_default();
    answer_with_vector(index, question, &query_vector, options)
}

/// The question trimmed, if it and the options can be answered at all: checks everything that
/// does not depend on the index, before any work is spent on embedding the question.
pub fn check_question<'q>(question: &'q str, options: &AskOptions) -> Result<&'q str> {
    let question = question.trim();
    if question.is_empty() {
        return Err(Error::EmptyQuestion);
    }
    if !(1..=MAX_ANSWER_SENTENCES).contains(&options.max_sentences) {
        return Err(Error::InvalidInput(format!(
            "max_sentences must be between 1 and {MAX_ANSWER_SENTENCES}"
        )));
    }
    Ok(question)
}

/// Answers `question` from the index, given the question's embedding (for callers that embed
/// questions in batches, such as the HTTP service's model worker).
pub fn answer_with_vector(
    index: &Index,
    question: &str,
    query_vector: &[f32],
    options: &AskOptions,
) -> Result<Answer> {
    let question = check_question(question, options)?;
    let wanted_docs = resolve_documents(index, options.documents.as_deref())?;
    let candidates = index.rank(question, query_vector, |e| {
        wanted_docs.as_ref().is_none_or(|set| set.contains(&e.doc))
    });
    let shortlist = score_shortlist(index, question, &candidates);
    let confidence = shortlist.first().map_or(0.0, |s| s.evidence.confidence());
    let Some(best) = shortlist.first().filter(|_| confidence >= MIN_CONFIDENCE) else {
        return Ok(abstain(index, question, &candidates, confidence));
    };

    let mut chosen: Vec<&Scored> = vec![best];
    for s in &shortlist[1..] {
        if chosen.len() >= options.max_sentences {
            break;
        }
        let close_enough = s.relevance >= best.relevance - EXTRA_SENTENCE_MARGIN;
        let repeats = chosen.iter().any(|k| {
            cosine(
                index.sentence_vector(k.candidate.sentence),
                index.sentence_vector(s.candidate.sentence),
            ) >= DUPLICATE_COSINE
        });
        if close_enough && !repeats {
            chosen.push(s);
        }
    }

    let sentences: Vec<AnswerSentence> = chosen
        .iter()
        .map(|s| AnswerSentence {
            text: index.sentence_text(s.candidate.sentence).to_string(),
            citations: vec![index.citation(s.candidate.sentence)],
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
        confidence,
        sentences,
        citations: cited_paragraphs(index, chosen.iter().map(|s| &s.candidate)),
        related: Vec::new(),
    })
}

/// What speaks for a sentence being the answer: the inputs of the support model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Evidence {
    /// Cosine similarity of question and sentence.
    pub similarity: f32,
    /// Cosine similarity of question and the sentence's paragraph.
    pub paragraph_similarity: f32,
    /// IDF-weighted share of the question's content words found in the sentence.
    pub sentence_coverage: f32,
    /// The same, in the sentence's paragraph.
    pub paragraph_coverage: f32,
    /// 1 when the question names something (a run of capitalised words, or a number) that no
    /// sentence of the sentence's document states as that phrase: it asks about something else
    /// than what the document reports.
    pub missing_name_or_number: f32,
    /// Share of the question's adjacent content-word pairs found adjacent in the sentence.
    pub sentence_bigram_coverage: f32,
    /// When the question is negated ("not", "never") and the sentence is not: the sentence's
    /// coverage of the question, else 0. A question that repeats a sentence's words and adds
    /// "not" asks for what the text does not say; one that shares few of its words may be
    /// answered by it in other words.
    pub negation_mismatch: f32,
    /// 1 when a word of the question is missing from the sentence and the sentence has its
    /// antonym instead ("When did prices increase?" over "Prices decreased in May."), else 0.
    pub antonym_in_sentence: f32,
    /// 1 when a number of the question is missing from the sentence and the sentence states
    /// another written the same way, in digits, in words or as an ordinal ("released on 16
    /// October" over "released on 26 October", "eighth" over "fourth"), else 0.
    pub changed_number: f32,
}

impl Evidence {
    fn features(&self) -> [f32; SUPPORT_FEATURES] {
        [
            self.similarity,
            self.paragraph_similarity,
            self.sentence_coverage,
            self.paragraph_coverage,
            self.missing_name_or_number,
            self.sentence_bigram_coverage,
            self.negation_mismatch,
            self.antonym_in_sentence,
            self.changed_number,
        ]
    }

    /// Probability that this sentence holds the answer, if the question has one (ranking model).
    pub fn relevance(&self) -> f32 {
        logistic(&self.features(), &RANKING_WEIGHTS, RANKING_BIAS)
    }

    /// Probability that the question is answered here at all (answerability model), given that
    /// this is the best sentence.
    pub fn confidence(&self) -> f32 {
        logistic(&self.features(), &SUPPORT_WEIGHTS, SUPPORT_BIAS)
    }
}

fn logistic(x: &[f32; SUPPORT_FEATURES], w: &[f32; SUPPORT_FEATURES], bias: f32) -> f32 {
    let z = bias + x.iter().zip(w).map(|(x, w)| x * w).sum::<f32>();
    1.0 / (1.0 + (-z).exp())
}

/// A shortlisted candidate with its evidence and relevance.
#[derive(Debug, Clone, Copy)]
pub struct Scored {
    pub candidate: Candidate,
    pub evidence: Evidence,
    pub relevance: f32,
}

/// The best candidates by fused rank, scored by the ranking model, most relevant first.
pub fn score_shortlist(index: &Index, question: &str, candidates: &[Candidate]) -> Vec<Scored> {
    let (wanted_kind, topic) = FactKind::asked_for(question);
    let topic_terms = content_terms(&topic);
    // Ordered, so that the coverage sums add in the same order on every run: a HashSet's order
    // changes per process and moved the last bits of the scores, flipping answers at a tie.
    let question_terms: BTreeSet<&String> = topic_terms.iter().collect();
    let question_bigrams: HashSet<(&String, &String)> =
        topic_terms.iter().zip(topic_terms.iter().skip(1)).collect();
    let idf_sum =
        |terms: &mut dyn Iterator<Item = &String>| terms.map(|t| index.idf(t)).sum::<f32>();
    let total = idf_sum(&mut question_terms.iter().copied());
    // IDF-weighted share of the question's terms that `contains` accepts.
    let coverage = |contains: &dyn Fn(&String) -> bool| {
        if total <= 0.0 {
            return 0.0;
        }
        idf_sum(&mut question_terms.iter().copied().filter(|t| contains(t))) / total
    };
    let question_negated = is_negated(question);
    let question_names = names_and_numbers(question);
    let question_numbers = numbers(question);
    let question_forms = word_forms(&topic);
    let question_antonyms = antonyms_of(&question_forms);
    // A sentence without the kind of fact asked for (no number for "how many") cannot answer.
    let mut scored: Vec<Scored> = candidates
        .iter()
        .filter(|c| wanted_kind.is_none_or(|kind| kind.found_in(index.sentence_text(c.sentence))))
        .take(SHORTLIST)
        .map(|c| {
            let sentence = index.sentence_text(c.sentence);
            let sentence_terms = index.sentence_terms(c.sentence);
            let sentence_set: HashSet<&String> = sentence_terms.iter().collect();
            let paragraph_set = index.paragraph_terms(c.sentence);
            let sentence_bigrams: HashSet<(&String, &String)> = sentence_terms
                .iter()
                .zip(sentence_terms.iter().skip(1))
                .collect();
            let document_words = index.document_words(c.sentence);
            let missing_name_or_number = question_names
                .iter()
                .any(|name| !document_words.contains(name.as_str()));
            // Most questions have no word with an antonym: then the sentence needs no reading.
            let antonym_in_sentence = !question_antonyms.is_empty()
                && has_antonym_instead(&question_antonyms, &word_forms(sentence));
            let changed_number = changed_number(&question_numbers, &numbers(sentence));
            let sentence_coverage = coverage(&|t| sentence_set.contains(t));
            let evidence = Evidence {
                similarity: c.dense,
                paragraph_similarity: c.passage_dense,
                sentence_coverage,
                paragraph_coverage: coverage(&|t| paragraph_set.contains(t)),
                missing_name_or_number: f32::from(u8::from(missing_name_or_number)),
                sentence_bigram_coverage: if question_bigrams.is_empty() {
                    0.0
                } else {
                    question_bigrams.intersection(&sentence_bigrams).count() as f32
                        / question_bigrams.len() as f32
                },
                negation_mismatch: if question_negated && !is_negated(sentence) {
                    sentence_coverage
                } else {
                    0.0
                },
                antonym_in_sentence: f32::from(u8::from(antonym_in_sentence)),
                changed_number: f32::from(u8::from(changed_number)),
            };
            Scored {
                candidate: *c,
                evidence,
                relevance: evidence.relevance(),
            }
        })
        .collect();
    scored.sort_by(|a, b| b.relevance.total_cmp(&a.relevance));
    scored
}

/// The names and numbers of a question, each as a phrase to look for in
/// [`Index::document_words`], spaces around: a run of capitalised words other than the first
/// ("Mr. Hinx", "Twilight Princess") is one name, and each word with a digit is a number. In a
/// question written in title case or capitals, where most words are capitalised, each capitalised
/// word is a name of its own.
fn names_and_numbers(question: &str) -> Vec<String> {
    let capitalised: Vec<(&str, bool)> = raw_words(question)
        .enumerate()
        .map(|(i, w)| (w, i > 0 && w.starts_with(char::is_uppercase)))
        .collect();
    let title_case = 2 * capitalised.iter().filter(|(_, c)| *c).count() > capitalised.len();
    let mut phrases = Vec::new();
    let mut name = String::from(" ");
    for (word, is_capitalised) in capitalised {
        if is_capitalised {
            name.push_str(&word.to_lowercase());
            name.push(' ');
            if !title_case {
                continue;
            }
        }
        if name.len() > 1 {
            phrases.push(std::mem::replace(&mut name, String::from(" ")));
        }
        if !is_capitalised && word.chars().any(|c| c.is_ascii_digit()) {
            phrases.push(format!(" {} ", word.to_lowercase()));
        }
    }
    if name.len() > 1 {
        phrases.push(name);
    }
    phrases
}

/// Numbers in words. "One" is here for compounds ("twenty-one"); alone it is more often a
/// pronoun than a number, so [`numbers`] reads it only before a [`SCALES`] word ("one hundred").
const CARDINALS: [&str; 32] = [
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
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "thousand",
    "million",
    "billion",
    "trillion",
];
/// The number words that multiply the one before them.
const SCALES: [&str; 5] = ["hundred", "thousand", "million", "billion", "trillion"];
const ORDINALS: [&str; 27] = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "sixtieth",
    "seventieth",
    "eightieth",
    "ninetieth",
];

/// How a number is written. Numbers are compared within a form only, so that "first released"
/// is not contradicted by "released in 2005".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum NumberForm {
    Digits,
    Cardinal,
    Ordinal,
}

/// The numbers a text states: in digits (thousands separators dropped, "2,500" is "2500"), and
/// in words ("three", "twenty-four", "fourth").
fn numbers(text: &str) -> HashSet<(NumberForm, String)> {
    let digits = text
        .split(|c: char| !c.is_ascii_digit() && c != ',' && c != '.')
        .map(|n| n.trim_matches([',', '.']).replace(',', ""))
        .filter(|n| n.starts_with(|c: char| c.is_ascii_digit()))
        .map(|n| (NumberForm::Digits, n));
    let text_words: Vec<String> = words(text).collect();
    let in_words = text_words.iter().enumerate().filter_map(|(i, w)| {
        let mut parts: Vec<&str> = w.split('-').collect();
        let last = parts.pop()?;
        if !parts.iter().all(|p| CARDINALS.contains(p)) {
            return None;
        }
        let before_scale = || {
            text_words
                .get(i + 1)
                .is_some_and(|next| SCALES.contains(&next.as_str()))
        };
        let form = if ORDINALS.contains(&last) {
            NumberForm::Ordinal
        } else if CARDINALS.contains(&last) && (w != "one" || before_scale()) {
            NumberForm::Cardinal
        } else {
            return None;
        };
        Some((form, w.clone()))
    });
    digits.chain(in_words).collect()
}

/// Whether the sentence states a number other than the question's where the question's is
/// missing, in the same form ("16 October" against "26 October", "fourth" against "eighth").
fn changed_number(
    question: &HashSet<(NumberForm, String)>,
    sentence: &HashSet<(NumberForm, String)>,
) -> bool {
    let differs = |form: NumberForm, from: &HashSet<(NumberForm, String)>, to: &HashSet<_>| {
        from.iter().any(|n| n.0 == form && !to.contains(n))
    };
    [
        NumberForm::Digits,
        NumberForm::Cardinal,
        NumberForm::Ordinal,
    ]
    .into_iter()
    .any(|form| differs(form, question, sentence) && differs(form, sentence, question))
}

/// WordNet's single-word antonym pairs (`src/antonyms.tsv`, written by
/// `scripts/wordnet_antonyms.py`).
struct Antonyms {
    /// Each word, as written and as its content term (stemmed, so that "rising" meets "fall"),
    /// with its antonyms in the same form, both ways.
    of: HashMap<String, Vec<String>>,
    /// The adjectives and adverbs among them ("soft"), whose comparatives and superlatives
    /// ("softest") are read back to them.
    gradable: HashSet<String>,
}

static ANTONYMS: LazyLock<Antonyms> = LazyLock::new(|| {
    let mut of: HashMap<String, Vec<String>> = HashMap::new();
    let mut add = |a: &str, b: &str| {
        for (word, antonym) in [(a, b), (b, a)] {
            let list = of.entry(word.to_string()).or_default();
            if !list.iter().any(|known| known == antonym) {
                list.push(antonym.to_string());
            }
        }
    };
    let mut gradable = HashSet::new();
    let lines = include_str!("antonyms.tsv")
        .lines()
        .filter(|line| !line.starts_with('#'));
    for line in lines {
        let mut fields = line.split('\t');
        let (Some(a), Some(b), Some(pos)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        // A stop word has no content term.
        let (terms_a, terms_b) = (content_terms(a), content_terms(b));
        // Two stop words ("here" and "there", "on" and "off", "up" and "down") have too many
        // senses to contradict each other.
        if terms_a.is_empty() && terms_b.is_empty() {
            continue;
        }
        add(a, b);
        // A stem that is itself a stop word ("there" of "thereness") would pair that stop word.
        if let ([stem_a], [stem_b]) = (&terms_a[..], &terms_b[..]) {
            let is_stop = |stem: &str| content_terms(stem).is_empty();
            if stem_a != stem_b && !is_stop(stem_a) && !is_stop(stem_b) {
                add(stem_a, stem_b);
            }
        }
        // Stop words ("off", "out") are left out: "offer" and "outer" are words of their own,
        // not comparatives.
        if matches!(pos, "adj" | "adv") {
            gradable.extend(
                [(a, &terms_a), (b, &terms_b)]
                    .into_iter()
                    .filter(|(_, terms)| !terms.is_empty())
                    .map(|(word, _)| word.to_string()),
            );
        }
    }
    Antonyms { of, gradable }
});

/// The question's words (in [`word_forms`]) paired with each of their antonyms that the question
/// does not use itself ("abstract or concrete?" contradicts neither).
fn antonyms_of(question_forms: &HashSet<String>) -> Vec<(&String, &String)> {
    // An ordinal ("first", "second") is left to the number check, which compares it already.
    question_forms
        .iter()
        .filter(|form| !ORDINALS.contains(&form.as_str()))
        .flat_map(|form| {
            ANTONYMS
                .of
                .get(form)
                .into_iter()
                .flatten()
                .filter(|a| !question_forms.contains(*a))
                .map(move |a| (form, a))
        })
        .collect()
}

/// Whether a sentence (in [`word_forms`]) has the antonym of a question word but not the word.
fn has_antonym_instead(antonyms: &[(&String, &String)], sentence_forms: &HashSet<String>) -> bool {
    antonyms
        .iter()
        .any(|(form, antonym)| !sentence_forms.contains(*form) && sentence_forms.contains(*antonym))
}

/// The forms under which a text's words are looked up in [`ANTONYMS`]: each word as written,
/// lower-cased (stop words such as "more" included), its content term (stemmed), and the base of
/// a comparative or superlative of a gradable word ("softest" is "soft", "larger" is "large",
/// "easiest" is "easy", "biggest" is "big"). Left out: the two words after a negation ("not
/// equal" says "unequal", so it must not count as "equal"), and capitalised words other than
/// the first, which belong to names.
fn word_forms(text: &str) -> HashSet<String> {
    let mut forms = HashSet::new();
    let mut since_negation = usize::MAX;
    let tokens = text
        .split(|c: char| !c.is_alphanumeric() && !matches!(c, '-' | '\'' | '’'))
        .map(|token| token.trim_matches(['\'', '’']))
        .filter(|token| !token.is_empty());
    for (i, token) in tokens.enumerate() {
        // A capitalised word inside the text is part of a name: "New York" is not "new".
        if i > 0 && token.starts_with(char::is_uppercase) {
            continue;
        }
        let word = token.to_lowercase();
        if is_negation(&word) {
            since_negation = 0;
            continue;
        }
        since_negation = since_negation.saturating_add(1);
        if since_negation <= 2 {
            continue;
        }
        forms.extend(content_terms(&word));
        forms.extend(comparative_bases(&word));
        forms.insert(word);
    }
    forms
}

/// The bases a comparative or superlative may have that [`ANTONYMS`] knows as gradable.
fn comparative_bases(word: &str) -> impl Iterator<Item = String> + '_ {
    ["est", "er"]
        .into_iter()
        .filter_map(|suffix| word.strip_suffix(suffix).filter(|s| s.len() >= 3))
        .flat_map(|stem| {
            // "bigg" is "big"; split by characters, as the word may not be ASCII.
            let mut chars = stem.chars();
            let last = chars.next_back();
            let rest = chars.as_str();
            let undoubled = last
                .filter(|&c| rest.ends_with(c))
                .map(|_| rest.to_string());
            [
                Some(stem.to_string()),
                Some(format!("{stem}e")),
                stem.strip_suffix('i').map(|s| format!("{s}y")),
                undoubled,
            ]
        })
        .flatten()
        .filter(|base| ANTONYMS.gradable.contains(base))
}

/// Whether a text contains a negation word.
fn is_negated(text: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .any(|w| is_negation(&w.to_lowercase()))
}

/// Whether a lower-cased word negates: "not", "never", ..., or a contraction such as "didn't".
fn is_negation(word: &str) -> bool {
    matches!(
        word,
        "not" | "cannot" | "never" | "no" | "none" | "neither" | "nor" | "without"
    ) || word.ends_with("n't")
        || word.ends_with("n’t")
}

/// The kind of fact a question asks for, when its wording says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FactKind {
    /// "how many", "how much", "how far": the answer holds a number.
    Quantity,
    /// "when", "how long", "what year": the answer holds a number or a word of time.
    Time,
    /// "how old": the answer states an age ("69-year-old", "aged 69", "69 years old").
    Age,
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
        let lower = question.to_lowercase();
        if lower.contains("how old") {
            return (Some(FactKind::Age), lower.replace("how old", " "));
        }
        // "how far" and the like ask for a number too, but their adjective is part of what the
        // answer must say ("40 km away", "as large as"), so it stays in the topic.
        const KEPT_FRAMES: [&str; 4] = ["how far", "how big", "how large", "how tall"];
        if KEPT_FRAMES.iter().any(|f| lower.contains(f)) {
            return (Some(FactKind::Quantity), question.to_string());
        }
        for (frame, kind) in FRAMES {
            let as_words = lower.match_indices(frame).find(|(i, _)| {
                let before = &lower[..*i];
                let after = &lower[i + frame.len()..];
                !before.ends_with(char::is_alphanumeric)
                    && !after.starts_with(char::is_alphanumeric)
            });
            if let Some((i, _)) = as_words {
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
        // Hyphenated words are read by part: "69-year-old" holds a number, "twenty-four" two.
        let parts: Vec<String> = words(sentence)
            .flat_map(|w| {
                w.split('-')
                    .filter(|part| !part.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        let has_number = parts.iter().any(|w| {
            w.chars().any(|c| c.is_ascii_digit())
                || CARDINALS.contains(&w.as_str())
                || ["dozen", "dozens", "hundreds", "thousands", "millions"].contains(&w.as_str())
        });
        match self {
            FactKind::Age => {
                let lower = sentence.to_lowercase();
                has_number
                    && [
                        "year-old",
                        "years old",
                        "years-old",
                        "aged ",
                        "age of",
                        "at age",
                        "birthday",
                        "born",
                    ]
                    .iter()
                    .any(|cue| lower.contains(cue))
            }
            FactKind::Quantity => has_number,
            FactKind::Time => {
                has_number
                    || parts.iter().any(|w| {
                        let singular = w.strip_suffix('s').unwrap_or(w);
                        TIME_WORDS.contains(&w.as_str()) || TIME_WORDS.contains(&singular)
                    })
            }
        }
    }
}

fn abstain(index: &Index, question: &str, candidates: &[Candidate], confidence: f32) -> Answer {
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
        confidence,
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
            .ok_or_else(|| Error::UnknownDocument(id.clone()))?;
        set.insert(position);
    }
    Ok(Some(set))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index of one document, with made-up two-wide vectors.
    fn index_of(text: &str) -> Index {
        use crate::doc_vectors::DocumentVectors;
        use crate::document::Document;
        let doc = Document::new("a", None, text).unwrap();
        let texts = DocumentVectors::texts(&doc).len();
        let mut rows = (0..texts).map(|i| vec![1.0, i as f32]);
        let vectors = DocumentVectors::take(&doc, &mut rows);
        Index::from_vectors(vec![doc], vec![vectors], 2)
    }

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
        assert_eq!(kind("How old is the senator?"), Some(FactKind::Age));
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
        // Hyphenated words are read by part.
        assert!(FactKind::Quantity.found_in("Twenty-four soldiers remain."));
        assert!(FactKind::Time.found_in("It was a week-long visit."));
        assert!(FactKind::Time.found_in("The call lasted just under an hour."));
        assert!(FactKind::Time.found_in("Talks are scheduled for Jan. 10."));
        assert!(!FactKind::Time.found_in("Biden handled the call from his home."));
        assert!(FactKind::Age.found_in("The 69-year-old leader spoke."));
        assert!(!FactKind::Age.found_in("Putin spoke last Thursday (30)."));
    }

    #[test]
    fn an_antonym_instead_of_the_question_word_contradicts() {
        let says_opposite = |question: &str, sentence: &str| {
            let forms = word_forms(question);
            has_antonym_instead(&antonyms_of(&forms), &word_forms(sentence))
        };
        assert!(says_opposite(
            "When did prices increase?",
            "Prices decreased in May."
        ));
        assert!(!says_opposite(
            "When did prices increase?",
            "Prices increased in May."
        ));
        assert!(says_opposite(
            "What is the softest problem?",
            "X is the hardest problem."
        ));
        assert!(says_opposite("Which costs less?", "The second costs more."));
        assert!(says_opposite("Which is the biggest?", "The small one."));
        // Not contradictions: "offer" is no comparative of "off", two stop words ("there",
        // "here") have too many senses, and a word of a name is not the word.
        assert!(!says_opposite(
            "What did they offer?",
            "It was announced on Monday."
        ));
        assert!(!says_opposite(
            "How many people were there?",
            "They were here."
        ));
        assert!(!says_opposite("What is old?", "It moved to New York."));
        // Words that are not ASCII are read by character, never cut inside one.
        assert!(!says_opposite("Who is größer, Zoëest or Kööer?", "Nobody."));
        // Negated, the antonym says what the question says.
        assert!(!says_opposite(
            "Is P unequal to NP?",
            "P is not equal to NP."
        ));
        // A question that names both sides asks which one holds.
        assert!(!says_opposite(
            "Is it abstract or concrete?",
            "It is concrete."
        ));
    }

    #[test]
    fn names_are_phrases_and_numbers_are_words() {
        assert_eq!(
            names_and_numbers("Who is pursued by Mr. Oberhauser in 2015?"),
            [" mr oberhauser ", " 2015 "]
        );
        // The first word is capitalised because it starts the question.
        assert_eq!(
            names_and_numbers("Newman wrote what?"),
            Vec::<String>::new()
        );
        // In title case every word is capitalised: each is looked for on its own.
        assert_eq!(
            names_and_numbers("What Is The Capital?"),
            [" is ", " the ", " capital "]
        );
    }

    #[test]
    fn a_name_or_number_is_found_only_whole_and_within_a_sentence() {
        let index = index_of("Bond is pursued by Mr. Hinx. Oberhauser waits in 1600.");
        let document = index.document_words(0);
        let found = |question: &str| {
            names_and_numbers(question)
                .iter()
                .all(|name| document.contains(name.as_str()))
        };
        assert!(found("Who pursues Bond, Mr. Hinx?"));
        assert!(!found("Who pursued Mr. Oberhauser?"));
        assert!(!found("Who is Mr. Hin?"));
        assert!(!found("What happened in 16?"));
        assert!(found("What happened in 1600?"));
        // "Hinx. Oberhauser" spans two sentences: it is not a name the document states.
        assert!(!found("Who is Hinx Oberhauser?"));
    }

    #[test]
    fn numbers_are_read_in_digits_and_words() {
        let expected: HashSet<(NumberForm, String)> = [
            (NumberForm::Digits, "2500".to_string()),
            (NumberForm::Ordinal, "fourth".to_string()),
            (NumberForm::Cardinal, "twenty-one".to_string()),
        ]
        .into();
        assert_eq!(
            numbers("It sold 2,500 copies in its fourth week, twenty-one days."),
            expected
        );
        assert!(numbers("One of them left.").is_empty());
        assert!(numbers("One hundred left.").contains(&(NumberForm::Cardinal, "one".to_string())));
    }

    #[test]
    fn a_different_number_in_the_same_form_is_a_change() {
        let changed = |q: &str, s: &str| changed_number(&numbers(q), &numbers(s));
        assert!(changed(
            "What opened on 16 October 2015?",
            "It opened on 26 October 2015."
        ));
        assert!(changed(
            "Who made his eighth appearance?",
            "Craig made his fourth appearance."
        ));
        assert!(!changed(
            "When was it first released?",
            "It was released in 2005."
        ));
        assert!(!changed("How many won in 2010?", "Six won in 2010."));
        assert!(changed(
            "Which has two hundred minutes of music?",
            "The film has one hundred minutes of music."
        ));
        // "One" alone is a pronoun.
        assert!(!changed("Which of the two teams won?", "One of them won."));
        assert!(!changed(
            "What opened in 2015?",
            "The hall opened that year."
        ));
    }

    #[test]
    fn a_negated_question_is_contradicted_as_far_as_it_repeats_the_sentence() {
        let index = index_of(
            "Its branching captures many models. Prices rose in May. Never did the talks fail.",
        );
        // The evidence of `sentence` for `question`.
        let negation = |question: &str, sentence: &str| {
            let candidates = index.rank(question, &[1.0, 0.5], |_| true);
            let scored = score_shortlist(&index, question, &candidates);
            let evidence = scored
                .iter()
                .find(|s| index.sentence_text(s.candidate.sentence) == sentence)
                .map(|s| s.evidence)
                .unwrap();
            (evidence.negation_mismatch, evidence.sentence_coverage)
        };
        let models = "Its branching captures many models.";
        // "not" added to the sentence's words: as strong as the coverage.
        let (mismatch, coverage) = negation("What does not capture many physical models?", models);
        assert!(coverage > 0.5 && coverage < 1.0);
        assert_eq!(mismatch, coverage);
        let (mismatch, coverage) =
            negation("What does not capture many models?", "Prices rose in May.");
        assert_eq!((mismatch, coverage), (0.0, 0.0));
        // Both negated, or neither: no contradiction.
        let talks = "Never did the talks fail.";
        assert_eq!(negation("Did the talks never fail?", talks).0, 0.0);
        assert_eq!(negation("What captures many models?", models).0, 0.0);
    }

    #[test]
    fn scores_are_the_same_on_every_run() {
        // Coverage once summed IDFs in a HashSet's order, which differs per set: the last bits
        // of a score moved between runs and could flip an answer at a tie.
        // Terms in one to seven sentences, so that their IDFs differ and the order of a sum
        // shows in its last bits.
        let words = [
            "talks",
            "geneva",
            "ministers",
            "troops",
            "borders",
            "sanctions",
            "pipeline",
        ];
        let text: String = (0..words.len())
            .map(|i| format!("The {} were discussed. ", words[..=i].join(" and ")))
            .collect();
        let index = index_of(&text);
        let question = "Were talks, Geneva, ministers, troops, borders, sanctions and the \
                        pipeline discussed?";
        let candidates = index.rank(question, &[1.0, 0.5], |_| true);
        let bits = |scored: Vec<Scored>| -> Vec<u32> {
            scored
                .iter()
                .map(|s| s.evidence.sentence_coverage.to_bits())
                .collect()
        };
        let first = bits(score_shortlist(&index, question, &candidates));
        for _ in 0..20 {
            assert_eq!(bits(score_shortlist(&index, question, &candidates)), first);
        }
    }
}
