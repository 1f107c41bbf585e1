//! Signals that read what a sentence states: the numbers it gives and how they are written,
//! whether it is negated, the antonyms of its words, the names and numbers a question asks
//! about, and the kind of fact a question wants (a number for "how many", a time for "when").
//!
//! These are the contradiction and fact signals: the answer step weighs them as evidence that a
//! sentence says something other than what is asked ("prices decreased" for "when did prices
//! increase?"), and the coming citation verifier will reuse them to check a claim against the
//! sentence it cites. They read text only: the word lists come from [`crate::lexicon`], and
//! nothing here knows the index or the model.

mod antonyms;
mod fact_kind;
mod names;
mod negation;
mod numbers;
mod quantities;
mod roles;

pub use antonyms::{antonyms_of, has_antonym_instead, word_forms};
pub use fact_kind::FactKind;
pub use names::names_and_numbers;
pub use negation::is_negated;
pub use numbers::{changed_number, numbers, NumberForm};
pub use quantities::{quantities, Bound, Quantity};
pub use roles::swapped_role;
