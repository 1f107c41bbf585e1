//! Reading a text into claims: its sentences (cut by [`crate::segment::sentences`]) with the
//! citations that follow them or sit before their final punctuation, and the lines that are not
//! claims (headings, questions, list headers, source listings, citation-only lines), counted.
//!
//! A citation is a bracket group holding `¶`: `[doc ¶2]`, or `[doc ¶2, ¶3]` for two paragraphs of
//! one document; footnote's own corroboration groups `(also [a ¶2] [b ¶5])` count too. Groups are
//! cut out of the text before it is split into sentences, so that a claim's text is the sentence
//! without its markers, and each group goes to the sentence it follows. A malformed group never
//! fails the text: it becomes a problem of its claim, which is then `invalid_citation`.

use std::collections::HashSet;

use crate::citation::Citation;
use crate::segment::sentences;

/// A sentence of the text with what it cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The sentence without its citation markers.
    pub text: String,
    /// The well-formed citations, in order, without repeats.
    pub citations: Vec<Citation>,
    /// Why a citation group could not be read (`[¶]`, `[doc ¶0]`, ...), one per group item.
    pub malformed: Vec<String>,
}

/// A text read into claims, and how many of its lines or sentences were not claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub claims: Vec<Claim>,
    pub skipped: usize,
}

impl Parsed {
    /// The ids of the documents the claims cite.
    pub fn cited(&self) -> HashSet<&str> {
        self.claims
            .iter()
            .flat_map(|c| c.citations.iter().map(|c| c.doc.as_str()))
            .collect()
    }
}

/// A citation group found in a line: where it was cut out of the cleaned line, and what it says.
struct Group {
    at: usize,
    items: Vec<Result<Citation, String>>,
}

/// Reads a text into claims. Blocks are separated by blank lines; in each block, lines that are
/// not claims are skipped one by one and the rest are joined and cut into sentences.
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    for block in text.split("\n\n").flat_map(|b| b.split("\r\n\r\n")) {
        let mut kept = String::new();
        for line in block.lines() {
            let line = strip_list_marker(line.trim());
            if line.is_empty() {
                continue;
            }
            if is_skipped_line(line) {
                parsed.skipped += 1;
                continue;
            }
            if !kept.is_empty() {
                kept.push(' ');
            }
            kept.push_str(line);
        }
        read_block(&kept, &mut parsed);
    }
    parsed
}

/// Lines that are never claims: Markdown headings, list headers ("Sources:"), and listing lines
/// that open with a citation (footnote's `  [doc ¶n] paragraph text`).
fn is_skipped_line(line: &str) -> bool {
    line.starts_with('#')
        || line.ends_with(':')
        || (line.starts_with('[') && line.split(']').next().is_some_and(|g| g.contains('¶')))
}

/// A line without its Markdown list marker ("- ", "* ", "1. ").
fn strip_list_marker(line: &str) -> &str {
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return rest.trim_start();
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits < 4 {
        if let Some(rest) = line[digits..].strip_prefix(". ") {
            return rest.trim_start();
        }
    }
    line
}

/// Cuts the citation groups out of a block, splits the rest into sentences and gives each group
/// to the sentence it follows (or sits inside).
fn read_block(block: &str, parsed: &mut Parsed) {
    let (clean, groups) = cut_groups(block);
    let spans: Vec<(usize, &str)> = sentences(&clean)
        .into_iter()
        // Each sentence is a slice of `clean`, so its offset is where it starts in `clean`.
        .map(|s| (s.as_ptr() as usize - clean.as_ptr() as usize, s))
        .collect();
    let mut claims: Vec<Option<Claim>> = spans
        .iter()
        .map(|&(_, s)| {
            is_claim(s).then(|| Claim {
                text: s.to_string(),
                citations: Vec::new(),
                malformed: Vec::new(),
            })
        })
        .collect();
    parsed.skipped += claims.iter().filter(|c| c.is_none()).count();
    for group in groups {
        // The last sentence that starts before the group: the one it follows or sits in.
        let Some(owner) = spans.iter().rposition(|&(start, _)| start < group.at) else {
            // Citations before any sentence: a citation-only line.
            parsed.skipped += 1;
            continue;
        };
        let Some(claim) = claims[owner].as_mut() else {
            continue;
        };
        for item in group.items {
            match item {
                Ok(c) if !claim.citations.contains(&c) => claim.citations.push(c),
                Ok(_) => {}
                Err(reason) => claim.malformed.push(reason),
            }
        }
    }
    parsed.claims.extend(claims.into_iter().flatten());
}

/// A sentence that states something: not a question, and holding a letter.
fn is_claim(sentence: &str) -> bool {
    !sentence
        .trim_end_matches(['"', '”', '’', '\'', ')'])
        .ends_with('?')
        && sentence.chars().any(char::is_alphabetic)
}

/// The block with its citation groups (and the whitespace before each) cut out, and the groups
/// with their offsets in the cleaned text. `(also [a ¶1] [b ¶2])` is cut whole.
fn cut_groups(block: &str) -> (String, Vec<Group>) {
    let mut clean = String::with_capacity(block.len());
    let mut groups = Vec::new();
    let mut rest = block;
    while !rest.is_empty() {
        if let Some((len, items)) = also_group(rest).or_else(|| bracket_group(rest)) {
            let trimmed = clean.trim_end().len();
            clean.truncate(trimmed);
            groups.push(Group {
                at: clean.len(),
                items,
            });
            rest = &rest[len..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        clean.push(c);
        rest = &rest[c.len_utf8()..];
    }
    (clean, groups)
}

/// `(also [a ¶1] [b ¶2])` at the start of `text`: its length and citations.
fn also_group(text: &str) -> Option<(usize, Vec<Result<Citation, String>>)> {
    let inner = text.strip_prefix("(also")?;
    let mut pos = text.len() - inner.len();
    let mut items = Vec::new();
    loop {
        let after = &text[pos..];
        let spaces = after.len() - after.trim_start().len();
        pos += spaces;
        if text[pos..].starts_with(')') {
            return (!items.is_empty()).then_some((pos + 1, items));
        }
        let (len, group) = bracket_group(&text[pos..])?;
        items.extend(group);
        pos += len;
    }
}

/// A bracket group holding `¶` at the start of `text`: its length and its items.
fn bracket_group(text: &str) -> Option<(usize, Vec<Result<Citation, String>>)> {
    let inner = text.strip_prefix('[')?;
    let end = inner.find([']', '['])?;
    if !inner[end..].starts_with(']') || !inner[..end].contains('¶') {
        return None;
    }
    Some((end + 2, citation_items(&inner[..end])))
}

/// The items of a group's inside: `doc ¶2` or `doc ¶2, ¶3`.
fn citation_items(inside: &str) -> Vec<Result<Citation, String>> {
    let (doc, numbers) = inside.split_once('¶').unwrap_or((inside, ""));
    let doc = doc.trim();
    if doc.is_empty() {
        return vec![Err(format!("[{inside}] names no document"))];
    }
    numbers
        .split(',')
        .map(|n| {
            let n = n.trim().trim_start_matches('¶').trim();
            match n.parse::<usize>() {
                Ok(0) => Err(format!("[{doc} ¶0]: paragraphs are numbered from 1")),
                Ok(paragraph) => Ok(Citation {
                    doc: doc.to_string(),
                    paragraph,
                }),
                Err(_) if n.is_empty() => Err(format!("[{inside}] names no paragraph")),
                Err(_) => Err(format!("[{doc} ¶{n}]: \"{n}\" is not a paragraph number")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cite(doc: &str, paragraph: usize) -> Citation {
        Citation {
            doc: doc.to_string(),
            paragraph,
        }
    }

    #[test]
    fn citations_after_a_sentence_or_before_its_full_stop_belong_to_it() {
        let parsed = parse(
            "Talks ended on Monday. [a ¶2] [b ¶5] Both sides spoke [a ¶3]. \
             Prices rose [c ¶2, ¶4].",
        );
        assert_eq!(parsed.skipped, 0);
        let texts: Vec<&str> = parsed.claims.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Talks ended on Monday.",
                "Both sides spoke.",
                "Prices rose."
            ]
        );
        assert_eq!(parsed.claims[0].citations, [cite("a", 2), cite("b", 5)]);
        assert_eq!(parsed.claims[1].citations, [cite("a", 3)]);
        assert_eq!(parsed.claims[2].citations, [cite("c", 2), cite("c", 4)]);
    }

    #[test]
    fn footnotes_corroboration_groups_are_citations() {
        let parsed = parse("- Talks ended. [a ¶2] (also [b ¶5] [c ¶1])");
        assert_eq!(parsed.claims.len(), 1);
        assert_eq!(parsed.claims[0].text, "Talks ended.");
        assert_eq!(
            parsed.claims[0].citations,
            [cite("a", 2), cite("b", 5), cite("c", 1)]
        );
    }

    #[test]
    fn headings_questions_and_source_listings_are_skipped() {
        let text = "# Heading\n\nWhat happened? The talks ended. [a ¶1]\n\nSources:\n  \
                    [a ¶1] The talks ended on Monday.\n\n[b ¶2]\n\nUncited claim here.";
        let parsed = parse(text);
        let texts: Vec<&str> = parsed.claims.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["The talks ended.", "Uncited claim here."]);
        assert!(parsed.claims[1].citations.is_empty());
        // The heading, the question, "Sources:", the listing line and the citation-only line.
        assert_eq!(parsed.skipped, 5);
    }

    #[test]
    fn malformed_citations_are_problems_of_their_claim() {
        for (group, expect) in [
            ("[¶]", "names no document"),
            ("[doc ¶0]", "numbered from 1"),
            ("[doc ¶-1]", "\"-1\" is not a paragraph number"),
            (
                "[doc ¶99999999999999999999]",
                "\"99999999999999999999\" is not a paragraph number",
            ),
            ("[doc ¶]", "names no paragraph"),
        ] {
            let parsed = parse(&format!("The talks ended. {group}"));
            assert_eq!(parsed.claims.len(), 1, "{group}");
            let claim = &parsed.claims[0];
            assert_eq!(claim.text, "The talks ended.");
            assert!(claim.citations.is_empty(), "{group}");
            assert!(claim.malformed[0].contains(expect), "{group}: {claim:?}");
        }
    }

    #[test]
    fn odd_text_never_panics() {
        for text in [
            "",
            "[",
            "[¶",
            "(also",
            "(also [a ¶1]",
            "é[ü ¶1]ß.",
            "]]¶[[",
            "\r\n\r\n",
        ] {
            let _ = parse(text);
        }
        let long = "Word [a ¶1]. ".repeat(20_000);
        assert_eq!(parse(&long).claims.len(), 20_000);
    }
}
