#!/usr/bin/env python3
r"""Generate tests/data/rouge_expected.jsonl: reference ROUGE scores from Google's
`rouge-score` package, used by tests/rouge_agreement.rs to check that
src/rouge.rs agrees with it.

How to rerun (from the repository root; needs only PyPI access):

    python3 -m venv /tmp/rougevenv
    /tmp/rougevenv/bin/pip install rouge-score nltk
    /tmp/rougevenv/bin/python tests/data/make_rouge_expected.py \
        /work/shared/eval/news-summaries.jsonl > tests/data/rouge_expected.jsonl

The committed file was produced with rouge-score 0.1.2 and nltk 3.10.4.

Pairs (reference, candidate):
  * the 20 `cnn-*` rows and the first 20 `xsum-*` rows of the eval file, with
    reference = the row's reference (cnn: highlight bullets joined by newlines;
    xsum: one sentence) and candidate = the first three sentences of the
    article (naive regex split) joined by newlines ("lead-3");
  * a handful of hand-written edge cases (empty texts, blank lines, non-ASCII
    letters, stemmer-heavy words, sentence reordering for ROUGE-Lsum).

Scores use RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True);
ROUGE-Lsum splits both texts into sentences on "\n".
"""

import json
import re
import sys

from rouge_score import rouge_scorer

EDGE_CASES = [
    ("edge-identical", "The cat sat on the mat.\nIt was happy.",
     "The cat sat on the mat.\nIt was happy."),
    ("edge-empty-candidate", "The cat sat on the mat.", ""),
    ("edge-empty-reference", "", "The cat sat on the mat."),
    ("edge-punctuation-only-candidate", "Some words here.", "... !!! ---\n\n??"),
    ("edge-blank-lines",
     "\n\nFirst line of the summary.\n\n\nSecond line, with more words.\n",
     "Second line with words.\n\n\nfirst LINE of summary!!"),
    ("edge-unicode",
     "\u0130stanbul's caf\u00e9 costs \u00a35 (5\u212a runners) \u2014 na\u00efve r\u00e9sum\u00e9s.",
     "Istanbul cafe costs 5 pounds; 5k runners and naive resumes."),
    ("edge-stemming",
     "The generously relational conditional agreements were happily adjusted "
     "by sensitivities of controllers; skies, dying, lying, innings, news.",
     "Generous relations, conditions and agreement adjust happiness: the "
     "controller's sensitive sky died, lies and inning newses."),
    ("edge-lsum-reordered",
     "police arrested the man on monday\nthe man was charged with theft\n"
     "the police said the man was armed",
     "the man was charged with theft on monday\npolice said the man was armed\n"
     "the police arrested the man\nthe man the man the man"),
]


def lead3(article):
    """First three sentences of `article` (naive split after . ! ?), one per line."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", article.strip())]
    return "\n".join([s for s in sentences if s][:3])


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/eval/news-summaries.jsonl"
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    cnn = [r for r in rows if r["id"].startswith("cnn-")][:20]
    xsum = [r for r in rows if r["id"].startswith("xsum-")][:20]
    pairs = [(r["id"], r["reference"], lead3(r["article"])) for r in cnn + xsum]
    pairs += EDGE_CASES

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    for pair_id, reference, candidate in pairs:
        s = scorer.score(reference, candidate)
        out = {"id": pair_id, "reference": reference, "candidate": candidate}
        for key, rouge_type in (("r1", "rouge1"), ("r2", "rouge2"), ("rlsum", "rougeLsum")):
            sc = s[rouge_type]
            out[key] = {"precision": sc.precision, "recall": sc.recall, "f1": sc.fmeasure}
        print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
