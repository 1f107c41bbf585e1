//! The quantities a sentence states (counts, ranks and dates) read as the values they allow, so
//! that a claim's number can be checked against cited text however either writes it: "3.7
//! million" is stated by "3,714,000", "twelve" by "12", "more than 500 people" by "654 people",
//! "before November 2016" by "October 11, 2016", "in 2016" by "on 3 May 2016".
//!
//! A quantity is a set of values: "654" is {654}, "3.7 million" is 3.65 to 3.75 million (the text
//! rounded it), "November 2016" is every day of that month, "more than 500" is everything above
//! 500. Cited text states a claim's quantity when the values it allows all lie in the claim's.
//! The citation verifier uses this; the answer step keeps [`super::numbers`], the reading its
//! fitted model was trained on.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::lexicon::{
    CARDINAL_VALUES, COMPARATORS, MONTHS, MONTH_ABBREVIATIONS, ORDINAL_VALUES, SCALE_FACTORS,
    TIME_UNITS, TIME_WORDS,
};
use crate::text::content_terms;

/// What a quantity counts in, and so which quantities it can be compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A number: "654", "3.7 million", "twelve", "50 %".
    Count,
    /// A rank: "fourth", "21st".
    Rank,
    /// A date or a year, counted in days of 12 months of 31 days: "2016", "the 1990s", "November
    /// 2016", "October 11, 2016". Without a year ("December 7") it is a day of the year.
    Date { year: bool },
}

/// How a quantity is bounded by the words before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The value itself: "654 people".
    Exact,
    /// "more than 500", "over 500", "after 2015".
    Above,
    /// "at least 500", "since 2015", "500+".
    AtLeast,
    /// "less than 500", "before 2015".
    Below,
    /// "at most 500", "up to 500", "by 2015".
    AtMost,
    /// "about 500", "nearly 500": within a tenth of it.
    About,
}

/// A quantity a text states.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub kind: Kind,
    /// The least and greatest value written: equal for "654"; 3.65 and 3.75 million for "3.7
    /// million"; the first and last day for "November 2016".
    pub lo: f64,
    pub hi: f64,
    pub bound: Bound,
    /// As written, with its bound and scale: "more than 3.7 million".
    pub text: String,
    /// The text with the word that says what it is: the time word before it ("Thursday 8") or
    /// the word after it ("70 minutes").
    pub phrase: String,
    /// What the number counts or measures: the stems of the nearest content words before it
    /// (skipping its bound) and after it, within its clause ("budget" in "a budget of under 70
    /// crore", "minut" in "50 minutes").
    pub role: Vec<String>,
    /// The unit of time it counts, in the singular: "minute" in "50 minutes" and "a 50-minute
    /// call".
    pub unit: Option<&'static str>,
}

/// The values a quantity allows, as an interval whose ends may be open or infinite.
#[derive(Debug, Clone, Copy)]
struct Allowed {
    lo: f64,
    lo_closed: bool,
    hi: f64,
    hi_closed: bool,
}

impl Allowed {
    /// An interval from its ends, each a value and whether the value itself is allowed.
    fn new((lo, lo_closed): (f64, bool), (hi, hi_closed): (f64, bool)) -> Self {
        Allowed {
            lo,
            lo_closed,
            hi,
            hi_closed,
        }
    }

    /// Whether some value is allowed by both intervals.
    fn meets(&self, other: &Allowed) -> bool {
        let below = |a: &Allowed, b: &Allowed| {
            a.hi < b.lo || (a.hi == b.lo && !(a.hi_closed && b.lo_closed))
        };
        !below(self, other) && !below(other, self)
    }

    fn within(&self, other: &Allowed) -> bool {
        let lower =
            other.lo < self.lo || (other.lo == self.lo && (other.lo_closed || !self.lo_closed));
        let upper =
            other.hi > self.hi || (other.hi == self.hi && (other.hi_closed || !self.hi_closed));
        lower && upper
    }
}

impl Quantity {
    /// A date or a year ("2016", "December 7"), which "before"/"after" may bound.
    pub fn is_date(&self) -> bool {
        matches!(self.kind, Kind::Date { .. })
    }

    /// The values this quantity allows, as a day of the year when `day_of_year` (to compare a
    /// date without a year).
    fn allowed(&self, day_of_year: bool) -> Allowed {
        let (mut lo, mut hi) = (self.lo, self.hi);
        if day_of_year {
            if let Kind::Date { year: true } = self.kind {
                if hi - lo >= DAYS_PER_YEAR {
                    (lo, hi) = (0.0, DAYS_PER_YEAR - 1.0);
                } else {
                    let start = (lo / DAYS_PER_YEAR).floor() * DAYS_PER_YEAR;
                    (lo, hi) = (lo - start, hi - start);
                }
            }
        }
        // A strict bound is read from the value as written: "more than 3.7 million" allows
        // 3.72 million, however the 3.7 was rounded. A date's ends are its first and last day:
        // "after November 2016" is after November 30.
        let (above, below) = if self.is_date() {
            (hi, lo)
        } else {
            ((lo + hi) / 2.0, (lo + hi) / 2.0)
        };
        let infinite = f64::INFINITY;
        match self.bound {
            Bound::Exact => Allowed::new((lo, true), (hi, true)),
            Bound::Above => Allowed::new((above, false), (infinite, false)),
            Bound::AtLeast => Allowed::new((lo, true), (infinite, false)),
            Bound::Below => Allowed::new((-infinite, false), (below, false)),
            Bound::AtMost => Allowed::new((-infinite, false), (hi, true)),
            Bound::About if self.kind == Kind::Count => {
                Allowed::new((lo - 0.1 * lo.abs(), true), (hi + 0.1 * hi.abs(), true))
            }
            Bound::About => Allowed::new((lo, true), (hi, true)),
        }
    }

    fn comparable(&self, other: &Quantity) -> bool {
        self.is_date() == other.is_date() && (self.is_date() || self.kind == other.kind)
    }

    /// Whether `stated` allows only values this quantity allows. A date without a year is
    /// compared as a day of the year ("December 7" is stated by "7 December 2021"); a date with
    /// one is not stated by a date without ("October 11" does not say which year).
    fn allows_all_of(&self, stated: &Quantity) -> bool {
        if matches!(self.kind, Kind::Date { year: true })
            && matches!(stated.kind, Kind::Date { year: false })
        {
            return false;
        }
        // A number of hundreds of digits reads as infinite, and infinity would equal any other.
        let finite = [self.lo, self.hi, stated.lo, stated.hi]
            .iter()
            .all(|v| v.is_finite());
        let day_of_year = matches!(self.kind, Kind::Date { year: false });
        finite
            && self.comparable(stated)
            && stated
                .allowed(day_of_year)
                .within(&self.allowed(day_of_year))
    }

    /// Whether two texts' quantities cannot both be true of one thing: the same kind of number
    /// (a count, a rank or a date, in the same unit of time) with no value both allow. "50
    /// minutes" and "70 minutes" contradict; "50 minutes" and "just under an hour" do not (an
    /// hour is another unit), nor "about 100,000" and "up to 175,000". Whether the two measure
    /// the same thing is the caller's question: this reads only the values.
    pub fn contradicts(&self, other: &Quantity) -> bool {
        self.meets(other) == Some(false)
    }

    /// Whether two texts' quantities can be one figure: the same kind of number, in the same
    /// unit of time, with a value both allow ("about 100,000" and "100,000"; "50 minutes" and
    /// "50-minute").
    pub fn agrees_with(&self, other: &Quantity) -> bool {
        self.meets(other) == Some(true)
    }

    /// Whether some value is allowed by both quantities; `None` when they cannot be compared
    /// (other kinds or units, or a value too large to read).
    fn meets(&self, other: &Quantity) -> Option<bool> {
        let finite = [self.lo, self.hi, other.lo, other.hi]
            .iter()
            .all(|v| v.is_finite());
        if !finite || !self.comparable(other) || self.unit != other.unit {
            return None;
        }
        let day_of_year = matches!(self.kind, Kind::Date { year: false })
            || matches!(other.kind, Kind::Date { year: false });
        Some(self.allowed(day_of_year).meets(&other.allowed(day_of_year)))
    }

    /// Whether the quantities of a cited text state this one. A value must be stated (within
    /// what it allows: "2016" by any date of 2016). A bound must hold for the cited quantity in
    /// the same role, and a strict bound is not stated by its own value: "more than 15
    /// provinces" against "15 provinces".
    pub fn stated_by(&self, stated: &[Quantity]) -> bool {
        if self.bound == Bound::Exact {
            let equal: Vec<&Quantity> = stated
                .iter()
                .filter(|e| self.allows_all_of(e) && (self.unit.is_none() || e.unit == self.unit))
                .collect();
            // The paragraph gives this role another value, and the equal number sits in another
            // role: "10,000 troops" against "100,000 troops ... 10,000 soldiers".
            let shares_role = |e: &Quantity| e.role.iter().any(|r| self.role.contains(r));
            let other_in_role = self
                .named_in_same_role(stated)
                .is_some_and(|e| !self.allows_all_of(e));
            let in_role = equal.iter().any(|e| shares_role(e));
            return !equal.is_empty() && (in_role || !other_in_role);
        }
        if matches!(self.bound, Bound::Above | Bound::Below) {
            let exact = Quantity {
                bound: Bound::Exact,
                ..self.clone()
            };
            let own_value = |e: &Quantity| e.bound == Bound::Exact && exact.allows_all_of(e);
            if stated.iter().any(own_value) {
                return false;
            }
        }
        // Which cited number is in the claim's role is a guess: the one next to the same word
        // and the one nearest in value must both agree ("grossed less than $1.25 million"
        // against "grossed $61,560" on its opening weekend and $1,272,790 in all).
        let nearest = self.nearest(stated.iter().filter(|e| self.comparable(e)));
        nearest.is_some_and(|e| self.allows_all_of(e))
            && self
                .named_in_same_role(stated)
                .is_none_or(|e| self.allows_all_of(e))
    }

    /// The comparable cited quantity sharing the most role words ("50 minutes" for "70
    /// minutes", "December 7" for "December 8"), the nearest in value if several do.
    pub fn named_in_same_role<'a>(&self, stated: &'a [Quantity]) -> Option<&'a Quantity> {
        let shared = |e: &Quantity| e.role.iter().filter(|r| self.role.contains(r)).count();
        let most = stated
            .iter()
            .filter(|e| self.comparable(e))
            .map(shared)
            .max()
            .filter(|most| *most > 0)?;
        self.nearest(
            stated
                .iter()
                .filter(|e| self.comparable(e) && shared(e) == most),
        )
    }

    fn nearest<'a>(&self, candidates: impl Iterator<Item = &'a Quantity>) -> Option<&'a Quantity> {
        let middle = |q: &Quantity| (q.lo + q.hi) / 2.0;
        let distance = |e: &Quantity| {
            if self.is_date() {
                return (middle(self) - middle(e)).abs();
            }
            let (a, b) = (middle(self).abs().max(1e-9), middle(e).abs().max(1e-9));
            (a / b).ln().abs()
        };
        candidates.min_by(|a, b| distance(a).total_cmp(&distance(b)))
    }
}

/// Days in a year as dates count them: 12 months of 31 days.
const DAYS_PER_YEAR: f64 = 372.0;

/// A bound read from the words before a number.
struct Comparator {
    words: Vec<&'static str>,
    bound: Bound,
    dates_only: bool,
}

/// [`COMPARATORS`], longest phrase first, so that "no more than" wins over "more than".
static COMPARATOR_PHRASES: LazyLock<Vec<Comparator>> = LazyLock::new(|| {
    let mut phrases: Vec<Comparator> = COMPARATORS
        .iter()
        .map(|row| {
            let bound = match row.get(1).copied() {
                Some(">") => Bound::Above,
                Some(">=") => Bound::AtLeast,
                Some("<") => Bound::Below,
                Some("<=") => Bound::AtMost,
                Some("~") => Bound::About,
                other => panic!("src/lexicon/comparators.tsv: {other:?} is no bound in {row:?}"),
            };
            Comparator {
                words: row[0].split(' ').collect(),
                bound,
                dates_only: row.get(2) == Some(&"date"),
            }
        })
        .collect();
    phrases.sort_by_key(|c| std::cmp::Reverse(c.words.len()));
    phrases
});

/// A table of words with values, as parsed numbers by word.
fn values(table: &'static [Vec<&'static str>], file: &str) -> HashMap<&'static str, f64> {
    table
        .iter()
        .map(|row| {
            let value = row.get(1).and_then(|v| v.parse().ok());
            let value = value.unwrap_or_else(|| panic!("src/lexicon/{file}: no value in {row:?}"));
            (row[0], value)
        })
        .collect()
}

static CARDINAL: LazyLock<HashMap<&str, f64>> =
    LazyLock::new(|| values(&CARDINAL_VALUES, "cardinals.tsv"));
static ORDINAL: LazyLock<HashMap<&str, f64>> =
    LazyLock::new(|| values(&ORDINAL_VALUES, "ordinals.tsv"));
static SCALE: LazyLock<HashMap<&str, f64>> = LazyLock::new(|| values(&SCALE_FACTORS, "scales.tsv"));

fn lookup(table: &HashMap<&str, f64>, word: &str) -> Option<f64> {
    table.get(word).copied()
}

/// The month a word names (1 to 12): a month ("november") or its abbreviation ("nov", "sept").
fn month(word: &str) -> Option<usize> {
    if let Some(i) = MONTHS.iter().position(|m| *m == word) {
        return Some(i + 1);
    }
    let abbreviation = MONTH_ABBREVIATIONS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(word));
    abbreviation
        .then(|| MONTHS.iter().position(|m| m.starts_with(word)))
        .flatten()
        .map(|i| i + 1)
}

/// A word of the text: as written (punctuation around it removed), lower-case, and whether
/// punctuation ends its clause after it.
struct Token<'a> {
    written: &'a str,
    lower: String,
    clause_ends: bool,
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut tokens: Vec<Token> = Vec::new();
    for raw in text.split_whitespace() {
        let written = raw.trim_matches(|c: char| !c.is_alphanumeric() && !"$£€¥₹%+".contains(c));
        let clause_ends = raw.ends_with([',', ';', ':', '.', '!', '?', ')', '(', '"', '”']);
        // A currency sign written apart ("$ 169.3 million") belongs to the number after it.
        if written.is_empty() || written.chars().all(|c| "$£€¥₹".contains(c)) {
            // Punctuation written apart ("April 20 , 2020") ends the clause of the word before.
            if let Some(last) = tokens.last_mut() {
                last.clause_ends |= clause_ends || raw.starts_with([',', ';', ':', '(', ')']);
            }
            continue;
        }
        tokens.push(Token {
            written,
            lower: written.to_lowercase(),
            clause_ends,
        });
    }
    tokens
}

/// One value read, before its bound: kind, least and greatest value, and whether written
/// "500+".
struct Read {
    kind: Kind,
    lo: f64,
    hi: f64,
    plus: bool,
}

/// The quantities a text states, in order.
pub fn quantities(text: &str) -> Vec<Quantity> {
    let tokens = tokens(text);
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let read = date_at(&tokens, i)
            .or_else(|| digits_at(&tokens, i))
            .or_else(|| words_at(&tokens, i));
        let Some((reads, end)) = read else {
            i += 1;
            continue;
        };
        let written = tokens[i..end]
            .iter()
            .map(|t| t.written)
            .collect::<Vec<_>>()
            .join(" ");
        for (k, read) in reads.into_iter().enumerate() {
            let mut quantity = Quantity {
                kind: read.kind,
                lo: read.lo,
                hi: read.hi,
                bound: if read.plus {
                    Bound::AtLeast
                } else {
                    Bound::Exact
                },
                text: written.clone(),
                phrase: String::new(),
                role: Vec::new(),
                unit: time_unit(&tokens, end),
            };
            // Only the first number of a token ("10-12", "3:35") follows the bound's words.
            let mut start = i;
            if k == 0 && !read.plus {
                start -= bound_before(&tokens, i, &mut quantity);
            }
            // A bound's own words may name the role too: "an estimated 100,000 troops".
            quantity.role = role(&tokens, start, end);
            quantity.role.extend(
                tokens[start..i]
                    .iter()
                    .flat_map(|t| content_terms(&t.lower)),
            );
            quantity.phrase = phrase(&tokens, start, end, &quantity.text);
            found.push(quantity);
        }
        i = end;
    }
    found
}

/// The unit of time of the number that ends before `end`: the rest of its token ("50-minute")
/// or the word after it ("50 minutes").
fn time_unit(tokens: &[Token], end: usize) -> Option<&'static str> {
    let last = &tokens[end - 1];
    // The rest of "10-12" is a number, not a unit: then the word after says it ("10-12 minutes").
    let glued = last
        .lower
        .rsplit('-')
        .next()
        .filter(|_| last.lower.contains('-'));
    let after = tokens
        .get(end)
        .filter(|_| !last.clause_ends)
        .map(|t| t.lower.as_str());
    let unit = |word: &str| {
        let singular = word.strip_suffix('s').unwrap_or(word);
        TIME_UNITS
            .iter()
            .find(|u| **u == word || **u == singular)
            .copied()
    };
    glued.and_then(unit).or_else(|| after.and_then(unit))
}

/// `text` with the time word before it, or else the word after it in its clause.
fn phrase(tokens: &[Token], start: usize, end: usize, text: &str) -> String {
    let time_word = start
        .checked_sub(1)
        .map(|j| &tokens[j])
        .filter(|t| !t.clause_ends && TIME_WORDS.contains(&t.lower.as_str()));
    if let Some(before) = time_word {
        return format!("{} {text}", before.written);
    }
    let after = tokens
        .get(end)
        .filter(|t| !tokens[end - 1].clause_ends && t.lower.chars().all(char::is_alphabetic));
    match after {
        Some(after) => format!("{text} {}", after.written),
        None => text.to_string(),
    }
}

/// The stems of the nearest content words before `start` (within three words) and from `end`
/// (within two), in the quantity's clause.
fn role(tokens: &[Token], start: usize, end: usize) -> Vec<String> {
    let content = |t: &Token| {
        if t.lower.chars().all(char::is_alphabetic) {
            content_terms(&t.lower)
        } else {
            Vec::new()
        }
    };
    let before = tokens[start.saturating_sub(3)..start]
        .iter()
        .rev()
        .take_while(|t| !t.clause_ends)
        .map(content)
        .find(|terms| !terms.is_empty());
    let after = if tokens[end - 1].clause_ends {
        None
    } else {
        let mut clause_over = false;
        tokens[end..]
            .iter()
            .take(2)
            .take_while(|t| !std::mem::replace(&mut clause_over, t.clause_ends))
            .map(content)
            .find(|terms| !terms.is_empty())
    };
    before.into_iter().chain(after).flatten().collect()
}

/// Reads the bound before the quantity at `start`, if any, puts it in front of its text, and
/// returns how many words it has.
fn bound_before(tokens: &[Token], start: usize, quantity: &mut Quantity) -> usize {
    for comparator in COMPARATOR_PHRASES.iter() {
        let n = comparator.words.len();
        let Some(from) = start.checked_sub(n) else {
            continue;
        };
        let matches = tokens[from..start]
            .iter()
            .zip(&comparator.words)
            .all(|(t, w)| t.lower == *w);
        if matches && (!comparator.dates_only || quantity.is_date()) {
            quantity.bound = comparator.bound;
            quantity.text = format!("{} {}", comparator.words.join(" "), quantity.text);
            return n;
        }
    }
    0
}

/// A whole number in digits, if the token is one ("2016", "21st" gives 21).
fn whole(token: &str) -> Option<u32> {
    let digits = token.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &token[digits.len()..];
    let ordinal_or_none = ["", "st", "nd", "rd", "th"].contains(&suffix);
    (ordinal_or_none && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

fn is_year(token: &str) -> Option<u32> {
    let year = whole(token).filter(|y| (1000..=2100).contains(y))?;
    (token.len() == 4).then_some(year)
}

/// The day of the month a token gives ("7", "21st"), if it is one.
fn day(token: &Token) -> Option<u32> {
    whole(&token.lower).filter(|d| (1..=31).contains(d))
}

/// `count` whole years from `first` ("2016" is one, "the 1990s" ten).
fn years(first: u32, count: u32, plus: bool) -> Read {
    let start = first as f64 * DAYS_PER_YEAR;
    Read {
        kind: Kind::Date { year: true },
        lo: start,
        hi: start + count as f64 * DAYS_PER_YEAR - 1.0,
        plus,
    }
}

fn date_read(year: Option<u32>, month: usize, day: Option<u32>) -> Read {
    let start = year.map_or(0.0, |y| y as f64 * DAYS_PER_YEAR) + (month as f64 - 1.0) * 31.0;
    let (lo, hi) = match day {
        Some(d) => (start + d as f64 - 1.0, start + d as f64 - 1.0),
        None => (start, start + 30.0),
    };
    Read {
        kind: Kind::Date {
            year: year.is_some(),
        },
        lo,
        hi,
        plus: false,
    }
}

/// A date naming its month: "October 11, 2016", "11 October 2016", "October 2016", "October
/// 11", "11 October", and the index after it.
fn date_at(tokens: &[Token], i: usize) -> Option<(Vec<Read>, usize)> {
    let year_at = |j: usize| tokens.get(j).and_then(|t| is_year(&t.lower));
    // A day and month (either order) take the year after them if there is one.
    let with_year = |m: usize, d: u32| {
        let y = year_at(i + 2);
        (
            vec![date_read(y, m, Some(d))],
            i + 2 + usize::from(y.is_some()),
        )
    };
    if let Some(m) = month(&tokens[i].lower) {
        // "May" and "March" are words too: a month needs a day or a year beside it.
        if let Some(d) = tokens.get(i + 1).and_then(day) {
            return Some(with_year(m, d));
        }
        let y = year_at(i + 1)?;
        return Some((vec![date_read(Some(y), m, None)], i + 2));
    }
    let d = day(&tokens[i])?;
    let m = tokens.get(i + 1).and_then(|t| month(&t.lower))?;
    Some(with_year(m, d))
}

/// The numbers of a token written in digits ("2,500", "$3.7bn", "21st", "2016", "1990s",
/// "10-12", "3:35", "E.164"), with a scale word after it ("3.7 million"), and the index after
/// what was read.
fn digits_at(tokens: &[Token], i: usize) -> Option<(Vec<Read>, usize)> {
    let token = &tokens[i].lower;
    let parts: Vec<&str> = token.split(['-', '–', '—', ':', '/']).collect();
    let mut reads = Vec::new();
    let mut end = i + 1;
    let last = parts.len() - 1;
    for (k, part) in parts.iter().enumerate() {
        // A name with a number in it ("E.164", "+992") is read from its first digit.
        let Some(from) = part.find(|c: char| c.is_ascii_digit()) else {
            continue;
        };
        let part = &part[from..];
        let digits_end = part
            .find(|c: char| !c.is_ascii_digit() && c != ',' && c != '.')
            .unwrap_or(part.len());
        let number = part[..digits_end].trim_end_matches([',', '.']);
        let suffix = &part[number.len()..];
        let Ok(mut value) = number.replace(',', "").parse::<f64>() else {
            continue;
        };
        let decimals = number.split_once('.').map_or(0, |(_, d)| d.len());
        // "1990s": the decade's years.
        if let (Some(year), "s" | "'s") = (is_year(number), suffix) {
            reads.push(years(year, 10, false));
            continue;
        }
        let kind = if ["st", "nd", "rd", "th"].contains(&suffix) {
            Kind::Rank
        } else {
            Kind::Count
        };
        let plus = suffix == "+";
        // A scale glued on ("3.7bn") or, after the token's last number, the next word.
        let mut scale = lookup(&SCALE, suffix);
        if scale.is_none() && k == last && suffix.is_empty() && !tokens[i].clause_ends {
            scale = tokens.get(i + 1).and_then(|t| lookup(&SCALE, &t.lower));
            if scale.is_some() {
                end = i + 2;
            }
        }
        let mut rounding = 0.0;
        if let Some(scale) = scale {
            value *= scale;
            if decimals > 0 {
                rounding = 0.5 * 10f64.powi(-(decimals as i32)) * scale;
            }
        }
        let year = is_year(number).filter(|_| scale.is_none() && kind == Kind::Count);
        reads.push(match year {
            Some(year) => years(year, 1, plus),
            None => Read {
                kind,
                lo: value - rounding,
                hi: value + rounding,
                plus,
            },
        });
    }
    (!reads.is_empty()).then_some((reads, end))
}

/// A number written in words ("twelve", "twenty-four", "two hundred", "three million",
/// "four-and-a-half", "sixth"), and the index after it. "One" alone is a pronoun more often than
/// a number, so it is read only before a scale ("one hundred").
fn words_at(tokens: &[Token], i: usize) -> Option<(Vec<Read>, usize)> {
    let number_word =
        |w: &str| lookup(&CARDINAL, w).is_some() || lookup(&SCALE, w).is_some() || w == "half";
    let mut parts: Vec<&str> = Vec::new();
    let mut end = i;
    while let Some(token) = tokens.get(end) {
        let token_parts: Vec<&str> = token.lower.split('-').collect();
        let part_fits = |(k, w): (usize, &&str)| {
            number_word(w)
                || lookup(&ORDINAL, w).is_some() && k + 1 == token_parts.len()
                || (matches!(*w, "and" | "a") && k > 0)
        };
        // A compound led by a number ("two-year", "five-star") is read up to its first word.
        let leading = token_parts
            .iter()
            .enumerate()
            .take_while(|&p| part_fits(p))
            .count();
        if parts.is_empty() && leading > 0 && leading < token_parts.len() {
            parts.extend(&token_parts[..leading]);
            end += 1;
            break;
        }
        let fits = leading == token_parts.len();
        // "and" joins "one hundred and twenty"; "and a half" ends a number.
        let joins = !parts.is_empty()
            && !tokens[end - 1].clause_ends
            && matches!(token.lower.as_str(), "and" | "a")
            && tokens.get(end + 1).is_some_and(|next| {
                number_word(&next.lower) || (next.lower == "a" && token.lower == "and")
            });
        if !(fits || joins) || (!parts.is_empty() && tokens[end - 1].clause_ends) {
            break;
        }
        let ended_by_ordinal = token_parts
            .last()
            .is_some_and(|w| lookup(&ORDINAL, w).is_some());
        parts.extend(token_parts);
        end += 1;
        if ended_by_ordinal {
            break;
        }
    }
    let first = *parts.first()?;
    if lookup(&SCALE, first).is_some() || matches!(first, "half" | "and" | "a") || parts == ["one"]
    {
        return None;
    }
    let (mut total, mut current, mut kind) = (0.0, 0.0, Kind::Count);
    for part in &parts {
        if let Some(scale) = lookup(&SCALE, part) {
            if scale < 1000.0 {
                current = f64::max(current, 1.0) * scale;
            } else {
                total += f64::max(current, 1.0) * scale;
                current = 0.0;
            }
        } else if let Some(value) = lookup(&CARDINAL, part) {
            current += value;
        } else if let Some(value) = lookup(&ORDINAL, part) {
            current += value;
            kind = Kind::Rank;
        } else if *part == "half" {
            current += 0.5;
        }
    }
    let value = total + current;
    Some((
        vec![Read {
            kind,
            lo: value,
            hi: value,
            plus: false,
        }],
        end,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values_of(text: &str) -> Vec<(f64, Bound)> {
        quantities(text)
            .into_iter()
            .map(|q| ((q.lo + q.hi) / 2.0, q.bound))
            .collect()
    }

    fn stated(claim: &str, evidence: &str) -> bool {
        let evidence = quantities(evidence);
        let claim = quantities(claim);
        assert!(!claim.is_empty(), "no number read");
        claim.iter().all(|q| q.stated_by(&evidence))
    }

    fn contradict(a: &str, b: &str) -> bool {
        let (a, b) = (quantities(a), quantities(b));
        assert!(!a.is_empty() && !b.is_empty(), "no number read");
        a.iter().any(|q| b.iter().any(|e| q.contradicts(e)))
    }

    #[test]
    fn quantities_agree_when_a_value_fits_both_and_they_can_be_compared() {
        let agree = |a: &str, b: &str| quantities(a)[0].agrees_with(&quantities(b)[0]);
        assert!(agree("50 minutes", "a 50-minute call"));
        assert!(agree("about 100,000 troops", "100,000 troops"));
        assert!(!agree("50 minutes", "70 minutes"));
        assert!(!agree("50 minutes", "50 days"));
        assert!(!agree("the fourth time", "4 times"));
    }

    #[test]
    fn quantities_contradict_only_when_no_value_fits_both() {
        assert!(contradict("it lasted 50 minutes", "it lasted 70 minutes"));
        assert!(contradict("10,000 troops", "100,000 troops"));
        assert!(contradict("on December 7", "on December 8, 2021"));
        assert!(contradict("more than 500 people", "450 people"));
        // Rounding, bounds, other units and other kinds of number are compatible.
        assert!(!contradict("50 minutes", "just under 1 hour"));
        assert!(!contradict("50 minutes", "just under 60 minutes"));
        assert!(!contradict("about 100,000 troops", "roughly 95,000 troops"));
        assert!(!contradict("up to 175,000 troops", "100,000 troops"));
        assert!(!contradict("3.7 million", "3,714,000"));
        assert!(!contradict("in 2021", "on December 7, 2021"));
        assert!(!contradict("the fourth time", "4 times"));
        assert!(!contradict("50 minutes", "50 days"));
    }

    #[test]
    fn numbers_are_read_in_their_written_forms() {
        assert_eq!(values_of("It sold 2,500 copies."), [(2500.0, Bound::Exact)]);
        assert_eq!(
            values_of("It earned $3.7 million."),
            [(3.7e6, Bound::Exact)]
        );
        assert_eq!(
            values_of("It earned $3.714million."),
            [(3.714e6, Bound::Exact)]
        );
        assert_eq!(values_of("a budget of 12 crore"), [(1.2e8, Bound::Exact)]);
        assert_eq!(values_of("twenty-four days"), [(24.0, Bound::Exact)]);
        assert_eq!(values_of("two hundred and five"), [(205.0, Bound::Exact)]);
        assert_eq!(values_of("three million people"), [(3e6, Bound::Exact)]);
        assert_eq!(values_of("four-and-a-half stars"), [(4.5, Bound::Exact)]);
        assert_eq!(values_of("four and a half stars"), [(4.5, Bound::Exact)]);
        assert_eq!(values_of("a 69-year-old man"), [(69.0, Bound::Exact)]);
        assert_eq!(values_of("a two-year contract"), [(2.0, Bound::Exact)]);
        assert_eq!(
            values_of("won 3-1"),
            [(3.0, Bound::Exact), (1.0, Bound::Exact)]
        );
        assert_eq!(values_of("code +992"), [(992.0, Bound::Exact)]);
        assert_eq!(values_of("E.164"), [(164.0, Bound::Exact)]);
        assert!(values_of("One of them left.").is_empty());
        assert_eq!(values_of("one hundred left"), [(100.0, Bound::Exact)]);
        let ranks = quantities("its 21st week, the sixth, twenty-fourth");
        assert!(ranks.iter().all(|q| q.kind == Kind::Rank), "{ranks:?}");
        assert_eq!(
            ranks.iter().map(|q| q.lo).collect::<Vec<_>>(),
            [21.0, 6.0, 24.0]
        );
    }

    #[test]
    fn dates_are_read_with_what_they_name() {
        let kinds = |text: &str| {
            quantities(text)
                .into_iter()
                .map(|q| (q.kind, q.hi - q.lo))
                .collect::<Vec<_>>()
        };
        let (dated, undated) = (Kind::Date { year: true }, Kind::Date { year: false });
        assert_eq!(kinds("on October 11, 2016"), [(dated, 0.0)]);
        assert_eq!(kinds("on 11 October 2016"), [(dated, 0.0)]);
        assert_eq!(kinds("in October 2016"), [(dated, 30.0)]);
        assert_eq!(kinds("in 2016"), [(dated, 371.0)]);
        assert_eq!(kinds("in the 1990s"), [(dated, 3719.0)]);
        assert_eq!(kinds("on December 7"), [(undated, 0.0)]);
        // A month alone is no date, and "May" is a word too.
        assert!(kinds("in May they may go").is_empty());
        assert_eq!(
            quantities("They spoke on Thursday 8.")[0].phrase,
            "Thursday 8"
        );
    }

    #[test]
    fn bounds_are_read_from_the_words_before() {
        assert_eq!(values_of("more than 500"), [(500.0, Bound::Above)]);
        assert_eq!(values_of("no more than 500"), [(500.0, Bound::AtMost)]);
        assert_eq!(values_of("nearly 3.7 million"), [(3.7e6, Bound::About)]);
        assert_eq!(values_of("500+ people"), [(500.0, Bound::AtLeast)]);
        assert_eq!(quantities("before 2016")[0].bound, Bound::Below);
        // "before" bounds dates only.
        assert_eq!(values_of("before 50 people"), [(50.0, Bound::Exact)]);
        let over = &quantities("over 50 minutes")[0];
        assert_eq!(
            (over.text.as_str(), over.phrase.as_str()),
            ("over 50", "over 50 minutes")
        );
        // The phrase stays in the number's clause.
        assert_eq!(
            quantities("over $9.5 million, Book Club")[0].phrase,
            "over $9.5 million"
        );
    }

    #[test]
    fn a_number_is_stated_however_it_is_written() {
        assert!(stated(
            "It earned 3.7 million dollars.",
            "It earned $3,714,000."
        ));
        assert!(!stated(
            "It earned $3,714,000.",
            "It earned 3.7 million dollars."
        ));
        assert!(stated("Twelve died.", "12 people died."));
        assert!(stated(
            "4.5 out of 5 stars",
            "four-and-a-half out of five stars"
        ));
        assert!(!stated("70 minutes", "They spoke for 50 minutes."));
        assert!(!stated("The code is +991.", "The code is +992."));
        assert!(!stated("It lasted 50 hours.", "It lasted 50 minutes."));
        assert!(stated("It lasted 50 minutes.", "It was a 50-minute call."));
        assert!(!stated(
            "Russia has 10,000 troops there.",
            "Russia has 100,000 troops there and sent 10,000 soldiers home."
        ));
        assert!(!stated(
            "Russia has an estimated 10,000 troops there.",
            "Russia has an estimated 100,000 troops there and withdrew 10,000 troops."
        ));
        assert!(stated(
            "Russia sent 10,000 soldiers home.",
            "Russia has 100,000 troops there and sent 10,000 soldiers home."
        ));
    }

    #[test]
    fn a_date_is_stated_by_a_date_within_it() {
        assert!(stated("released in 2016", "released on October 11, 2016"));
        assert!(stated(
            "released in October 2016",
            "released on October 11 , 2016"
        ));
        assert!(!stated(
            "released in November 2016",
            "released on October 11, 2016"
        ));
        assert!(!stated("released on October 11, 2016", "released in 2016"));
        assert!(stated("on December 7", "on 7 December 2021"));
        assert!(!stated("on December 8", "on 7 December 2021"));
        assert!(stated(
            "released before November 2016",
            "released on October 11, 2016"
        ));
        assert!(!stated(
            "released after November 2016",
            "released on October 11, 2016"
        ));
        assert!(stated(
            "founded before September 29 , 1872",
            "founded on September 18 , 1872"
        ));
        assert!(stated("founded in the 1990s", "founded in 1994"));
    }

    #[test]
    fn a_bound_holds_for_the_number_in_the_same_role() {
        assert!(stated("more than 500 people came", "654 people came"));
        assert!(!stated("more than 500 people came", "450 people came"));
        assert!(stated("more than 400 people", "more than 500 people"));
        assert!(!stated("more than 500 people", "more than 400 people"));
        assert!(!stated(
            "in more than 15 provinces",
            "cases in 15 out of 28 provinces"
        ));
        assert!(!stated(
            "grossed less than $ 169.3 million",
            "grossed $ 169.3 million"
        ));
        assert!(!stated(
            "a less than two-year contract",
            "a two-year contract"
        ));
        // The bound is checked against the destinations, not the departures.
        assert!(!stated(
            "flies to more than 100 destinations",
            "with over 250 daily departures to 95 destinations"
        ));
        assert!(stated("about 500 people", "480 people"));
        assert!(!stated("about 500 people", "400 people"));
        assert!(stated("released before 2016", "released in 2014"));
        assert!(!stated("released after 2016", "released in 2014"));
        // The number in the claim's role is a guess: the one beside the same word (the budget)
        // and the nearest in value (the earnings) must both hold the bound.
        assert!(stated(
            "a budget of under 70 crore",
            "It earned 83.32 crore on a budget of 65 crore."
        ));
        assert!(!stated(
            "a budget of under 70 crore",
            "It earned 73.32 crore on a budget of 65 crore."
        ));
        assert!(!stated(
            "grossed less than $1.25 million",
            "It grossed $61,560 on its opening weekend and a total of $1,272,790."
        ));
        // A bound is not an exact number.
        assert!(!stated("500 people came", "more than 500 people came"));
    }

    #[test]
    fn a_rounded_bound_is_read_from_its_written_value() {
        assert!(!stated(
            "more than 3.72 million",
            "more than 3.7 million people"
        ));
        assert!(!stated("less than 3.68 million", "less than 3.7 million"));
        assert!(stated("more than 3.7 million", "3.8 million"));
        assert!(stated("more than 3.72 million", "more than 3.8 million"));
    }

    #[test]
    fn a_year_is_not_stated_by_a_date_without_one() {
        assert!(!stated(
            "released on October 11, 1999",
            "released on October 11"
        ));
        assert!(!stated(
            "released before November 2016",
            "released on October 11"
        ));
        assert!(!stated("founded since 2015", "founded on December 7"));
        assert!(!stated("founded by 2016", "founded on December 7"));
    }

    #[test]
    fn a_unit_after_a_range_is_kept() {
        assert_eq!(quantities("10-12 minutes")[1].unit, Some("minute"));
        assert!(!stated("It took 10-12 minutes.", "It took 10-12 hours."));
        assert!(stated("It took 10-12 minutes.", "It took 10-12 minutes."));
    }

    #[test]
    fn odd_text_reads_without_panicking() {
        let long = "9".repeat(400);
        for text in [
            "",
            "...",
            "$",
            "%",
            "-",
            "---",
            "1,,,2",
            "..5",
            "٣",
            "Ⅻ",
            "😀 5",
            "in May",
            "may",
            "5 million",
            "1e400",
            &long,
            "more than",
            "İstanbul 5",
            "twenty-",
            "and a half",
            "5 million million",
            "31st May",
            "5+",
            "++5",
        ] {
            for q in quantities(text) {
                let _ = q.stated_by(&quantities("In May 2016 some 5 million people, 1e400 %."));
            }
        }
        // A number too long to hold is infinite: it states nothing and is never stated.
        assert!(!stated(&long, &"9".repeat(500)));
        assert!(!stated(&long, &long));
    }

    #[test]
    fn the_tables_parse() {
        assert!(!COMPARATOR_PHRASES.is_empty());
        for table in [&*CARDINAL, &*ORDINAL, &*SCALE] {
            assert!(table
                .iter()
                .all(|(w, v)| *w == w.to_lowercase() && *v > 0.0));
        }
        assert!(COMPARATORS
            .iter()
            .all(|row| row[0] == row[0].to_lowercase()));
        assert_eq!(MONTHS.len(), 12);
        assert_eq!(month("sept"), Some(9));
        assert_eq!(month("may"), Some(5));
        assert_eq!(month("ma"), None);
    }
}
