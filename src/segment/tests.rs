//! Tests of paragraph numbering: blocks, blank and whitespace-only lines, CRLF, text written one
//! paragraph per line, and the content flag of each paragraph.

use super::*;

#[test]
fn cut_sentence_across_blocks_is_kept_verbatim() {
    // Seed 003, blocks 16 and 17: one sentence cut across two blocks.
    let first = "In preparation for these discussions, Russia has publicly offered a list of security concerns and demands it wishes to address, including a commitment that Ukraine will never be allowed to join the";
    let second = "NATO and that the alliance’s military equipment is not deployed in the former Soviet states.";
    let article = format!("{first}\n\n{second}\n");
    let found = paragraphs(&article);
    assert_eq!(found.len(), 2);
    assert_eq!((found[0].number, found[0].text), (1, first));
    assert_eq!((found[1].number, found[1].text), (2, second));
    assert!(found[0].is_content && found[1].is_content);
    assert_eq!(sentences(found[0].text), vec![first]);
    assert_eq!(sentences(found[1].text), vec![second]);
}

#[test]
fn paragraphs_are_numbered_from_one_and_trimmed() {
    let article = "\n\n  First block.  \n\n\n\tSecond block,\nstill second.\n \t \nThird block.";
    let found = paragraphs(article);
    let texts: Vec<_> = found.iter().map(|p| (p.number, p.text)).collect();
    assert_eq!(
        texts,
        vec![
            (1, "First block."),
            (2, "Second block,\nstill second."),
            (3, "Third block.")
        ]
    );
}

#[test]
fn paragraphs_handle_crlf_line_endings() {
    let article = "First block,\r\nstill first.\r\n\r\nSecond block.\r\n";
    let found = paragraphs(article);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].text, "First block,\r\nstill first.");
    assert_eq!(found[1].text, "Second block.");
}

#[test]
fn text_written_one_paragraph_per_line_is_cited_by_line() {
    // As BBC pages and many exports come: no blank lines, a paragraph per line, and lines
    // that are labels rather than sentences.
    let article = "Share this with\nEmail\n\
                   These are external links and will open in a new window\n\
                   The council approved the budget on Monday after a long debate.\r\n\
                   Critics said the plan cut too deep into services for the elderly.\n\
                   The vote was 7-2.";
    let found = paragraphs(article);
    let texts: Vec<_> = found.iter().map(|p| (p.number, p.text)).collect();
    assert_eq!(
        texts,
        vec![
            (1, "Share this with"),
            (2, "Email"),
            (3, "These are external links and will open in a new window"),
            (
                4,
                "The council approved the budget on Monday after a long debate."
            ),
            (
                5,
                "Critics said the plan cut too deep into services for the elderly."
            ),
            (6, "The vote was 7-2."),
        ]
    );
    // The label line is no longer glued to the first sentence as one "sentence".
    assert_eq!(
        sentences(found[3].text),
        vec!["The council approved the budget on Monday after a long debate."]
    );
}

#[test]
fn hard_wrapped_prose_stays_one_paragraph() {
    let article = "The council approved the budget on Monday after a long\n\
                   debate. Critics said the plan cut too deep, and the vote\n\
                   was close.\n\nA second paragraph.";
    let found = paragraphs(article);
    assert_eq!(found.len(), 2);
    assert!(found[0].text.ends_with("was close."));
}

#[test]
fn whitespace_only_lines_separate_paragraphs() {
    // Seed 004 ends lines with a no-break space; a line holding only one is blank.
    let found = paragraphs("One.\u{a0}\n\u{a0}\nTwo.");
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].text, "One.");
}

#[test]
fn empty_article_has_no_paragraphs() {
    assert!(paragraphs("").is_empty());
    assert!(paragraphs("\n \r\n\t\n").is_empty());
}

#[test]
fn seed_004_boilerplate_blocks_are_flagged() {
    // Seed 004, blocks 1, 2 (shortened), 7, 8, 14, 15, 16, 17.
    let article = "Biden tells Putin U.S. and allies will respond “decisively” if Russia invades Ukraine\n\nPresident Biden told Russian President Vladimir Putin in a phone call on Thursday that the U.S. and its allies will react “decisively” if Ukraine is invaded, White House press secretary Jen Psaki said.\n\nPresident Biden speaking to Russian President Vladimir Putin\n\nAdam Schultz / AP\n\nCBS News has reported that the 10,000 withdrawn troops is just a fraction of the number that still remains at the border.\n\nDavid Martin, Fin Gomez and Fritz Farrow contributed to this report.\u{a0}\n\nDownload our Free App\n\nFor Breaking News & Analysis Download the Free CBS News app\n";
    let flags: Vec<_> = paragraphs(article)
        .iter()
        .map(|p| (p.number, p.is_content))
        .collect();
    assert_eq!(
        flags,
        vec![
            (1, false),
            (2, true),
            (3, false),
            (4, false),
            (5, true),
            (6, false),
            (7, false),
            (8, false)
        ]
    );
}
