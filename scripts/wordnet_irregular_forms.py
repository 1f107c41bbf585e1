#!/usr/bin/env python3
"""Write WordNet 3.0's irregular word forms whose stem differs from their base's stem as
`src/lexicon/irregular_forms.tsv`, one `form<TAB>base` a line ("spoke speak", "children child").

The citation verifier counts a claim's content words found in the cited paragraphs by their
Snowball stems. A stem joins "speaks" and "speaking" but not "spoke", "spoken" and "speak", so a
faithful paraphrase that changes a verb's tense loses coverage. WordNet's exception lists
(verb.exc, noun.exc, adj.exc) give the base of each irregular form; only the forms the stemmer
does not already join are kept, multi-word entries are not (footnote compares words). The database
comes from Debian's `wordnet-base` package:

    apt-get download wordnet-base && dpkg-deb -x wordnet-base_*.deb wordnet
    pip install snowballstemmer
    python3 scripts/wordnet_irregular_forms.py wordnet/usr/share/wordnet > src/lexicon/irregular_forms.tsv
"""
import sys
from pathlib import Path

import snowballstemmer

NOTICE = """\
# Irregular forms and their bases from WordNet 3.0's exception lists, written by
# scripts/wordnet_irregular_forms.py; only forms whose Snowball stem differs from the base's.
# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# Permission to use, copy, modify and distribute this software and database and its
# documentation for any purpose and without fee or royalty is hereby granted, provided that you
# agree to comply with the following copyright notice and statements, including the
# disclaimer, and that the same appear on ALL copies of the software, database and
# documentation, including modifications that you make for internal use or for distribution.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO
# REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION,
# PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT- ABILITY OR FITNESS
# FOR ANY PARTICULAR PURPOSE OR THAT THE USE OF THE LICENSED SOFTWARE, DATABASE OR
# DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR OTHER
# RIGHTS. The name of Princeton University or Princeton may not be used in advertising or
# publicity pertaining to distribution of the software and/or database. Title to copyright in
# this software, database and any associated documentation shall at all times remain with
# Princeton University and LICENSEE agrees to preserve same."""


def main(folder: Path) -> None:
    stem = snowballstemmer.stemmer("english").stemWord
    pairs = {}
    for name in ("verb.exc", "noun.exc", "adj.exc"):
        for line in (folder / name).read_text().splitlines():
            words = line.split()
            if len(words) != 2:
                continue
            form, base = words
            if not (form.isalpha() and base.isalpha() and form.islower() and base.islower()):
                continue
            if stem(form) != stem(base):
                pairs.setdefault(form, base)
    print(NOTICE)
    for form in sorted(pairs):
        print(f"{form}\t{pairs[form]}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
