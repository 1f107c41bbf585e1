//! Tests of [`is_content`]: credits, promotions, contributor and editor's notes, headlines, and
//! real sentences that merely mention such words.

use super::*;

#[test]
fn photo_credit_is_not_content() {
    for block in [
        "Adam Schultz / AP",
        "Name Surname/Reuters",
        "Alex Wong/Getty Images.",
        "Photo: Alex Wong/Getty Images",
        "Photo by Jane Doe for The Times.",
        "Getty Images",
        "(AP Photo/Evan Vucci)",
        "Mandel Ngan/AFP via Getty Images",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
}

#[test]
fn app_and_newsletter_promotion_is_not_content() {
    for block in [
        "Download our Free App",
        "For Breaking News & Analysis Download the Free CBS News app",
        "Sign up for our newsletter.",
        "Click here to read the full statement.",
        "Subscribe to our daily briefing for more.",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
}

#[test]
fn contributor_line_is_not_content() {
    for block in [
        "David Martin, Fin Gomez and Fritz Farrow contributed to this report.\u{a0}",
        "With information from Natasha Bertrand and Anna Chernova",
        "Reporting by Jane Doe; Editing by John Roe",
        "(Reporting by Jane Doe in Moscow; Editing by John Roe.)",
        "Additional reporting by Jane Doe in Kyiv.",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
}

#[test]
fn editors_note_is_not_content() {
    for block in [
        "Editor's note: In our series, correspondents share their experiences in covering news.",
        "EDITOR’S NOTE: This story contains descriptions of violence.",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
    assert!(is_content(
        "The editor's note said the story had been corrected twice."
    ));
}

#[test]
fn bare_headline_or_caption_is_not_content() {
    for block in [
        "Biden tells Putin U.S. and allies will respond “decisively” if Russia invades Ukraine",
        "President Biden speaking to Russian President Vladimir Putin",
        "Biden and Putin\nBiden and PutinReuters",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
}

#[test]
fn empty_or_punctuation_only_block_is_not_content() {
    for block in ["", "   \n\t", "...", "* * *", "—", "“”"] {
        assert!(!is_content(block), "{block:?}");
    }
}

#[test]
fn long_block_cut_without_punctuation_is_content() {
    // Seed 003, block 16.
    assert!(is_content("In preparation for these discussions, Russia has publicly offered a list of security concerns and demands it wishes to address, including a commitment that Ukraine will never be allowed to join the"));
}

#[test]
fn continuation_block_is_content() {
    // Seed 003, block 17.
    assert!(is_content("NATO and that the alliance’s military equipment is not deployed in the former Soviet states."));
}

#[test]
fn short_real_sentences_are_content() {
    for block in [
        "Biden handled the call from his home in Wilmington, Delaware.",
        "But US officials suggested that the move did not signify a significant demobilization.",
        "“There will be a very careful and very intensive coordination transparency among our partners and allies,” the official said.\u{a0}",
        "What happens next?",
    ] {
        assert!(is_content(block), "{block:?}");
    }
}

#[test]
fn sentences_mentioning_boilerplate_words_are_content() {
    for block in [
        "Millions of people download the game each month, the company said.",
        "Russia wants the US to sign up for a new security treaty.",
        "The Biden/Putin call ended after 50 minutes.",
        "Reporters asked who had contributed to the report, but officials declined to say.",
        "By Thursday, about 100,000 Russian troops had gathered near the border.",
    ] {
        assert!(is_content(block), "{block:?}");
    }
}

#[test]
fn long_paragraph_with_boilerplate_phrase_is_content() {
    let block = format!(
        "{} Sign up for our newsletter.",
        "The talks between Biden and Putin come about two weeks before Americans and Russian diplomats meet in Geneva to discuss the ongoing crisis, officials said on Thursday after the call ended."
            .repeat(2)
    );
    assert!(is_content(&block));
}

#[test]
fn promotion_openers_match_only_with_their_trailing_space_or_colon() {
    // The lexicon's "download ", "click ", "subscribe:" and "follow us " end in a space or colon;
    // an entry that lost it would dismiss these real sentences.
    for block in [
        "Downloads of the app rose to two million this year.",
        "Clicks on the site doubled after the launch.",
        "Subscribers to the service rose by a third.",
        "Follow usual procedures, the manual says.",
    ] {
        assert!(is_content(block), "{block:?}");
    }
    for block in [
        "Download the app for more.",
        "Subscribe: it is free.",
        "Follow us on the app.",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
}

#[test]
fn agency_and_page_captions_are_not_content() {
    for block in [
        "FILE - In this Monday, March 3, 2003, file photo, a farmer walks past a flooded field near Riverton.",
        "FILE- In this June 9, 2011 file photo, the mayor speaks at a ribbon cutting. The city said on Friday the bridge would close.",
        "In this Sunday, Oct. 4, 2020 photo, volunteers load sandbags onto a truck in Millbrook.",
        "In this image taken from video, smoke rises over the harbour.",
        "This image provided by the county sheriff's office shows the suspect's car.",
        "Image copyright Example Agency Image caption The old mill was built in 1850 and closed in 1990",
        "Media playback is unsupported on your device Media caption The minister explains the new rules",
        "View Images A model of the new bridge, which will open in 2030.",
        "EMBED More News Videos A fire destroyed a barn in the valley overnight.",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
}

#[test]
fn captions_closing_on_a_credit_are_not_content() {
    for block in [
        "A firefighter sprays water on a burning warehouse in the port district on Monday. (AP Photo/Jane Doe)",
        "Members of the choir rehearse in the town hall on the eve of the festival. (Jane Doe / Staff Photographer)",
        "Ella Brown, before and after the treatment that let her walk again. (Family photos)",
        "Protesters gather outside the ministry as the vote begins. (Photo: John Roe, Example News)",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
}

#[test]
fn present_tense_captions_of_a_person_are_not_content() {
    for block in [
        "Governor Jane Doe pauses Tuesday during a briefing at the state capitol.",
        "Maria Lopez waves a photo of her son Friday outside the courthouse in Riverton.",
        "Sam hugs his father Sunday. He is wearing a cast on his left arm.",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
}

#[test]
fn prose_near_a_caption_stays_content() {
    for block in [
        // Past tense or a schedule, not a photo's present: news.
        "Governor Jane Doe paused Tuesday during a briefing at the state capitol.",
        "The Senate votes Tuesday on the spending bill.",
        "Jane Doe will hold a news conference Tuesday in Riverton.",
        "Governor Jane Doe says Tuesday's vote will be close.",
        "The president arrives Tuesday in Brussels for the summit.",
        "Apple holds its developer conference Monday.",
        "The deal was signed Tuesday, Jan. 5, 2021, after talks.",
        // A date by weekday, or by date, is how prose dates events; speech is prose.
        "The factory closed on Monday, months after the strike began in March 2019.",
        "She died suddenly on Monday evening, January 23, 2017, at her home in Lakeside.",
        "The mayor said the bridge reopened on Tuesday, May 5, 2015, after repairs.",
        // A writer's aside in brackets, and brackets that are not credits.
        "What emerged looked like a blurry painting (see video below).",
        "The company's profit rose to $3 billion (about £2.4 billion).",
        "The law passed with the support of the Greens (Green Party).",
        // `In this` without a picture, and file words in prose.
        "In this town, everyone knows the baker.",
        "File-sharing services grew quickly in the early 2000s.",
        "Embedded reporters travelled with the troops for six weeks.",
    ] {
        assert!(is_content(block), "{block:?}");
    }
}

#[test]
fn bylines_are_not_content_but_dated_openings_are() {
    for block in [
        "By Jane Doe.",
        "By Jane Doe and John Roe, Example News.",
        "BY JANE DOE",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
    for block in [
        "By Friday.",
        "By Monday, the river had risen two metres.",
        "By March, Jane Doe had left the company.",
    ] {
        assert!(is_content(block), "{block:?}");
    }
}

#[test]
fn social_and_contact_lines_are_not_content() {
    for block in [
        "Follow Jane Doe on Twitter.",
        "For the latest business news, follow @examplenews.",
        "Contact John Roe at jroe@example.com. Follow him on Twitter @jroe.",
        "Jane Doe is a staff writer at the Example Gazette.",
        "The author is a columnist for Example News. The opinions expressed are her own.",
        "Originally published on Example Science.",
        "A version of this article appeared in print on page A3.",
        "Want the morning briefing delivered to your inbox? Sign up here.",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
    for block in [
        "Follow the money, investigators told the committee.",
        "The minister's posts on Twitter drew thousands of replies on Friday.",
        "Rescuers tried for hours to reach her at the bottom of the ravine.",
        "The essay, originally published in 1952, was reprinted this year.",
        "Originally published in 1962, the novel sold millions of copies.",
        "The hotline can be reached at any hour, officials said.",
        "The views expressed in the memo alarmed the board.",
        "Seniors can sign up to get the vaccine on Monday.",
        "Aid workers like us on the front lines need supplies, she said.",
        "Follow the threads of the probe, the judge told the jury on Friday.",
    ] {
        assert!(is_content(block), "{block:?}");
    }
}

#[test]
fn short_reporting_credits_are_not_content_but_reporting_news_is() {
    for block in [
        "Jane Doe reported from Riverton.",
        "Example News's John Roe reported from Lakeside, and Jane Doe contributed from Port Allen.",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
    assert!(is_content(
        "The inspectors, who visited the plant twice last year, reported from the site that two of its four reactors had been shut down for repairs since the summer."
    ));
}

#[test]
fn captions_longer_than_the_caption_limit_are_content() {
    let block = format!(
        "FILE - In this May 5, 2015, file photo, the mayor speaks. {}",
        "The council voted to close the bridge for repairs after engineers found cracks. "
            .repeat(6)
    );
    assert!(block.split_whitespace().count() > CAPTION_MAX_WORDS);
    assert!(is_content(&block));
}
