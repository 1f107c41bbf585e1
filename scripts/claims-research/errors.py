"""10 false `supported` and 10 missed `supported` from the held-out decisions (pooled P>=0.9 rule
for false supported, since that is the precision-first operating point; BA rule for missed, where
the supported rows with the lowest held-out score are shown). Usage: python3 errors.py gb"""
from paths import HERE, REPO, SCRIPTS, SHARED  # noqa: F401
import json, sys
import numpy as np
tag = sys.argv[1] if len(sys.argv) > 1 else "gb"
rows = [json.loads(l) for l in open(f'{SHARED}/eval/claims.jsonl')]
feats = json.load(open(f'{HERE}/features.json'))
s = np.load(f'{HERE}/oof_features_{tag}.npy')
dec = np.load(f'{HERE}/dec_features_{tag}_prec_pooled.npy')
y = np.array([r['label'] == 'SUPPORTS' for r in rows])
KEYS = ['cos', 'cov_idf', 'num_missing', 'num_changed', 'cmp_ok', 'cmp_violated', 'date_missing',
        'date_cmp_violated', 'name_tok_missing', 'neg_mismatch', 'antonym']
def show(i):
    r = rows[i]; f = feats[i]['f']
    flags = {k: round(f[k], 2) for k in KEYS if f[k]}
    print(f"- score {s[i]:.3f}, {r['label']}, {r['subset']}, {r.get('contrast') or 'single'}, page \"{r['evidence_title']}\"")
    print(f"  - claim: {r['claim']}")
    print(f"  - evidence: {r['evidence'][:350]}{'...' if len(r['evidence']) > 350 else ''}")
    print(f"  - features: {flags}")
fs = [i for i in np.argsort(-s) if dec[i] == 1 and not y[i]]
print(f"## False `supported` at the pooled P>=0.9 rule ({len(fs)} in all, highest scores first)\n")
for i in fs[:10]: show(i)
for sub in ('vitaminc-real-test', 'climate-fever'):
    ms = [i for i in np.argsort(s) if y[i] and rows[i]['subset'] == sub]
    print(f"\n## Missed `supported`, {sub} (lowest held-out scores)\n")
    for i in ms[:6 if sub.startswith('v') else 4]: show(i)
