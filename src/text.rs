//! Words of a text: the words as written, lower-cased, as a phrase string for whole-word search,
//! and as content terms (stemmed, stop words dropped) for BM25 and coverage. Retrieval, the
//! answer's evidence and the summarizer's word frequencies all read words through these, so they
//! agree on what a word is. (Two signals split text their own way on purpose: negation and
//! antonyms keep apostrophes, for "didn't"; ROUGE tokenizes as `rouge-score` does.)

use bm25::{DefaultTokenizer, Language, Tokenizer};

/// The words of a text as written: runs of letters, digits and hyphens.
pub fn raw_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
}

/// The words of a text, lower-cased (see [`raw_words`]).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    raw_words(text).map(str::to_lowercase)
}

/// A sentence as its lower-cased words, each followed by a space, with a space in front: a name
/// of several words is found as a phrase whatever the punctuation between them, and a phrase
/// looked for with spaces around it matches whole words only (" 16 " is not in " 1600 ").
pub fn word_text(sentence: &str) -> String {
    words(sentence).fold(String::from(" "), |mut out, w| {
        out.push_str(&w);
        out.push(' ');
        out
    })
}

/// Content words of a text: lower-cased, stemmed, stop words removed (the BM25 tokenizer).
pub fn content_terms(text: &str) -> Vec<String> {
    thread_local! {
        static TOKENIZER: DefaultTokenizer = DefaultTokenizer::new(Language::English);
    }
    TOKENIZER.with(|t| t.tokenize(text))
}
