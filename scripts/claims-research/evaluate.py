"""Held-out evaluation of cheap support features on claims.jsonl.

Protocol
- Folds by group: fold = md5("cv:" + group) % 5, so the rows of a contrastive pair (and all
  CLIMATE-FEVER evidence rows of one claim) are always on the same side.
- For each outer fold k: fit portion = the other 4 folds. Inside the fit portion a second grouped
  4-fold split (md5("inner:" + group) % 4) gives out-of-fold scores for every fit row; the decision
  threshold is chosen on those (never on rows of fold k). The model is then refitted on the whole
  fit portion and applied to fold k with that threshold. Metrics are computed over the pooled
  held-out predictions of the 5 folds (each row predicted exactly once, by a model that never saw
  its group).
- Fixed split: half = md5("half:" + group) % 2; fit on half 0 (threshold by inner 4-fold OOF),
  report on half 1.

Usage: python3 evaluate.py [features.json] [--model lr|gb] [--ablate] [--errors]
"""
from paths import HERE, REPO, SCRIPTS, SHARED  # noqa: F401
import hashlib
import json
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

args = [a for a in sys.argv[1:] if not a.startswith("--")]
FEATS = args[0] if args else f"{HERE}/features.json"
MODEL = "gb" if "--model=gb" in sys.argv or "gb" in sys.argv else "lr"
data = json.load(open(FEATS))
NAMES = list(data[0]["f"].keys())
X_ALL = np.array([[d["f"][n] for n in NAMES] for d in data], dtype=float)
Y = np.array([d["y"] for d in data])
SUB = np.array([d["subset"] for d in data])
GROUPS = [d["group"] for d in data]


def h(salt, g, k):
    return int(hashlib.md5((salt + g).encode()).hexdigest(), 16) % k


FOLD = np.array([h("cv:", g, 5) for g in GROUPS])
INNER = np.array([h("inner:", g, 4) for g in GROUPS])
HALF = np.array([h("half:", g, 2) for g in GROUPS])
SUBSETS = ["vitaminc-real-test", "climate-fever"]
TARGET = 0.90


def make_model(kind):
    if kind == "gb":
        return HistGradientBoostingClassifier(max_depth=3, max_iter=150, learning_rate=0.05,
                                              min_samples_leaf=20, random_state=0)
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))


def fit_predict(X, y, tr, te, kind):
    m = make_model(kind)
    m.fit(X[tr], y[tr])
    return m.predict_proba(X[te])[:, 1]


def metrics(y, pred):
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    prec = tp / (tp + fp) if tp + fp else float("nan")
    rec = tp / (tp + fn) if tp + fn else float("nan")
    spec = tn / (tn + fp) if tn + fp else float("nan")
    return {"prec": prec, "rec": rec, "bacc": (rec + spec) / 2, "acc": (tp + tn) / len(y),
            "n_sup": tp + fp}


def choose_thresholds(scores, y, sub):
    """From out-of-fold scores of the fit rows: (a) the lowest threshold whose precision is
    >= TARGET on every subset present (max recall under the constraint; at least 10 predicted
    positives per subset), (b) the same on the pooled rows, (c) the balanced-accuracy optimum."""
    cands = np.unique(np.round(scores, 4))
    best_sub = best_pool = None
    best_ba, t_ba = -1, 0.5
    for t in cands[::-1]:  # from high to low: recall grows
        p = (scores >= t).astype(int)
        ok_sub = True
        for s in SUBSETS:
            m = sub == s
            if m.sum() == 0:
                continue
            npos = p[m].sum()
            if npos < 10 or ((p[m] == 1) & (y[m] == 1)).sum() / npos < TARGET:
                ok_sub = False
                break
        if ok_sub:
            best_sub = t
        npos = p.sum()
        if npos >= 10 and ((p == 1) & (y == 1)).sum() / npos >= TARGET:
            best_pool = t
        ba = metrics(y, p)["bacc"]
        if ba > best_ba:
            best_ba, t_ba = ba, t
    return {"prec_per_subset": best_sub if best_sub is not None else 1.01,
            "prec_pooled": best_pool if best_pool is not None else 1.01,
            "bacc": t_ba}


def run(X, kind, split="cv"):
    """Held-out scores and held-out decisions at each threshold rule."""
    n = len(Y)
    score = np.zeros(n)
    dec = {k: np.zeros(n, dtype=int) for k in ("prec_per_subset", "prec_pooled", "bacc")}
    report = np.zeros(n, dtype=bool)
    outer = range(5) if split == "cv" else [1]
    thresholds = []
    for k in outer:
        te = (FOLD == k) if split == "cv" else (HALF == 1)
        tr = ~te
        # inner OOF scores on the fit rows only
        oof = np.zeros(n)
        for j in range(4):
            itr = tr & (INNER != j)
            ite = tr & (INNER == j)
            oof[ite] = fit_predict(X, Y, itr, ite, kind)
        th = choose_thresholds(oof[tr], Y[tr], SUB[tr])
        thresholds.append(th)
        score[te] = fit_predict(X, Y, tr, te, kind)
        for r, t in th.items():
            dec[r][te] = (score[te] >= t).astype(int)
        report |= te
    return score, dec, report, thresholds


def table(score, dec, report, title):
    lines = [f"### {title}", "",
             "| rule | subset | AUC | precision | recall | bal. acc | accuracy | #supported |",
             "|---|---|---|---|---|---|---|---|"]
    for r in ("prec_per_subset", "prec_pooled", "bacc"):
        for s in SUBSETS + ["all"]:
            m = report & ((SUB == s) if s != "all" else True)
            auc = roc_auc_score(Y[m], score[m])
            mt = metrics(Y[m], dec[r][m])
            lines.append(f"| {r} | {s} | {auc:.3f} | {mt['prec']:.3f} | {mt['rec']:.3f} | "
                         f"{mt['bacc']:.3f} | {mt['acc']:.3f} | {mt['n_sup']}/{int(m.sum())} |")
    return "\n".join(lines)


def cols(keep):
    idx = [NAMES.index(n) for n in keep]
    return X_ALL[:, idx]


GROUPS_OF_FEATURES = {
    "cosine": ["cos"],
    "coverage": ["cov_idf", "cov_plain", "miss_n", "miss_max_idf", "miss_idf_sum", "bigram_cov",
                 "ev_cov_by_claim"],
    "length": ["len_claim", "len_ratio"],
    "numbers": ["num_n", "num_missing", "num_share_found", "num_changed", "year_missing",
                "year_changed", "cmp_n", "cmp_ok", "cmp_violated", "cmp_unknown", "ev_num_n"],
    "months": ["month_missing", "month_changed"],
    "names": ["name_n", "name_tok_missing", "name_tok_share", "name_phrase_missing"],
    "negation+antonym": ["neg_claim", "neg_mismatch", "antonym"],
    "hedge": ["hedge_claim"],
}
CLAIM_ONLY = ["len_claim", "num_n", "cmp_n", "name_n", "neg_claim", "hedge_claim"]


def summary_row(name, score, dec, report):
    out = [name]
    for s in SUBSETS:
        m = report & (SUB == s)
        mt = metrics(Y[m], dec["prec_pooled"][m])
        mb = metrics(Y[m], dec["bacc"][m])
        out.append(f"{roc_auc_score(Y[m], score[m]):.3f}")
        out.append(f"{mt['prec']:.3f} / {mt['rec']:.3f} / {mt['bacc']:.3f}")
        out.append(f"{mb['bacc']:.3f}")
    return "| " + " | ".join(out) + " |"


if __name__ == "__main__":
    print(f"features: {FEATS} ({len(NAMES)}), model: {MODEL}")
    print(f"fold sizes: {np.bincount(FOLD).tolist()}, half sizes: {np.bincount(HALF).tolist()}")
    score, dec, report, ths = run(X_ALL, MODEL, "cv")
    print(table(score, dec, report, f"5-fold grouped CV, all features, {MODEL}"))
    print("thresholds per fold:", [{k: round(v, 3) for k, v in t.items()} for t in ths])
    TAG = FEATS.split("/")[-1].replace(".json", "")
    np.save(f"{HERE}/oof_{TAG}_{MODEL}.npy", score)
    for r in dec:
        np.save(f"{HERE}/dec_{TAG}_{MODEL}_{r}.npy", dec[r])
    s2, d2, r2, t2 = run(X_ALL, MODEL, "half")
    print()
    print(table(s2, d2, r2, f"fixed split (fit half 0, report half 1), all features, {MODEL}"))
    print("thresholds:", [{k: round(v, 3) for k, v in t.items()} for t in t2])
    if "--ablate" in sys.argv:
        print()
        print("### Ablations (5-fold grouped CV)")
        print()
        print("| features | VitC AUC | VitC P / R / BA @pooled P>=.9 rule | VitC BA @BA rule | "
              "CF AUC | CF P / R / BA @pooled P>=.9 rule | CF BA @BA rule |")
        print("|---|---|---|---|---|---|---|")
        variants = [("all", NAMES)]
        variants += [(f"only {g}", fs) for g, fs in GROUPS_OF_FEATURES.items() if g != "hedge"]
        variants += [(f"all minus {g}", [n for n in NAMES if n not in fs])
                     for g, fs in GROUPS_OF_FEATURES.items()]
        variants += [("cosine + coverage", GROUPS_OF_FEATURES["cosine"] + GROUPS_OF_FEATURES["coverage"]),
                     ("claim-only features", CLAIM_ONLY),
                     ("all minus claim-only", [n for n in NAMES if n not in CLAIM_ONLY])]
        for name, fs in variants:
            s, d, r, _ = run(cols(fs), MODEL, "cv")
            print(summary_row(name, s, d, r))
        if MODEL == "lr":
            m = make_model("lr").fit(X_ALL, Y)
            coef = m[-1].coef_[0]
            print()
            print("LR standardized coefficients (fitted on all rows, for reading only):")
            for n, c in sorted(zip(NAMES, coef), key=lambda t: -abs(t[1])):
                print(f"  {n:22s} {c:+.3f}")
