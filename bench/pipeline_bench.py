"""govlake against the I/O floor and Presidio's own engines, side by side in one run.

    make bench                                   # 100k and 1M rows
    .venv/bin/python bench/pipeline_bench.py --sizes 100000 1000000 10000000   # 10M is opt-in

For each size, on the same generated social-security extract (GBK CSV, declared personal columns):

- **floor**: pyarrow reads the CSV and writes Parquet (what any pipeline must at least do);
- **govlake**: ingest, validate, mask and publish, timed per stage, with the engine already running;
- **presidio**: Presidio's BatchAnalyzerEngine + BatchAnonymizerEngine (its defaults, the small
  spaCy model) on the same table's declared personal columns (a sample; rows/s extrapolated).

and once, on the same hotline free text: govlake's text masker (one process, and one process per
core at once), Presidio's batch engines and the whole mask stage through Spark, in cells per
second, with the detection recall of the project's evaluation set at the same settings (speed
must never come from missing data). Peak RSS of the driver (Python) and of the JVM are
sampled throughout. Prints a table; writes JSON and an SVG plot of time against rows to
bench/results/. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
DATASET = "social_insured"
TEXT_DATASET = "hotline_tickets"


class PeakRss:
    """Samples the resident memory of this process and of its JVM children (Spark's driver)."""

    def __init__(self, every: float = 0.2):
        import psutil

        self.me, self.every = psutil.Process(), every
        self.python = self.jvm = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.python = max(self.python, self.me.memory_info().rss)
                jvm = sum(c.memory_info().rss for c in self.me.children(recursive=True) if "java" in c.name())
                self.jvm = max(self.jvm, jvm)
            except Exception:
                pass
            self._stop.wait(self.every)

    def reset(self):
        self.python = self.jvm = 0

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def io_floor(csv_path: Path, out: Path, encoding: str) -> float:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    start = time.perf_counter()
    # The generated extract is messy on purpose (a ragged row): the floor skips what it cannot parse.
    table = pacsv.read_csv(csv_path, read_options=pacsv.ReadOptions(encoding=encoding),
                           parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"))
    pq.write_table(table, out, compression="zstd")
    return time.perf_counter() - start


def presidio_engines():
    """Presidio as it comes: default recognizers, spaCy's small English model (installed offline)."""
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import BatchAnonymizerEngine

    from masking.models import NER_MODEL  # not masking.text: that would load govlake's recognizers first

    _offline_tldextract()
    nlp = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": NER_MODEL}]}).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    return BatchAnalyzerEngine(analyzer_engine=analyzer), BatchAnonymizerEngine()


def _offline_tldextract() -> None:
    """Presidio's e-mail and URL recognizers call tldextract, which fetches the public suffix list
    from the internet on first use; nothing may download at run time: use its bundled snapshot."""
    import tldextract

    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    tldextract.extract = offline
    tldextract.tldextract.TLD_EXTRACTOR = offline


def presidio_table(batch_analyzer, batch_anonymizer, columns: dict[str, list]) -> float:
    start = time.perf_counter()
    results = batch_analyzer.analyze_dict(columns, language="en")
    batch_anonymizer.anonymize_dict(results)
    return time.perf_counter() - start


def presidio_text(batch_analyzer, batch_anonymizer, texts: list[str]) -> float:
    start = time.perf_counter()
    results = batch_analyzer.analyze_iterator(texts, language="en")
    batch_anonymizer.anonymize_list(texts, results)
    return time.perf_counter() - start


def _warm_masker(operators: dict, domain: str, texts: list[str]):
    """govlake's text masker with its models loaded, as in a running worker."""
    from masking.keys import domain_key
    from masking.operators import MaskContext
    from masking.text import TextMasker

    masker = TextMasker(operators, MaskContext(key=domain_key(domain)))
    for _ in masker.mask_many(texts[:50]):
        pass
    return masker


def _seconds_to_mask(masker, texts: list[str]) -> float:
    start = time.perf_counter()
    for _ in masker.mask_many(texts):  # as the mask stage's workers do
        pass
    return time.perf_counter() - start


def govlake_text(texts: list[str], contract) -> float:
    masker = _warm_masker(dict(contract.free_text[0].operators), contract.pseudonym_domain, texts)
    return _seconds_to_mask(masker, texts)


def _text_worker(texts: list[str], operators: dict, domain: str, barrier, results) -> None:
    masker = _warm_masker(operators, domain, texts)
    barrier.wait()
    results.put(_seconds_to_mask(masker, texts))


def govlake_text_parallel(texts: list[str], contract, processes: int) -> float:
    """Cells per second of ``processes`` maskers working at once, one per core, each on all of
    ``texts``: detection and masking on the whole box, without Spark around it."""
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")  # not fork: this process runs a JVM gateway's threads
    barrier, results = spawn.Barrier(processes), spawn.Queue()
    workers = [spawn.Process(target=_text_worker, args=(texts, dict(contract.free_text[0].operators),
                                                         contract.pseudonym_domain, barrier, results))
               for _ in range(processes)]
    for w in workers:
        w.start()
    elapsed = [results.get() for _ in workers]
    for w in workers:
        w.join()
    return processes * len(texts) / max(elapsed)


def recall() -> dict:
    from masking.evaluation import build, evaluate
    from masking.text import analyze

    metrics = evaluate(build(600, 4242), analyze)
    tp = sum(m["tp"] for m in metrics["per_type"].values())
    fn = sum(m["fn"] for m in metrics["per_type"].values())
    return {"recall": tp / (tp + fn), "per_type": {t: round(m["recall"], 4) for t, m in metrics["per_type"].items()},
            "decoy_rate": metrics["decoy_rate"]}


def run_size(rows: int, args, spark, rss: PeakRss, engines) -> dict:
    from govlake.contracts import load_contracts
    from govlake.records import load_manifest
    from govlake.storage import lake as open_lake
    from jobs.ingest import ingest
    from jobs.mask import mask
    from jobs.publish import publish
    from jobs.validate import validate

    home = Path(tempfile.mkdtemp(prefix=f"govlake-bench-{rows}-", dir=args.work))
    os.environ.update(GOVLAKE_LAKE_ROOT=str(home / "lake"))
    lake = open_lake()
    contract = load_contracts()[DATASET]
    # In a child process: the generator holds its rows in memory, and the driver's peak RSS must be
    # the pipeline's own (a process's RSS does not shrink back after a peak).
    written, gen_s = timed(_generate_in_child, rows)
    csv_path = Path(lake.local_path(written[DATASET]))
    size_mb = csv_path.stat().st_size / 1e6
    print(f"\n{rows:,} rows: generated {size_mb:.0f} MB of {contract.encoding} CSV in {gen_s:.0f} s", flush=True)

    floor = io_floor(csv_path, home / "floor.parquet", contract.encoding)
    rss.reset()
    stages = {}
    ref, stages["ingest"] = timed(lambda: ingest(contract, lake, spark).batches[0])
    _, stages["validate"] = timed(validate, contract, lake, spark, ref)
    _, stages["mask"] = timed(mask, contract, lake, spark, ref)
    _, stages["publish"] = timed(publish, contract, lake, spark)
    manifest = load_manifest(lake, ref)
    total = sum(stages.values())
    peak = {"python_mb": rss.python / 2**20, "jvm_mb": rss.jvm / 2**20}

    presidio = None
    if engines is not None:
        import pandas as pd

        n = min(rows, args.presidio_rows)
        frame = pd.read_csv(csv_path, encoding=contract.encoding, dtype=str, nrows=n, keep_default_na=False,
                            on_bad_lines="skip")
        # The extract's header carries the department's names (公民身份号码): map them as the reader does.
        from jobs.readers.base import normalise_name

        by_header = {normalise_name(h): h for h in frame.columns}
        header_of = {c.name: next((by_header[normalise_name(a)] for a in (c.name, *c.aliases)
                                   if normalise_name(a) in by_header), None) for c in contract.personal_columns}
        declared = [c for c, h in header_of.items() if h is not None]
        seconds = presidio_table(*engines, {c: frame[header_of[c]].tolist() for c in declared})
        presidio = {"sample_rows": len(frame), "seconds": seconds, "rows_per_s": len(frame) / seconds,
                    "columns": declared, "extrapolated_s": rows * seconds / len(frame)}
    result = {
        "rows": rows, "csv_mb": round(size_mb, 1), "floor_s": floor, "stages_s": stages, "govlake_s": total,
        "status": manifest.status.value, "rows_landed": manifest.rows_landed,
        "rows_quarantined": manifest.rows_quarantined_ingest + manifest.rows_quarantined_validate,
        "timings_in_manifest": manifest.timings,
        "peak_rss_mb": peak, "presidio_table": presidio,
    }
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    return result


def _generate(rows: int) -> dict:
    from govlake.storage import lake as open_lake
    from govlake.synthetic import generate

    return generate(open_lake(), rows=rows, datasets=[DATASET])


def _generate_in_child(rows: int) -> dict:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_generate, rows).result()


def hotline_texts(n: int) -> list[str]:
    from govlake.contracts import load_contracts
    from govlake.synthetic import BUILDERS, Population

    contract = load_contracts()[TEXT_DATASET]
    column = contract.free_text[0].column
    rows = BUILDERS[TEXT_DATASET](Population(max(50, n // 2), 20261121), False)
    texts = [r[column] for r in rows if r.get(column)]
    while len(texts) < n:
        texts += texts
    return texts[:n]


def print_table(results: list[dict], text: dict) -> None:
    print("\n" + "=" * 118)
    print(f"{'rows':>10} {'MB':>6} {'floor':>7} {'ingest':>8} {'validate':>9} {'mask':>7} {'publish':>8} {'govlake':>8} "
          f"{'x floor':>8} {'rows/s':>9} {'presidio*':>10} {'x presidio':>10} {'peak py/jvm MB':>15}")
    for r in results:
        s = r["stages_s"]
        p = r["presidio_table"]
        vs = f"{p['extrapolated_s'] / r['govlake_s']:.1f}x" if p else "-"
        print(f"{r['rows']:>10,} {r['csv_mb']:>6.0f} {r['floor_s']:>6.1f}s {s['ingest']:>7.1f}s {s['validate']:>8.1f}s "
              f"{s['mask']:>6.1f}s {s['publish']:>7.1f}s {r['govlake_s']:>7.1f}s {r['govlake_s'] / r['floor_s']:>7.0f}x "
              f"{r['rows'] / r['govlake_s']:>9,.0f} {(p['extrapolated_s'] if p else 0):>9.0f}s {vs:>10} "
              f"{r['peak_rss_mb']['python_mb']:>7.0f}/{r['peak_rss_mb']['jvm_mb']:<7.0f}")
    print("* Presidio BatchAnalyzerEngine + BatchAnonymizerEngine on the declared personal columns, measured on a "
          "sample and extrapolated; 'x presidio' = how many times faster govlake is.")
    if text:
        print(f"\nfree text ({text['cells']:,} hotline cells, one process, models loaded): govlake "
              f"{text['govlake_cells_per_s']:,.0f} cells/s, Presidio batch engines {text['presidio_cells_per_s']:,.0f} "
              f"cells/s ({text['govlake_cells_per_s'] / text['presidio_cells_per_s']:.1f}x); "
              f"govlake on all {text['processes']} cores: {text['govlake_all_cores_cells_per_s']:,.0f} cells/s; "
              f"mask stage through Spark: {text.get('spark_cells_per_s', 0):,.0f} cells/s")
        print(f"detection recall on the evaluation set at the same settings: {text['recall']['recall']:.3f} "
              f"(look-alike numbers flagged {100 * text['recall']['decoy_rate']:.2f}%)")


def svg_plot(results: list[dict], path: Path) -> None:
    """Time against rows, log-log: floor, each govlake stage and end to end."""
    import math

    series = {"floor": [r["floor_s"] for r in results], "govlake end to end": [r["govlake_s"] for r in results]}
    for stage in ("ingest", "validate", "mask", "publish"):
        series[stage] = [r["stages_s"][stage] for r in results]
    xs = [r["rows"] for r in results]
    w, h, pad = 640, 400, 60
    lx = [math.log10(x) for x in xs]
    ys = [max(v, 0.01) for vs in series.values() for v in vs]
    ly0, ly1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    x0, x1 = (min(lx) - 0.2, max(lx) + 0.2) if len(xs) > 1 else (lx[0] - 1, lx[0] + 1)

    def px(x):
        return pad + (math.log10(x) - x0) / (x1 - x0) * (w - 2 * pad)

    def py(y):
        return h - pad - (math.log10(max(y, 0.01)) - ly0) / max(ly1 - ly0, 1) * (h - 2 * pad)

    colors = ["#888", "#000", "#1f77b4", "#2ca02c", "#d62728", "#9467bd"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="18" text-anchor="middle" font-size="13">govlake {DATASET}: seconds against rows '
           '(log-log)</text>']
    for e in range(ly0, ly1 + 1):
        out.append(f'<line x1="{pad}" x2="{w - pad}" y1="{py(10 ** e)}" y2="{py(10 ** e)}" stroke="#eee"/>'
                   f'<text x="{pad - 6}" y="{py(10 ** e) + 4}" text-anchor="end">{10 ** e:g} s</text>')
    for x in xs:
        out.append(f'<text x="{px(x)}" y="{h - pad + 16}" text-anchor="middle">{x:,}</text>')
    for i, (name, vs) in enumerate(series.items()):
        pts = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in zip(xs, vs, strict=True))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colors[i]}" stroke-width="2"/>')
        out.append(f'<text x="{w - pad + 4}" y="{py(vs[-1]) + 4}" fill="{colors[i]}">{name}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--text-cells", type=int, default=2000)
    parser.add_argument("--spark-text-rows", type=int, default=10000, help="hotline tickets through the mask stage")
    parser.add_argument("--warmup-rows", type=int, default=20000, help="an untimed round first (0: none)")
    parser.add_argument("--presidio-rows", type=int, default=5000, help="sample Presidio's table engines run on")
    parser.add_argument("--no-presidio", action="store_true")
    parser.add_argument("--work", default=None, help="folder for the generated data (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep each size's lake")
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="govlake-bench-", dir=args.work))
    args.work = str(base)
    os.environ.update(GOVLAKE_HOME=str(base / "home"))
    os.environ.setdefault("GOVLAKE_PSEUDONYM_KEY", "benchmark-only-key-0123456789abcdef")
    os.environ.setdefault("GOVLAKE_SPARK_DRIVER_MEMORY", "6g")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    # Presidio's own engines first: its recognizer loader looks classes up among all loaded
    # subclasses, and once govlake's recognizers are imported it picks one of them by mistake.
    engines = None if args.no_presidio else presidio_engines()
    from govlake.signing import RELEASE_KEY_ENV, ensure_private_key

    key = base / "home" / "secrets" / "release-signing.pem"
    ensure_private_key(key)
    os.environ.setdefault(RELEASE_KEY_ENV, str(key))

    from govlake.contracts import load_contracts
    from govlake.spark import get_spark, stop_spark

    with PeakRss() as rss:
        spark, start_s = timed(get_spark)
        print(f"engine: {type(spark).__module__.split('.')[2] if 'connect' in type(spark).__module__ else 'local'} "
              f"Spark ready in {start_s:.0f} s (excluded from the figures below)", flush=True)
        if args.warmup_rows:
            # A running service has its modules imported, its JIT warm and Spark's Python workers
            # up: one untimed round first, so each size's figures are the work, not the start-up.
            print(f"warm-up round ({args.warmup_rows:,} rows, not counted)", flush=True)
            run_size(args.warmup_rows, args, spark, rss, None)
        results = [run_size(n, args, spark, rss, engines) for n in args.sizes]

        text = {}
        if args.text_cells:
            contract = load_contracts()[TEXT_DATASET]
            texts = hotline_texts(args.text_cells)
            g = govlake_text(texts, contract)
            cores = os.cpu_count() or 1
            text = {"cells": len(texts), "govlake_cells_per_s": len(texts) / g, "processes": cores,
                    "govlake_all_cores_cells_per_s": govlake_text_parallel(texts, contract, cores)}
            if engines is not None:
                presidio_text(*engines, texts[:10])
                p = presidio_text(*engines, texts)
                text["presidio_cells_per_s"] = len(texts) / p
            text["spark_cells_per_s"] = spark_text_throughput(spark, args)
            text["recall"] = recall()
    stop_spark()

    print_table(results, text if "presidio_cells_per_s" in text else {})
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    record = {"at": stamp, "host": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version(),
              "engine_start_s": start_s, "sizes": results, "free_text": text,
              "max_rss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    (out / f"bench-{stamp}.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    svg_plot(results, out / f"bench-{stamp}.svg")
    print(f"\nresults: {out / f'bench-{stamp}.json'} and .svg")
    shutil.rmtree(base, ignore_errors=True)


def _warm_python_workers(spark) -> None:
    """Spark's Python workers load the NLP models once each and are then reused, as in a running
    engine: load them before timing, so the figure is throughput rather than start-up."""
    from govlake.config import settings

    def load(frames):
        from masking.text import analyze

        for frame in frames:
            analyze("张三 test@example.com John Smith 13800138000")
            yield frame

    n = settings().spark_shuffle_partitions
    spark.range(0, n * 4, 1, n * 4).mapInPandas(load, "id long").write.format("noop").mode("overwrite").save()


def spark_text_throughput(spark, args) -> float:
    """Hotline tickets through ingest and mask on Spark (every core): free-text cells per second of the
    whole mask stage (discovery, risk gate, masking, verification's second analysis, the report)."""
    from govlake.contracts import load_contracts
    from govlake.storage import lake as open_lake
    from govlake.synthetic import generate
    from jobs.ingest import ingest
    from jobs.mask import mask
    from jobs.validate import validate

    os.environ.update(GOVLAKE_LAKE_ROOT=str(Path(args.work) / "text-lake"))
    lake = open_lake()
    contract = load_contracts()[TEXT_DATASET]
    # One ticket per two persons. Enough tickets that the stage's fixed costs (discovery on a
    # sample, the risk gate's aggregates, writing) do not hide the per-cell work, which runs
    # twice: masking, then verification analyses every masked cell again.
    generate(lake, rows=2 * max(2000, args.spark_text_rows), datasets=[TEXT_DATASET])
    ref = ingest(contract, lake, spark).batches[0]
    validate(contract, lake, spark, ref)
    _warm_python_workers(spark)
    _, seconds = timed(mask, contract, lake, spark, ref)
    from govlake.records import load_manifest

    return load_manifest(lake, ref).rows_ingested * len(contract.free_text) / seconds


if __name__ == "__main__":
    main()
