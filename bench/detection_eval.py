"""Detection quality on govlake's labelled evaluation set: precision and recall per entity type.

    .venv/bin/python bench/detection_eval.py [--n 1000] [--seed 4242] [--show-misses 10]
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--show-misses", type=int, default=0)
    args = parser.parse_args()

    from masking.evaluation import build, evaluate, format_table
    from masking.text import analyze

    examples = build(args.n, args.seed)
    analyze("warm up 13812345678")
    start = time.perf_counter()
    metrics = evaluate(examples, analyze)
    elapsed = time.perf_counter() - start
    print(format_table(metrics))
    print(f"{len(examples)} texts in {elapsed:.1f}s ({len(examples) / elapsed:.0f} texts/s, one process)")
    if args.show_misses:
        shown = 0
        for ex in examples:
            found = [(r.start, r.end, r.entity_type) for r in analyze(ex.text)]
            for s, e, t in ex.spans:
                if not any(pt == t and ps < e and s < pe for ps, pe, pt in found) and shown < args.show_misses:
                    print(f"MISS {t}: {ex.text[s:e]!r} in {ex.text!r}")
                    shown += 1


if __name__ == "__main__":
    main()
