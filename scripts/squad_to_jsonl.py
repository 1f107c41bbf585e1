#!/usr/bin/env python3
"""Convert an official SQuAD 2.0 file (`train-v2.0.json` or `dev-v2.0.json`, from
https://rajpurkar.github.io/SQuAD-explorer/) into the JSON-lines form `footnote eval qa` reads
(the form of `../shared/eval/squad2-dev-sample.jsonl`): one row per question with its article
title, paragraph text, gold answers and whether it is answerable.

    python3 scripts/squad_to_jsonl.py train-v2.0.json --articles 2 --with-unanswerable > qa.jsonl

`--articles N` keeps the first N articles (after `--with-unanswerable`, which keeps only articles
that have unanswerable questions: many early articles of the train split have none, and an
abstention model needs both kinds). Plain Python, no packages.
"""
import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("squad_json")
    parser.add_argument("--articles", type=int, help="keep the first N articles")
    parser.add_argument("--with-unanswerable", action="store_true",
                        help="keep only articles that have unanswerable questions")
    args = parser.parse_args()
    with open(args.squad_json, encoding="utf-8") as f:
        articles = json.load(f)["data"]
    if args.with_unanswerable:
        articles = [a for a in articles
                    if any(q.get("is_impossible") for p in a["paragraphs"] for q in p["qas"])]
    for article in articles[: args.articles]:
        for index, paragraph in enumerate(article["paragraphs"]):
            for qa in paragraph["qas"]:
                row = {
                    "id": qa["id"],
                    "title": article["title"],
                    "paragraph_index": index,
                    "context": paragraph["context"],
                    "question": qa["question"],
                    "answers": sorted({a["text"] for a in qa["answers"]}),
                    "answerable": not qa.get("is_impossible", False),
                }
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
