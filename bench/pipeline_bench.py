"""Pipeline throughput benchmark: prints seconds and rows/s per stage and dataset.

    .venv/bin/python bench/pipeline_bench.py [--rows 20000] [--datasets social_insured hotline_tickets]

Runs in a throwaway GOVLAKE_HOME on the embedded default (local lake, Spark local mode). Targets
(2-core machine): declared-column datasets >= 5,000 rows/s end to end after Spark start; free-text
masking >= 50 cells/s per core. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000, help="insured persons (other extracts scale from it)")
    parser.add_argument("--datasets", nargs="*", default=["social_insured", "tax_filings", "hotline_tickets"])
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="govlake-bench-")
    os.environ.update(GOVLAKE_HOME=home, GOVLAKE_LAKE_ROOT=os.path.join(home, "lake"))
    os.environ.setdefault("GOVLAKE_PSEUDONYM_KEY", "benchmark-only-key-0123456789")
    logging.basicConfig(level=logging.WARNING)
    from pathlib import Path

    from govlake.signing import RELEASE_KEY_ENV, ensure_private_key

    ensure_private_key(Path(home) / "secrets" / "release-signing.pem")
    os.environ.setdefault(RELEASE_KEY_ENV, str(Path(home) / "secrets" / "release-signing.pem"))

    from govlake.contracts import load_contracts
    from govlake.records import load_manifest
    from govlake.spark import get_spark
    from govlake.storage import lake as open_lake
    from govlake.synthetic import generate
    from jobs.ingest import ingest
    from jobs.mask import mask
    from jobs.publish import publish
    from jobs.validate import validate

    lake = open_lake()
    t = time.perf_counter()
    generate(lake, rows=args.rows, datasets=args.datasets)
    print(f"generate {args.rows} persons: {time.perf_counter() - t:.1f}s")
    t = time.perf_counter()
    spark = get_spark()
    print(f"spark session start: {time.perf_counter() - t:.1f}s")
    contracts = load_contracts()
    print(f"{'dataset':<18} {'rows':>7} {'ingest':>8} {'validate':>9} {'mask':>8} {'publish':>8} {'total':>8} {'rows/s':>8}")
    for ds in args.datasets:
        c = contracts[ds]
        times = {}
        t = time.perf_counter()
        ref = ingest(c, lake, spark).batches[0]
        times["ingest"] = time.perf_counter() - t
        t = time.perf_counter()
        validate(c, lake, spark, ref)
        times["validate"] = time.perf_counter() - t
        t = time.perf_counter()
        mask(c, lake, spark, ref)
        times["mask"] = time.perf_counter() - t
        t = time.perf_counter()
        publish(c, lake, spark)
        times["publish"] = time.perf_counter() - t
        rows = load_manifest(lake, ref).rows_landed
        total = sum(times.values())
        print(f"{ds:<18} {rows:>7} {times['ingest']:>7.1f}s {times['validate']:>8.1f}s {times['mask']:>7.1f}s "
              f"{times['publish']:>7.1f}s {total:>7.1f}s {rows / total:>8.0f}")
    print(f"state: {home}")


if __name__ == "__main__":
    main()
