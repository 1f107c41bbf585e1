"""Diagnostics over held-out scores (oof_<model>.npy from evaluate.py)."""
from paths import HERE, REPO, SCRIPTS, SHARED  # noqa: F401
import json, sys
import numpy as np
from collections import defaultdict
from sklearn.metrics import roc_auc_score
model = sys.argv[1] if len(sys.argv) > 1 else "lr"
rows = [json.loads(l) for l in open(f'{SHARED}/eval/claims.jsonl')]
feats = json.load(open(f'{HERE}/features.json'))
s = np.load(f'{HERE}/oof_features_{model}.npy')
y = np.array([r['label'] == 'SUPPORTS' for r in rows])
# per kind of row
kinds = defaultdict(list)
bygroup = defaultdict(list)
for i, r in enumerate(rows):
    if r['subset'] == 'climate-fever':
        k = 'climate-fever'
    else:
        g = [j for j in range(max(0,i-1), min(len(rows), i+2)) if rows[j]['group'] == r['group']]
        labs = sorted(rows[j]['label'][0] for j in g)
        k = f"vitc {r.get('contrast') or 'single'} {''.join(labs)}"
    kinds[k].append(i)
    bygroup[r['group']].append(i)
print("| rows | n | supported share | AUC | pair ranking acc |")
print("|---|---|---|---|---|")
for k, idx in sorted(kinds.items()):
    idx = np.array(idx)
    auc = roc_auc_score(y[idx], s[idx]) if 0 < y[idx].sum() < len(idx) else float('nan')
    # pairs: within a group, SUPPORTS row scored above the non-supported row
    wins = tot = 0
    for g in {rows[i]['group'] for i in idx}:
        gi = [i for i in bygroup[g] if i in set(idx)]
        for a in gi:
            for b in gi:
                if y[a] and not y[b]:
                    tot += 1; wins += s[a] > s[b]
    pr = f"{wins/tot:.3f} ({tot})" if tot else "-"
    print(f"| {k} | {len(idx)} | {y[idx].mean():.2f} | {auc:.3f} | {pr} |")
