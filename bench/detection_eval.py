"""Detection quality on govlake's labelled evaluation set: precision and recall per entity type,
for each split: tuning, held-out, and sealed (aggregate figures only, never its misses).

    .venv/bin/python bench/detection_eval.py [--n 1000] [--seed 4242] [--split tuning|held_out|sealed|all] [--show-misses 10]
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--split", choices=("tuning", "held_out", "sealed", "all"), default="all")
    parser.add_argument("--show-misses", type=int, default=0)
    args = parser.parse_args()

    from masking.evaluation import build, evaluate, format_table
    from masking.text import analyze

    analyze("warm up 13812345678")
    for split in ("tuning", "held_out", "sealed") if args.split == "all" else (args.split,):
        examples = build(args.n, args.seed, split)
        start = time.perf_counter()
        metrics = evaluate(examples, analyze)
        elapsed = time.perf_counter() - start
        print(f"== {split} split, seed {args.seed}")
        print(format_table(metrics))
        print(f"{len(examples)} texts in {elapsed:.1f}s ({len(examples) / elapsed:.0f} texts/s, one process)")
        shown = 0 if split == "sealed" else args.show_misses  # the sealed split is never looked into
        for miss in metrics["misses"][:shown]:
            print(f"MISS {miss['entity']}: {miss['value']!r} (found {miss['found']}) in {miss['text']!r}")


if __name__ == "__main__":
    main()
