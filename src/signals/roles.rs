//! Who does what: the names of a sentence with the word that follows each ("Putin asked",
//! "Biden also assured"), so that a sentence that keeps every name and word of its source but
//! swaps who did what ("Biden asked for the call" where the source says "Putin asked for the
//! call") can be told from a faithful one. Words alone cannot see this: both sentences have the
//! same words.

use std::collections::HashSet;

use crate::lexicon::SENTENCE_OPENERS;
use crate::text::content_terms;

/// A name that does something in a sentence: the name's last word ("putin"), the stem of the
/// content word that follows it ("ask"), and the name it is done to, if one follows within
/// three words ("Putin assured Biden").
#[derive(Debug, Clone, PartialEq)]
struct Action {
    name: String,
    word: String,
    object: Option<String>,
    written: String,
}

/// A word of the sentence: its letters and digits, and whether a comma follows it.
struct Word<'a> {
    text: &'a str,
    comma: bool,
}

fn sentence_words(sentence: &str) -> Vec<Word<'_>> {
    sentence
        .split_whitespace()
        .map(|raw| Word {
            text: raw
                .trim_matches(|c: char| !c.is_alphanumeric())
                .trim_end_matches("'s")
                .trim_end_matches("’s"),
            comma: raw.ends_with(','),
        })
        .filter(|w| !w.text.is_empty())
        .collect()
}

fn is_name(words: &[Word], i: usize) -> bool {
    let word = words[i].text;
    word.starts_with(char::is_uppercase) && (i > 0 || !SENTENCE_OPENERS.contains(&word))
}

/// The names of a sentence with the content word after each (past at most one word without
/// content, "also"), and the names joined by "and", "or" or a comma, which share what follows
/// them ("Biden and Putin spoke").
fn actions(sentence: &str) -> (Vec<Action>, HashSet<String>) {
    let words = sentence_words(sentence);
    let mut actions = Vec::new();
    let mut joined = HashSet::new();
    for i in 0..words.len() {
        // The last word of a run of capitalised words is the name.
        if !is_name(&words, i) || (i + 1 < words.len() && is_name(&words, i + 1)) {
            continue;
        }
        let name = words[i].text.to_lowercase();
        let next = words.get(i + 1);
        let joins = words[i].comma || next.is_some_and(|w| matches!(w.text, "and" | "or"));
        if joins && words.get(i + 2).is_some_and(|_| is_name(&words, i + 2)) {
            joined.insert(name.clone());
            joined.insert(words[i + 2].text.to_lowercase());
            continue;
        }
        if words[i].comma {
            continue;
        }
        let mut j = i + 1;
        while let Some(w) = words.get(j) {
            if w.text.starts_with(char::is_uppercase) || j > i + 2 {
                break;
            }
            let lower_case = w.text.starts_with(|c: char| c.is_lowercase());
            if let Some(term) = content_terms(w.text)
                .into_iter()
                .next()
                .filter(|_| lower_case)
            {
                let object = (j + 1..words.len().min(j + 4))
                    .find(|&k| is_name(&words, k))
                    .map(|k| {
                        let end = (k..words.len()).take_while(|&e| is_name(&words, e)).last();
                        words[end.unwrap_or(k)].text.to_lowercase()
                    });
                actions.push(Action {
                    name: name.clone(),
                    word: term,
                    object,
                    written: format!("{} {}", words[i].text, w.text),
                });
                break;
            }
            if w.comma {
                break;
            }
            j += 1;
        }
    }
    (actions, joined)
}

/// Where the claim swaps the roles of two names of the source: the source's phrase and the
/// claim's ("Putin asked", "Biden asked"). A swap is two names trading what they do ("Biden
/// asked ... Putin joined" against "Putin asked ... Biden joined") or who does what to whom
/// ("Putin assured Biden" against "Biden assured Putin"). A name that merely does something
/// else, or a list of names ("Biden and Putin spoke"), is no swap: that is paraphrase.
pub fn swapped_role(claim: &str, source: &str) -> Option<(String, String)> {
    let (claimed, claim_joined) = actions(claim);
    let (stated, source_joined) = actions(source);
    let does = |actions: &[Action], name: &str, word: &str| {
        actions.iter().any(|a| a.name == name && a.word == word)
    };
    for action in &claimed {
        let joined = claim_joined.contains(&action.name) || source_joined.contains(&action.name);
        if joined || does(&stated, &action.name, &action.word) {
            continue;
        }
        let swap = stated.iter().find(|s| {
            if s.word != action.word || s.name == action.name {
                return false;
            }
            let traded = claimed.iter().any(|c| {
                c.name == s.name
                    && c.word != action.word
                    && does(&stated, &action.name, &c.word)
                    && !does(&stated, &s.name, &c.word)
            });
            let turned = s.object.as_deref() == Some(action.name.as_str())
                && action.object.as_deref() == Some(s.name.as_str());
            traded || turned
        });
        if let Some(swap) = swap {
            return Some((swap.written.clone(), action.written.clone()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "Putin asked for the call, which lasted 50 minutes, and Biden joined it \
                          from his home in Wilmington, Delaware.";

    #[test]
    fn a_swapped_subject_is_found() {
        assert_eq!(
            swapped_role(
                "Biden asked for the call, which lasted 50 minutes, and Putin joined it.",
                SOURCE
            ),
            Some(("Putin asked".to_string(), "Biden asked".to_string()))
        );
        assert!(swapped_role(
            "Ushakov said Putin also assured Biden that the US has no plan.",
            "Ushakov said Biden also assured Putin that the US has no plan."
        )
        .is_some());
    }

    #[test]
    fn the_same_roles_in_other_words_are_no_swap() {
        assert_eq!(
            swapped_role("Putin asked for the call, and Biden joined it.", SOURCE),
            None
        );
        // A list of names shares what follows it, in any order.
        assert_eq!(
            swapped_role(
                "Putin and Biden spoke for 50 minutes.",
                "Biden and Putin spoke for 50 minutes."
            ),
            None
        );
        // A name the source does not have is the name check's to report.
        assert_eq!(swapped_role("Xi asked for the call.", SOURCE), None);
    }
}
