"""Cheap claim/evidence features for the citation verifier study (issue 13).

Reads /work/shared/eval/claims.jsonl and emb.jsonl (claim/evidence embeddings made by
`footnote embed`), writes features.json: one record per row {id, subset, group, label, y, f:{...}}.
No feature looks at the label. Corpus statistics (IDF, how often a word is written lower-case)
come from the 4,894 distinct claim/evidence texts, without labels.
"""
from paths import HERE, REPO, SCRIPTS, SHARED  # noqa: F401
import json
import math
import re
import sys
import unicodedata
from collections import Counter

import numpy as np
import snowballstemmer

ROWS = [json.loads(l) for l in open(f"{SHARED}/eval/claims.jsonl")]
STOP = set(w.strip() for w in open(f"{SCRIPTS}/stopwords_nltk_en.txt") if w.strip())
STEM = snowballstemmer.stemmer("english")

# ---------------------------------------------------------------- words

def norm(text):
    # VitaminC keeps tokenized quotes (`` '') and -LRB-; make them plain.
    text = text.replace("``", '"').replace("''", '"').replace("-LRB-", "(").replace("-RRB-", ")")
    text = text.replace("’", "'").replace("–", "-").replace("—", "-")
    # "32,204,030.Lockout", "2010.Humes": a sentence end glued to the next sentence
    text = re.sub(r"(\d)\.([A-Z])", r"\1 . \2", text)
    return text

def ascii_fold(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()

TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.,'][A-Za-z0-9]+)*")

def raw_tokens(text):
    return TOKEN.findall(ascii_fold(norm(text)))

def content_stems(text):
    out = []
    for t in raw_tokens(text):
        w = t.lower()
        if w in STOP:
            continue
        out.append(STEM.stemWord(w))
    return out

# ---------------------------------------------------------------- numbers

CARD = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
CARD.update({"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
             "eighty": 80, "ninety": 90, "dozen": 12})
ORD = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split())}
ORD.update({"thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
            "eightieth": 80, "ninetieth": 90, "hundredth": 100})
SCALE = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
         "lakh": 1e5, "crore": 1e7, "crores": 1e7, "lakhs": 1e5, "bn": 1e9, "m": 1e6,
         "thousands": 1e3, "millions": 1e6, "billions": 1e9, "hundreds": 1e2}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
MONTH_ABBR = {m[:3]: m for m in MONTHS}
MONTH_ABBR["sept"] = "september"

HTOKEN = re.compile(r"[A-Za-z0-9%]+(?:[-.,'][A-Za-z0-9%]+)*|\$")

def num_tokens(text):
    """Tokens for reading numbers: hyphenated words kept whole ("COVID-19" is no number,
    "twenty-first" is one), "69-year-old" read as "69" "year-old"."""
    out = []
    for t in HTOKEN.findall(ascii_fold(norm(text))):
        if "-" in t:
            parts = t.split("-")
            low = [p.lower() for p in parts]
            if all(p in CARD or p in ORD for p in low):
                out.append(t)
            elif re.fullmatch(r"\d[\d,.]*%?", parts[0]):
                out.append(parts[0])
                out.append("-".join(parts[1:]))
            else:
                out.append(t.replace("-", "_"))  # a name with a digit: not a number
        else:
            out.append(t)
    return out


# Comparators read before a number or date. ">=" / "<=" are inclusive ("at least", "by").
CMP_PHRASES = [
    (">=", ["at least", "no less than", "not less than", "no fewer than", "since"]),
    ("<=", ["at most", "up to", "no more than", "not more than", "by", "until", "till",
            "as late as"]),
    (">", ["more than", "over", "above", "greater than", "exceeding", "exceeded", "exceeds",
           "in excess of", "upwards of", "higher than", "larger than", "after", "beyond",
           "surpassed", "surpassing", "older than", "later than", "just over", "topped"]),
    ("<", ["less than", "under", "below", "fewer than", "lower than", "smaller than", "before",
           "prior to", "younger than", "earlier than", "short of", "shy of", "just under",
           "not even"]),
    ("~", ["nearly", "almost", "about", "around", "approximately", "roughly", "close to",
           "some", "an estimated", "estimated", "circa", "c.", "over"]),
]
# Only about dates and years, never about quantities ("by 5 points", "from 10 to 20").
TIME_ONLY = {"since", "by", "until", "till", "as late as", "after", "before",
             "prior to", "later than", "earlier than"}
YEAR_PREV = {"in", "since", "before", "after", "until", "by", "from", "of", "during", "to",
             "early", "late", "mid", "the", "between", "and", "as", "on", "circa", "c", "till",
             "around", "year", "season", "summer", "winter", "spring", "autumn", "fall"}


def read_cmp(low, i, time):
    before = " ".join(x for x in low[max(0, i - 4):i] if x not in ("$", "us", "usd", "the"))
    for c, phrases in CMP_PHRASES:
        for p in phrases:
            if before == p or before.endswith(" " + p):
                if p in TIME_ONLY and not time:
                    continue
                if p == "over" and time:
                    continue
                return c
    return "="


def numbers(text):
    """(numbers, dates) a text states.
    numbers: dicts {v, kind (num|year|ord), cmp (=,>,<,>=,<=,~)};
    dates: dicts {y, m, d, cmp} (day and year may be None). A day of a date is no number."""
    toks = num_tokens(text)
    low = [t.lower().rstrip(".") for t in toks]
    month_at = {}
    for i, t in enumerate(toks):
        w = low[i]
        if w in MONTHS and not (w in ("may", "march") and not t[0].isupper()):
            month_at[i] = w
        elif w in MONTH_ABBR and t[:1].isupper() and len(t) <= 5 and w not in ("mar", "may"):
            month_at[i] = MONTH_ABBR[w]
    def int_at(i, lo, hi):
        if 0 <= i < len(low) and re.fullmatch(r"\d{1,4}(st|nd|rd|th)?", low[i]):
            v = int(re.match(r"\d+", low[i]).group())
            if lo <= v <= hi:
                return v
        return None
    dates, day_pos = [], set()
    for i, m in month_at.items():
        mi = MONTHS.index(m) + 1
        d = y = None
        start = i
        dv = int_at(i - 1, 1, 31)
        if dv is not None:
            d, start = dv, i - 1
            day_pos.add(i - 1)
            y = int_at(i + 1, 1000, 2100)
        else:
            dv = int_at(i + 1, 1, 31)
            if dv is not None:
                d = dv
                day_pos.add(i + 1)
                y = int_at(i + 2, 1000, 2100)
            else:
                y = int_at(i + 1, 1000, 2100)
        dates.append({"y": y, "m": mi, "d": d, "cmp": read_cmp(low, start, True)})
    out = []
    i = 0
    while i < len(toks):
        w = low[i]
        val = None
        kind = "num"
        j = i + 1
        if i in day_pos:
            i += 1
            continue
        m = re.fullmatch(r"(\d[\d,]*(?:\.\d+)?)(st|nd|rd|th|s|m|bn|million|billion|km|kg|%)?", w)
        if m:
            digits = m.group(1)
            try:
                val = float(digits.replace(",", ""))
            except ValueError:
                val = None
            suf = m.group(2)
            if suf in ("st", "nd", "rd", "th"):
                kind = "ord"
            elif suf in ("m", "million"):
                val = val * 1e6 if val is not None else None
            elif suf in ("bn", "billion"):
                val = val * 1e9 if val is not None else None
            if val is not None and kind == "num" and "," not in digits and "." not in digits \
                    and 1000 <= val <= 2100 and not (j < len(low) and low[j] in SCALE) \
                    and (suf == "s" or i == 0 or low[i - 1] in YEAR_PREV or i - 1 in month_at
                         or i - 1 in day_pos):
                kind = "year"
        else:
            parts = w.split("-")
            if all(p in CARD for p in parts) and (w != "one" or (j < len(low) and low[j] in SCALE)):
                val = float(sum(CARD[p] for p in parts))
            elif parts[-1] in ORD and all(p in CARD for p in parts[:-1]):
                val = float(sum(CARD[p] for p in parts[:-1]) + ORD[parts[-1]])
                kind = "ord"
        if val is None:
            i += 1
            continue
        if kind == "num":
            while j < len(low) and low[j] in SCALE:
                val *= SCALE[low[j]]
                j += 1
        out.append({"v": val, "kind": kind, "cmp": read_cmp(low, i, kind == "year")})
        i = j
    return out, dates


def holds(c, ev, cv, eq_cmp):
    """Whether value ev (with the evidence's comparator eq_cmp) states claim value cv under the
    claim's comparator c."""
    eq = abs(cv - ev) <= 1e-9 * max(1.0, abs(cv))
    if c == "=":
        return eq and eq_cmp in ("=", "~", ">=", "<=")
    if eq and eq_cmp == c:
        return True
    if c == ">":
        return ev > cv or (eq and eq_cmp in (">",))
    if c == ">=":
        return ev >= cv
    if c == "<":
        return ev < cv or (eq and eq_cmp in ("<",))
    if c == "<=":
        return ev <= cv
    if c == "~":
        return abs(ev - cv) <= 0.1 * abs(cv)
    return False


def nearest(x, cands):
    def dist(y):
        a, b = abs(x["v"]), abs(y["v"])
        if a == 0 or b == 0:
            return abs(a - b)
        return abs(math.log(a / b))
    return min(cands, key=dist) if cands else None


def date_ord(d, default_year):
    y = d["y"] if d["y"] is not None else default_year
    return (y or 0) * 400 + d["m"] * 32 + (d["d"] or 0)


def date_found(c, es):
    for e in es:
        if e["m"] != c["m"]:
            continue
        if c["d"] is not None and e["d"] is not None and c["d"] != e["d"]:
            continue
        if c["d"] is not None and e["d"] is None:
            continue
        if c["y"] is not None and e["y"] is not None and c["y"] != e["y"]:
            continue
        return True
    return False


def date_holds(c, es):
    """For a claim date with a comparator: the nearest evidence date satisfies it."""
    if not es:
        return None
    cv = date_ord(c, c["y"])
    best = min(es, key=lambda e: abs(date_ord(e, c["y"]) - cv))
    ev = date_ord(best, c["y"])
    # "as of" / "on" in the evidence state the date itself
    return holds(c["cmp"], float(ev), float(cv), "=")


def months(text):
    out = set()
    toks = raw_tokens(text)
    for i, t in enumerate(toks):
        w = t.lower().rstrip(".")
        if w in MONTHS:
            # "may" as a verb: only a month when capitalised
            if w == "may" and not t[0].isupper():
                continue
            if w == "march" and not t[0].isupper():
                continue
            out.add(w)
        elif w in MONTH_ABBR and t[0].isupper() and len(t) <= 5:
            out.add(MONTH_ABBR[w])
    return out

# ---------------------------------------------------------------- negation and antonyms

NEG = {"not", "cannot", "never", "no", "none", "neither", "nor", "without", "nothing", "nobody",
       "nowhere", "n't", "hardly", "barely", "fails", "failed", "unable", "lack", "lacks",
       "lacked", "denied", "denies", "deny"}

def neg_count(text):
    low = norm(text).lower()
    ws = re.findall(r"[a-z']+", low)
    return sum(1 for w in ws if w in NEG or w.endswith("n't"))

ANT = {}
GRADABLE = set()
for line in open(f"{REPO}/src/lexicon/antonyms.tsv"):
    if line.startswith("#") or not line.strip():
        continue
    a, b, pos = line.rstrip("\n").split("\t")[:3]
    for x, y in ((a, b), (b, a)):
        ANT.setdefault(x, set()).add(y)
        ANT.setdefault(STEM.stemWord(x), set()).add(STEM.stemWord(y))
    if pos == "adj":
        GRADABLE.update([a, b])
# Comparatives the lexicon reads through their bases; a few common ones spelled out.
EXTRA = [("more", "less"), ("more", "fewer"), ("higher", "lower"), ("older", "younger"),
         ("before", "after"), ("earlier", "later"), ("larger", "smaller"), ("increase", "decrease"),
         ("increased", "decreased"), ("rose", "fell"), ("won", "lost"), ("above", "below"),
         ("over", "under"), ("majority", "minority"), ("positive", "negative"),
         ("warming", "cooling"), ("gain", "loss"), ("maximum", "minimum"), ("best", "worst")]
for a, b in EXTRA:
    for x, y in ((a, b), (b, a)):
        ANT.setdefault(x, set()).add(y)
        ANT.setdefault(STEM.stemWord(x), set()).add(STEM.stemWord(y))

def word_forms(text):
    """Lower-cased words and stems, except capitalised words inside the sentence (names) and the
    two words after a negation."""
    forms = set()
    since = 99
    for i, t in enumerate(raw_tokens(text)):
        w = t.lower()
        if w in NEG or w.endswith("n't"):
            since = 0
            continue
        since += 1
        if since <= 2:
            continue
        if i > 0 and t[0].isupper():
            continue
        forms.add(w)
        forms.add(STEM.stemWord(w))
        for suf in ("est", "er"):
            if w.endswith(suf) and len(w) - len(suf) >= 3:
                s = w[: -len(suf)]
                for base in (s, s + "e", s[:-1] + "y" if s.endswith("i") else None,
                             s[:-1] if len(s) > 1 and s[-1] == s[-2] else None):
                    if base and base in GRADABLE:
                        forms.add(base)
    return forms

def antonym_instead(claim, evidence):
    cf, ef = word_forms(claim), word_forms(evidence)
    for f in cf:
        for a in ANT.get(f, ()):
            if a in ef and f not in ef:
                return 1
    return 0

# ---------------------------------------------------------------- corpus statistics

TEXTS = sorted({r["claim"] for r in ROWS} | {r["evidence"] for r in ROWS})
DF = Counter()
LOWER_SEEN = Counter()  # how often a word occurs written lower-case
UPPER_SEEN = Counter()
for t in TEXTS:
    DF.update(set(content_stems(t)))
    for i, tok in enumerate(raw_tokens(t)):
        if tok[0].islower():
            LOWER_SEEN[tok.lower()] += 1
        elif i > 0 and tok[0].isupper():
            UPPER_SEEN[tok.lower()] += 1
N = len(TEXTS)

def idf(s):
    return math.log(1 + (N - DF[s] + 0.5) / (DF[s] + 0.5))

def names(text):
    """Name phrases: runs of capitalised words; the first word of the text counts only when the
    corpus writes it capitalised more often than not."""
    toks = raw_tokens(text)
    phrases, cur = [], []
    for i, t in enumerate(toks):
        w = t.lower()
        cap = t[0].isupper() and not re.match(r"\d", t)
        if cap and i == 0:
            cap = w not in STOP and UPPER_SEEN[w] >= LOWER_SEEN[w]
        if cap and w in STOP and cur:  # "Bank of England": keep "of" inside? break instead
            cap = False
        if cap and w not in MONTHS and w not in ("i",):
            cur.append(w)
        else:
            if cur:
                phrases.append(cur)
            cur = []
    if cur:
        phrases.append(cur)
    return phrases

# ---------------------------------------------------------------- embeddings

EMB = {}
for l in open(f"{HERE}/emb.jsonl"):
    d = json.loads(l)
    EMB[d["text"]] = np.asarray(d["embedding"], dtype=np.float32)

QUALIFIERS = [" one of ", " among ", " some ", " partly ", " partially ", " mostly ", " nearly ",
              " almost ", " about ", " around ", " approximately ", " reportedly ", " allegedly ",
              " may ", " might ", " could ", " possibly ", " proposed ", " planned ", " expected ",
              " semi ", " co ", " former ", " only ", " also ", " not ", " unofficial ", " rumored "]
HEDGE = {"may", "might", "could", "possibly", "likely", "probably", "suggest", "suggests"}

def features(r, use_title=True):
    c, e = r["claim"], r["evidence"]
    et = (r["evidence_title"].replace("-COLON-", ":") + " . " + e) if use_title else e
    f = {}
    f["cos"] = float(EMB[c] @ EMB[e])
    cs, es = content_stems(c), content_stems(et)
    es_set = set(es)
    cset = list(dict.fromkeys(cs))
    w_all = sum(idf(s) for s in cset) or 1.0
    miss = [s for s in cset if s not in es_set]
    f["cov_idf"] = 1 - sum(idf(s) for s in miss) / w_all
    f["cov_plain"] = 1 - len(miss) / max(1, len(cset))
    f["miss_n"] = len(miss)
    f["miss_max_idf"] = max((idf(s) for s in miss), default=0.0)
    f["miss_idf_sum"] = sum(idf(s) for s in miss)
    cb = set(zip(cs, cs[1:]))
    eb = set(zip(es, es[1:]))
    f["bigram_cov"] = len(cb & eb) / max(1, len(cb))
    # evidence side: how much of the evidence the claim uses (long evidence, small overlap = NEI)
    eset = list(dict.fromkeys(content_stems(e)))
    f["ev_cov_by_claim"] = sum(idf(s) for s in eset if s in set(cs)) / (sum(idf(s) for s in eset) or 1)
    f["len_claim"] = math.log1p(len(cs))
    f["len_ratio"] = math.log((len(content_stems(e)) + 1) / (len(cs) + 1))

    # numbers and dates
    cn, cd = numbers(c)
    en, ed = numbers(et)
    plain = [x for x in cn if x["cmp"] == "="]
    comp = [x for x in cn if x["cmp"] != "="]
    f["num_n"] = len(cn)
    def compatible(x, y):
        return y["kind"] == x["kind"] or {y["kind"], x["kind"]} <= {"num", "year"}
    def found(x):
        return any(compatible(x, y) and holds("=", y["v"], x["v"], y["cmp"]) or
                   (compatible(x, y) and y["v"] == x["v"]) for y in en)
    def same_role(x):
        cand = [y for y in en if y["kind"] == x["kind"]]
        return cand or [y for y in en if compatible(x, y)]
    plain_missing = [x for x in plain if not found(x)]
    f["num_missing"] = sum(1 for x in plain_missing if x["kind"] != "year")
    f["num_share_found"] = 1 - len(plain_missing) / len(plain) if plain else 1.0
    f["num_changed"] = int(any(x["kind"] != "year" and same_role(x) for x in plain_missing))
    f["year_missing"] = int(any(x["kind"] == "year" for x in plain_missing))
    f["year_changed"] = int(any(x["kind"] == "year" and same_role(x) for x in plain_missing))
    cmp_ok = cmp_bad = cmp_unk = 0
    for x in comp:
        y = nearest(x, same_role(x))
        if y is None:
            cmp_unk += 1
        elif holds(x["cmp"], y["v"], x["v"], y["cmp"]):
            cmp_ok += 1
        else:
            cmp_bad += 1
    f["cmp_n"] = len(comp)
    f["cmp_ok"] = cmp_ok
    f["cmp_violated"] = cmp_bad
    f["cmp_unknown"] = cmp_unk
    f["ev_num_n"] = len(en)
    d_plain = [x for x in cd if x["cmp"] in ("=",)]
    d_comp = [x for x in cd if x["cmp"] not in ("=",)]
    d_missing = [x for x in d_plain if not date_found(x, ed)]
    f["date_n"] = len(cd)
    f["date_missing"] = len(d_missing)
    f["date_changed"] = int(bool(d_missing) and bool(ed))
    res = [date_holds(x, ed) for x in d_comp]
    f["date_cmp_ok"] = sum(1 for r_ in res if r_ is True)
    f["date_cmp_violated"] = sum(1 for r_ in res if r_ is False)
    f["date_cmp_unknown"] = sum(1 for r_ in res if r_ is None)
    # months
    cm, em = months(c), months(et)
    f["month_missing"] = len(cm - em)
    f["month_changed"] = int(bool(cm - em) and bool(em - cm))
    # names
    ctoks = set(t.lower() for t in raw_tokens(et))
    ewt = " " + " ".join(t.lower() for t in raw_tokens(et)) + " "
    cn_ph = names(c)
    name_tok = [w for p in cn_ph for w in p]
    miss_tok = [w for w in name_tok if w not in ctoks]
    f["name_n"] = len(cn_ph)
    f["name_tok_missing"] = len(miss_tok)
    f["name_tok_share"] = 1 - len(miss_tok) / len(name_tok) if name_tok else 1.0
    f["name_phrase_missing"] = sum(1 for p in cn_ph if (" " + " ".join(p) + " ") not in ewt)
    # negation
    nc, ne = neg_count(c), neg_count(e)
    f["neg_claim"] = int(nc > 0)
    f["neg_mismatch"] = int((nc > 0) != (ne > 0))
    f["antonym"] = antonym_instead(c, e)
    ql_c = " " + " ".join(t.lower() for t in raw_tokens(c)) + " "
    ql_e = " " + " ".join(t.lower() for t in raw_tokens(e)) + " "
    f["qualifier_added"] = sum(1 for q in QUALIFIERS if q in ql_e and q not in ql_c)
    f["qualifier_dropped"] = sum(1 for q in QUALIFIERS if q in ql_c and q not in ql_e)
    # Evidence words inside the stretch that matches the claim, that the claim lacks
    # ("semi-professional" where the claim says "professional").
    ews = [STEM.stemWord(t.lower()) for t in raw_tokens(e)]
    cw = set(STEM.stemWord(t.lower()) for t in raw_tokens(c))
    hits = [k for k, w in enumerate(ews) if w in cw and w not in STOP]
    if len(hits) >= 2:
        span = ews[hits[0]:hits[-1] + 1]
        ins = [w for w in span if w not in cw and w not in STOP]
        f["span_inserted"] = len(ins) / len(span)
        f["span_inserted_idf"] = sum(idf(w) for w in ins)
    else:
        f["span_inserted"] = 1.0
        f["span_inserted_idf"] = 0.0
    f["hedge_claim"] = int(any(t.lower() in HEDGE for t in raw_tokens(c)))
    return f


if __name__ == "__main__":
    use_title = "--no-title" not in sys.argv
    out = []
    for r in ROWS:
        out.append({"id": r["id"], "subset": r["subset"], "group": r["group"],
                    "label": r["label"], "contrast": r.get("contrast"),
                    "y": int(r["label"] == "SUPPORTS"), "f": features(r, use_title)})
    name = "features.json" if use_title else "features_notitle.json"
    json.dump(out, open(f"{HERE}/{name}", "w"))
    print(len(out), "rows,", len(out[0]["f"]), "features ->", name)
