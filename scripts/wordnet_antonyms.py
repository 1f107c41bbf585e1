#!/usr/bin/env python3
"""Write the single-word antonym pairs of WordNet 3.0 as `src/lexicon/antonyms.tsv`, one pair and
its part of speech (noun, verb, adj, adv) a line.

footnote uses them to notice a question that asks about the opposite of what its best sentence
says ("When did the price increase?" over "The price decreased in May."), a common way a
question goes unanswered although it shares most words with a passage. WordNet's lexical antonym
pointers ("!") link word senses; every pair of single words so linked is kept, multi-word
expressions are not (footnote compares words). The part of speech tells footnote which words are
gradable adjectives or adverbs, whose comparatives ("softer") it reads back to the word. The
database comes from Debian's `wordnet-base` package:

    apt-get download wordnet-base && dpkg-deb -x wordnet-base_*.deb wordnet
    python3 scripts/wordnet_antonyms.py wordnet/usr/share/wordnet > src/lexicon/antonyms.tsv

Plain Python, no packages.
"""
import sys
from pathlib import Path

NOTICE = """\
# Antonym pairs from WordNet 3.0, written by scripts/wordnet_antonyms.py.
# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# Permission to use, copy, modify and distribute this software and database and its
# documentation for any purpose and without fee or royalty is hereby granted, provided that you
# agree to comply with the following copyright notice and statements, including the
# disclaimer, and that the same appear on ALL copies of the software, database and
# documentation, including modifications that you make for internal use or for distribution.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO
# REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION,
# PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANTABILITY OR FITNESS FOR
# ANY PARTICULAR PURPOSE OR THAT THE USE OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL
# NOT INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR OTHER RIGHTS.
# The name of Princeton University or Princeton may not be used in advertising or publicity
# pertaining to distribution of the software and/or database. Title to copyright in this
# software, database and any associated documentation shall at all times remain with Princeton
# University and LICENSEE agrees to preserve same."""

PARTS_OF_SPEECH = ["noun", "verb", "adj", "adv"]


def word(lemma):
    """A lemma as text: adjective markers like "(a)" dropped, lower-cased."""
    return lemma.split("(")[0].lower()


def synsets(folder):
    """Yield ((part of speech, offset), words, antonym pointers) of every synset; a pointer is
    (target offset, source word number, target word number), numbers counting from 1."""
    for pos in PARTS_OF_SPEECH:
        with open(folder / f"data.{pos}", encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):  # the license header
                    continue
                fields = line.split(" | ")[0].split()
                word_count = int(fields[3], 16)
                words = [word(fields[4 + 2 * i]) for i in range(word_count)]
                i = 4 + 2 * word_count
                pointer_count = int(fields[i])
                pointers = []
                for p in range(pointer_count):
                    symbol, target, _pos, numbers = fields[i + 1 + 4 * p : i + 5 + 4 * p]
                    if symbol == "!":
                        pointers.append((target, int(numbers[:2], 16), int(numbers[2:], 16)))
                # Offsets are byte positions within one file, so they are keyed by file.
                yield (pos, fields[0]), words, pointers


def main():
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/wordnet")
    words_of = {}
    antonyms = []
    for key, words, pointers in synsets(folder):
        words_of[key] = words
        antonyms += [(key[0], words, target, source, dest) for target, source, dest in pointers]
    pairs = set()
    for pos, words, target, source, dest in antonyms:
        a, b = words[source - 1], words_of[(pos, target)][dest - 1]
        if "_" not in a and "_" not in b and a != b:
            pairs.add((*sorted((a, b)), pos))
    print(NOTICE)
    for a, b, pos in sorted(pairs):
        print(f"{a}\t{b}\t{pos}")


if __name__ == "__main__":
    main()
