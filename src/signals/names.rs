//! The names and numbers a question asks about, as phrases to look for in a document: a
//! question that names something its document never states asks about something else.

use crate::text::raw_words;

/// The names and numbers of a question, each as a phrase to look for in
/// [`Index::document_words`](crate::index::Index::document_words), spaces around: a run of
/// capitalised words other than the first ("Mr. Hinx", "Twilight Princess") is one name, and
/// each word with a digit is a number. In a question written in title case or capitals, where
/// most words are capitalised, each capitalised word is a name of its own.
pub fn names_and_numbers(question: &str) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
