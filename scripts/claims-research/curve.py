"""Held-out precision/recall trade-off per subset (oracle view of the score, for reading only),
and a per-subset-trained model as a diagnostic."""
from paths import HERE, REPO, SCRIPTS, SHARED  # noqa: F401
import json, sys
import numpy as np
tag = sys.argv[1] if len(sys.argv) > 1 else "lr"
sys.argv = [sys.argv[0], f"{HERE}/features.json"]
import evaluate as ev
s = np.load(f"{HERE}/oof_features_{tag}.npy")
for sub in ev.SUBSETS:
    m = ev.SUB == sub
    order = np.argsort(-s[m]); y = ev.Y[m][order]
    tp = np.cumsum(y); k = np.arange(1, len(y) + 1)
    prec = tp / k; rec = tp / y.sum()
    out = []
    for p in (0.95, 0.9, 0.85, 0.8, 0.7):
        ok = np.where((prec >= p) & (k >= 20))[0]
        out.append(f"P>={p}: R={rec[ok.max()]:.3f}" if len(ok) else f"P>={p}: none")
    print(sub, "| max recall at held-out precision (oracle threshold):", "; ".join(out))

# Diagnostic: a model fitted only on one subset's rows (grouped 5-fold CV inside that subset).
if "--per-subset" in sys.argv or True:
    from sklearn.metrics import roc_auc_score
    for sub in ev.SUBSETS:
        m = ev.SUB == sub
        sc = np.zeros(m.sum())
        X, Y, F = ev.X_ALL[m], ev.Y[m], ev.FOLD[m]
        for k in range(5):
            te = F == k
            sc[te] = ev.fit_predict(X, Y, ~te, te, tag)
        print(sub, f"| trained on this subset only ({tag}): held-out AUC {roc_auc_score(Y, sc):.3f}")
