//! The two fitted logistic models that weigh the evidence: the ranking model picks the sentence
//! that holds the answer, the answerability model decides whether the best sentence answers at
//! all.
//!
//! They are fitted by `scripts/fit_support_model.py` on four SQuAD 2.0 articles (see EVAL.md for
//! the data and the held-out results), which writes their weights to `support_model.tsv`: one
//! row per feature, by name, with its weight in each model, then the biases. The file is compiled
//! in and read once; its rows must name the features in the code's order, so that a reordered
//! feature fails a test instead of silently taking another feature's weight. Each weight's sign is
//! fixed by what its signal means and the answerability model's paragraph-coverage weight is a
//! prior (2.0), not a fit; the script says why. The weights say how much each signal counts in
//! general, not facts about any one article.

/// The shipped weights, as named in messages.
pub(super) const WEIGHTS_FILE: &str = "src/answer/support_model.tsv";

/// The titles of the articles whose questions the shipped models were fitted on
/// (`support_model_articles.txt`, written beside the weights by the fit script): figures
/// measured on their questions are in-sample.
pub fn fitted_articles() -> impl Iterator<Item = &'static str> {
    include_str!("support_model_articles.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// The columns of the weights file.
const HEADER: [&str; 3] = ["feature", "ranking", "answerability"];
/// The name of the biases' row, after the features'.
const BIAS_ROW: &str = "bias";

/// A logistic model over `N` features.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Logistic<const N: usize> {
    weights: [f32; N],
    bias: f32,
}

impl<const N: usize> Logistic<N> {
    /// The model's probability for the features `x`.
    pub(super) fn probability(&self, x: &[f32; N]) -> f32 {
        let z = self.bias + x.iter().zip(&self.weights).map(|(x, w)| x * w).sum::<f32>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// The ranking and the answerability model, over the same features.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SupportModels<const N: usize> {
    pub ranking: Logistic<N>,
    pub answerability: Logistic<N>,
}

impl<const N: usize> SupportModels<N> {
    /// The shipped models, for the features named `features`, in that order.
    pub(super) fn shipped(features: &[&str; N]) -> Result<Self, String> {
        Self::parse(include_str!("support_model.tsv"), features)
    }

    /// Reads a weights file: the [`HEADER`], a row for each of `features` in order, the
    /// [`BIAS_ROW`], and nothing else; blank lines and `#` comments are skipped. Numbers are read
    /// as `f32` directly (correctly rounded), so a weight is the `f32` nearest to what the file
    /// says.
    fn parse(text: &str, features: &[&str; N]) -> Result<Self, String> {
        let mut rows = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| line.split('\t').collect::<Vec<_>>());
        if rows.next().as_deref() != Some(&HEADER[..]) {
            return Err(format!("the first row must be {:?}", HEADER.join("\t")));
        }
        let mut row = |name: &str| -> Result<[f32; 2], String> {
            let Some(fields) = rows.next() else {
                return Err(format!("the row of {name:?} is missing"));
            };
            if fields[0] != name {
                return Err(format!(
                    "found the row {:?} where {name:?} belongs",
                    fields[0]
                ));
            }
            let [_, ranking, answerability] = fields[..] else {
                return Err(format!(
                    "the row of {name:?} does not have {} columns",
                    HEADER.len()
                ));
            };
            let number = |field: &str| {
                field
                    .trim()
                    .parse::<f32>()
                    .map_err(|e| format!("{field:?} in the row of {name:?}: {e}"))
            };
            Ok([number(ranking)?, number(answerability)?])
        };
        let mut ranking = [0.0; N];
        let mut answerability = [0.0; N];
        for (i, name) in features.iter().enumerate() {
            [ranking[i], answerability[i]] = row(name)?;
        }
        let [ranking_bias, answerability_bias] = row(BIAS_ROW)?;
        if let Some(extra) = rows.next() {
            return Err(format!("unexpected row {:?} after the biases", extra[0]));
        }
        Ok(SupportModels {
            ranking: Logistic {
                weights: ranking,
                bias: ranking_bias,
            },
            answerability: Logistic {
                weights: answerability,
                bias: answerability_bias,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEATURES: [&str; 2] = ["a", "b"];

    fn parse(text: &str) -> Result<SupportModels<2>, String> {
        SupportModels::parse(text, &FEATURES)
    }

    #[test]
    fn weights_are_read_by_feature_name() {
        let models = parse(
            "# a comment\nfeature\tranking\tanswerability\na\t1.5\t-0.25\n\nb\t0.000\t2\nbias\t-4.415\t0.5\n",
        )
        .unwrap();
        assert_eq!(
            models.ranking,
            Logistic {
                weights: [1.5, 0.0],
                bias: -4.415
            }
        );
        assert_eq!(
            models.answerability,
            Logistic {
                weights: [-0.25, 2.0],
                bias: 0.5
            }
        );
    }

    #[test]
    fn a_file_that_does_not_name_the_features_in_order_is_rejected() {
        let header = "feature\tranking\tanswerability\n";
        let with = |rows: &str| parse(&format!("{header}{rows}"));
        // Swapped rows would give each feature the other's weights.
        assert!(with("b\t1\t2\na\t1\t2\nbias\t0\t0\n").is_err());
        assert!(with("a\t1\t2\nbias\t0\t0\n").is_err());
        assert!(with("a\t1\t2\nb\t1\t2\n").is_err());
        assert!(with("a\t1\t2\nb\t1\t2\nbias\t0\t0\nc\t1\t2\n").is_err());
        assert!(with("a\t1\t2\nb\t1\nbias\t0\t0\n").is_err());
        assert!(with("a\t1\t2\nb\t1\t2\t3\nbias\t0\t0\n").is_err());
        assert!(with("a\t1\t2\nb\t1\tx\nbias\t0\t0\n").is_err());
        assert!(parse("a\t1\t2\nb\t1\t2\nbias\t0\t0\n").is_err());
        assert!(with("a\t1\t2\nb\t1\t2\nbias\t0\t0\n").is_ok());
    }

    #[test]
    fn a_model_is_the_logistic_of_its_weighted_sum() {
        let model = Logistic {
            weights: [1.0, -2.0],
            bias: 0.5,
        };
        // z = 0.5 + 1 * 0.5 - 2 * 0.5 = 0.
        assert_eq!(model.probability(&[0.5, 0.5]), 0.5);
        assert!((model.probability(&[1.0, 0.0]) - 1.0 / (1.0 + (-1.5f32).exp())).abs() < 1e-7);
    }
}
