#!/usr/bin/env python3
"""Fit the two logistic models of footnote's answer step (`src/answer/support_model.rs`) over the
evidence features of shortlisted sentences:

Both are fitted with each weight's sign fixed (see SIGNS).

1. the ranking model: does this sentence hold the answer? (per sentence; label: the question is
   answerable and the sentence contains a gold answer);
2. the answerability model: is the question answered at all, judged from the features of the
   sentence the ranking model puts first? (per question; label: answerable). Its bias is shifted
   so that footnote's cut, probability 0.5, is the one that maximises balanced accuracy (the
   mean of the shares of answerable questions answered and of unanswerable ones abstained on):
   the cut must not depend on how many unanswerable questions the fitted data happens to hold
   (a third of SQuAD 2.0 train, half of its dev set).

Data: `footnote eval qa FILE --features-out features.jsonl`, one or more such files (for
example the shared SQuAD sample and articles of the SQuAD 2.0 train split converted by
`scripts/squad_to_jsonl.py`). Cross-validation by article: fit on every other article's
questions, test on the held-out article's, for each article in turn, and report held-out
numbers; the shipped weights are then fitted on all the rows, or on those of the file named by
`--fit`, and written with `--write` to the data file footnote compiles in (one row per feature,
by name, with its ranking and answerability weight, then the biases; without `--write` the file
is printed). footnote checks that the file's rows name its features in its order. Plain Python,
no packages:

    python3 scripts/fit_support_model.py features.jsonl [more-features.jsonl ...] \\
        --write src/answer/support_model.tsv
"""
import argparse
import os
import json
import math
from collections import defaultdict

# The features in the order of `Evidence::FEATURE_NAMES` (src/answer/evidence.rs): the rows of
# the weights file must name them in that order.
FEATURES = [
    "similarity",
    "paragraph_similarity",
    "sentence_coverage",
    "paragraph_coverage",
    "missing_name_or_number",
    "sentence_bigram_coverage",
    "negation_mismatch",
    "antonym_in_sentence",
    "changed_number",
]
# The direction of each signal is fixed by what it means, and only its size is fitted: evidence
# that the question's words and meaning are found can only add support; a missing name, a
# negation mismatch, an antonym and a changed number can only take it away. Without this, the
# fit learns artefacts of one data set (SQuAD 2.0's unanswerable questions were written by
# copying a paragraph's words, so there more overlap means less answerable, which is false for
# real questions).
SIGNS = [+1, +1, +1, +1, -1, +1, -1, -1, -1]
# Weights held fixed in the answerability model, as priors rather than fits. How much of the
# question's content the paragraph covers is what makes an off-topic question abstain; SQuAD 2.0
# cannot teach it (its unanswerable questions reuse the paragraph's words by construction), so the
# fit would leave it at zero.
SUPPORT_FIXED = {"paragraph_coverage": 2.0}


def load(path, questions=None):
    questions = defaultdict(list) if questions is None else questions
    for line in open(path):
        r = json.loads(line)
        r["x"] = [float(r["evidence"][f]) for f in FEATURES]
        questions[r["id"]].append(r)
    return questions


def fit(xs, ys, l2=3e-4, steps=2000, lr=1.0, fixed=None):
    """Batch gradient descent on the mean log loss; features are all in [0, 1].

    `l2` was chosen with the cross-validation below (held-out means: 1e-3 0.647, 3e-4 0.657,
    1e-4 0.655, 0 0.661): the signs that the answer is contradicted fire on few questions, and
    1e-3 kept their weights too small to outvote high similarity. The last three are within the
    noise of each other; 3e-4 is the strongest of them, so that rare signs' weights stay bounded.
    """
    fixed = {FEATURES.index(k): v for k, v in (fixed or {}).items()}
    w = [fixed.get(i, 0.0) for i in range(len(FEATURES))]
    b = 0.0
    n = len(xs)
    for _ in range(steps):
        gw = [0.0] * len(w)
        gb = 0.0
        for x, y in zip(xs, ys):
            z = b + sum(wi * xi for wi, xi in zip(w, x))
            d = 1.0 / (1.0 + math.exp(-z)) - y
            gb += d
            for i, xi in enumerate(x):
                gw[i] += d * xi
        w = [wi - lr * (gi / n + l2 * wi) for wi, gi in zip(w, gw)]
        w = [max(0.0, wi * sign) * sign for wi, sign in zip(w, SIGNS)]  # projected onto the signs
        w = [fixed.get(i, wi) for i, wi in enumerate(w)]
        b -= lr * gb / n
    return w, b


def logit(model, x):
    w, b = model
    return b + sum(wi * xi for wi, xi in zip(w, x))


def fit_both(questions):
    rows = [r for q in questions for r in q]
    ranking = fit([r["x"] for r in rows], [float(r["answerable"] and r["contains_gold"]) for r in rows])
    tops = [max(q, key=lambda r: logit(ranking, r["x"])) for q in questions]
    support = fit([t["x"] for t in tops], [float(t["answerable"]) for t in tops], fixed=SUPPORT_FIXED)
    scored = [(logit(support, t["x"]), t["answerable"]) for t in tops]
    cut = max(sorted(z for z, _ in scored), key=lambda c: balanced_accuracy(scored, c))
    return ranking, (support[0], support[1] - cut)


def balanced_accuracy(scored, cut):
    answerable = [z for z, a in scored if a]
    unanswerable = [z for z, a in scored if not a]
    answered = sum(z >= cut for z in answerable) / max(1, len(answerable))
    abstained = sum(z < cut for z in unanswerable) / max(1, len(unanswerable))
    return (answered + abstained) / 2


def accuracy(scored, cut=0.0):
    return sum((z >= cut) == answerable for z, answerable in scored) / len(scored)


def evaluate(questions, ranking, support):
    tops = [max(q, key=lambda r: logit(ranking, r["x"])) for q in questions]
    scored = [(logit(support, t["x"]), t["answerable"]) for t in tops]
    answerable = [t for t in tops if t["answerable"]]
    hit = sum(t["contains_gold"] and logit(support, t["x"]) >= 0 for t in answerable) / len(answerable)
    return accuracy(scored), hit


def weights_file(ranking, support):
    """The weights file footnote compiles in: a header, one row per feature with its weight in
    the ranking and the answerability model, then the two biases; numbers to three decimals."""
    lines = [
        "# The two logistic models of footnote's answer step (src/answer/support_model.rs), written by",
        "# scripts/fit_support_model.py from `footnote eval qa --features-out` rows (see EVAL.md for the",
        "# data and the held-out results). One row per evidence feature, named and in the order of",
        "# Evidence::FEATURE_NAMES, then the biases: the ranking model picks the sentence that holds the",
        "# answer, the answerability model decides whether the best sentence answers at all.",
        "feature\tranking\tanswerability",
    ]
    rows = list(zip(FEATURES, ranking[0], support[0])) + [("bias", ranking[1], support[1])]
    number = lambda x: f"{x:.3f}".replace("-0.000", "0.000")  # no negative zero
    lines += [f"{name}\t{number(r)}\t{number(s)}" for name, r, s in rows]
    return "\n".join(lines) + "\n"


def articles_file(titles):
    """The titles of the articles whose questions the shipped weights were fitted on, one per
    line: `footnote eval` marks figures measured on their questions as in-sample."""
    lines = [
        "# The SQuAD articles whose questions src/answer/support_model.tsv was fitted on, written by",
        "# scripts/fit_support_model.py: `footnote eval qa` marks figures over them as in-sample.",
    ]
    return "\n".join(lines + titles) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("features", nargs="+", help="files from `footnote eval qa --features-out`")
    parser.add_argument("--fit", help="fit the shipped weights on this file's rows only")
    parser.add_argument("--write", help="write the weights file here (src/answer/support_model.tsv)")
    args = parser.parse_args()
    by_id = defaultdict(list)
    for path in args.features:
        load(path, by_id)
    by_title = defaultdict(list)
    for q in by_id.values():
        by_title[q[0]["title"]].append(q)
    titles = sorted(by_title)
    print(f"{len(by_id)} questions, articles: {titles}")
    for held_out in titles:
        train = [q for t in titles if t != held_out for q in by_title[t]]
        ranking, support = fit_both(train)
        acc, hit = evaluate(by_title[held_out], ranking, support)
        tacc, thit = evaluate(train, ranking, support)
        print(f"held out {held_out!r}: accuracy {acc:.3f}, top-1 hit {hit:.3f} (train {tacc:.3f}, {thit:.3f})")
    fitted = list(load(args.fit).values()) if args.fit else list(by_id.values())
    ranking, support = fit_both(fitted)
    acc, hit = evaluate(fitted, ranking, support)
    print(f"fitted on {args.fit or 'all files'}: accuracy {acc:.3f}, top-1 hit {hit:.3f}")
    fitted_ids = {q[0]["id"] for q in fitted}
    others = [q for i, q in by_id.items() if i not in fitted_ids]
    if others:
        acc, hit = evaluate(others, ranking, support)
        print(f"  the other files with these weights: accuracy {acc:.3f}, top-1 hit {hit:.3f}")
    text = weights_file(ranking, support)
    articles = articles_file(sorted({q[0]["title"] for q in fitted}))
    if args.write:
        with open(args.write, "w") as f:
            f.write(text)
        # Beside the weights: the articles they were fitted on, so that `footnote eval` can mark
        # figures measured on those articles as in-sample.
        articles_path = os.path.join(os.path.dirname(args.write), "support_model_articles.txt")
        with open(articles_path, "w") as f:
            f.write(articles)
        print(f"wrote {args.write} and {articles_path}")
    else:
        print(text, end="")
        print(articles, end="")


if __name__ == "__main__":
    main()
