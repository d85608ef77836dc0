"""The ``govlake`` command line."""

from __future__ import annotations

import json
import logging
import sys
from typing import List, Optional

import typer

app = typer.Typer(help="govlake: privacy-preserving data lake for government data sharing.",
                  no_args_is_help=True, add_completion=False)


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("govlake").setLevel(logging.INFO)
    for noisy in ("py4j", "great_expectations", "presidio-analyzer", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command()
def generate(rows: int = typer.Option(200, help="insured persons; other extracts scale from it"),
             seed: int = typer.Option(20261121, help="random seed (same seed, same extracts)"),
             clean: bool = typer.Option(False, "--clean", help="no deliberately bad rows"),
             dataset: Optional[List[str]] = typer.Option(None, help="only these datasets")):
    """Write synthetic department extracts into the landing zone."""
    from govlake.storage import lake
    from govlake.synthetic import generate as gen

    lk = lake()
    for ds, path in gen(lk, rows=rows, seed=seed, messy=not clean, datasets=dataset).items():
        typer.echo(f"{ds}: {lk.uri(path)}")


@app.command()
def run(dataset: str, stage: str = typer.Option("all", help="all, ingest, validate, mask or publish"),
        batch: Optional[str] = typer.Option(None, help="batch id (for a single later stage)"),
        verbose: bool = typer.Option(True)):
    """Run a dataset's pipeline in this process, without Airflow."""
    _logging(verbose)
    from govlake.contracts import ContractError
    from jobs import pipeline
    from jobs.common import PipelineError, manifest_path
    from masking.keys import MissingKeyError

    try:
        if stage == "all":
            result = pipeline.run_all(dataset)
        elif stage == "ingest":
            result = pipeline.run_ingest(dataset)
        else:
            if not batch:
                raise typer.BadParameter("--batch is needed to run a single later stage")
            ref = {"dataset": dataset, "batch_id": batch, "manifest": manifest_path(dataset, batch)}
            result = getattr(pipeline, f"run_{stage}")(ref)
    except (PipelineError, ContractError, MissingKeyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


@app.command()
def demo(rows: int = typer.Option(2000, help="insured persons; other extracts scale from it"),
         seed: int = typer.Option(20261121)):
    """Generate extracts, run every dataset's DAG through Airflow, print a summary."""
    from govlake.demo import demo as run_demo

    raise typer.Exit(run_demo(rows=rows, seed=seed, echo=typer.echo))


@app.command()
def summary():
    """Per dataset: rows landed, quarantined, masked; curated and report paths."""
    from govlake.demo import print_summary
    from govlake.storage import lake

    print_summary(lake(), echo=typer.echo)


@app.command()
def catalog(dataset: Optional[str] = typer.Argument(None)):
    """Show the catalog: every published dataset, or one dataset's entry."""
    from govlake.storage import lake

    lk = lake()
    if dataset:
        rel = f"catalog/{dataset}.json"
        if not lk.exists(rel):
            typer.echo(f"error: {dataset} has not been published", err=True)
            raise typer.Exit(1)
        typer.echo(json.dumps(lk.read_json(rel), ensure_ascii=False, indent=2))
        return
    for _, entry in lk.iter_json("catalog"):
        typer.echo(f"{entry['dataset']:<20} v{entry['version']}  {entry['row_count']:>8} rows  "
                   f"{entry['owner']['department']} ({entry['owner']['level']})  {entry['path']}")


@app.command()
def contracts():
    """Check every contract and its suite; list the datasets."""
    from govlake.contracts import ContractError, load_contracts
    from jobs.common import PipelineError
    from jobs.validate import load_suite_config
    from masking.operators import get_operator

    try:
        found = load_contracts()
        for c in found.values():
            suite = load_suite_config(c)
            rules = [(col.name, col.personal.operator) for col in c.personal_columns]
            rules += [(f"risk.generalise {s.column}", s.operator) for s in c.risk.generalise]
            rules += [(f"free_text {ft.column}", op) for ft in c.free_text for op in ft.operators.values()]
            for where, op in rules:
                try:
                    get_operator(op)
                except KeyError as exc:
                    raise ContractError(f"{c.path}: {where}: {exc.args[0]}") from None
            typer.echo(f"{c.dataset:<20} {c.department:<24} {c.level:<10} {c.source_format}/{c.encoding:<10} "
                       f"{len(c.columns)} columns, {len(c.personal_columns)} personal, "
                       f"{len(suite.get('expectations', []))} expectations")
    except (ContractError, PipelineError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)


@app.command()
def report(dataset: str,
           as_json: bool = typer.Option(False, "--json", help="print the whole report as JSON"),
           open_html: bool = typer.Option(False, "--open", help="open the HTML report in a browser")):
    """Show the latest masking report of a dataset (what a privacy officer reviews)."""
    from govlake.storage import lake

    lk = lake()
    manifests = [m for _, m in lk.iter_json(f"raw/{dataset}/_batches") if (m.get("masking") or {}).get("report")]
    if not manifests:
        typer.echo(f"error: no masking report for '{dataset}' yet", err=True)
        raise typer.Exit(1)
    latest = max(manifests, key=lambda m: m["masking"].get("masked_at") or m.get("ingested_at", ""))
    rel = latest["masking"]["report"]
    data = lk.read_json(rel)
    html_rel = latest["masking"].get("report_html", rel[:-5] + ".html")
    if open_html:
        import webbrowser

        if lk.is_s3:
            typer.echo("error: --open needs a local lake; download the HTML report from " + lk.uri(html_rel), err=True)
            raise typer.Exit(2)
        webbrowser.open("file://" + lk.local_path(html_rel))
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    ver, risk = data.get("verification") or {}, data.get("risk") or {}
    typer.echo(f"masking report {dataset} batch {data['batch_id']} ({data['generated_at']})")
    if data.get("blocked"):
        typer.echo(f"  BLOCKED: {data['blocked']}")
    typer.echo(f"  rows published {data.get('rows', 0)} of {data.get('rows_in', '?')}, "
               f"suppressed {risk.get('suppressed_rows', 0)}; key version {data.get('key_version')}")
    if ver:
        typer.echo(f"  verification: {'passed' if ver['passed'] else 'FAILED'} ({ver['findings']} findings)")
    if risk.get("before"):
        typer.echo(f"  k-anonymity over {', '.join(risk['quasi_identifiers'])}: {risk['before']['k']} -> "
                   f"{(risk.get('after') or {}).get('k')} (required {risk['k_required']})"
                   + (f"; l-diversity {risk['before']['l']} -> {(risk.get('after') or {}).get('l')} "
                      f"(required {risk['l_required']})" if risk.get("l_required") else ""))
    for u in (data.get("discovery") or {}).get("undeclared", []):
        typer.echo(f"  undeclared: {u['column']} holds {', '.join(u['entities'])} ({u['fraction']:.0%} of sampled cells)")
    for c in data.get("columns", []):
        typer.echo(f"  {c['column']:<22} {c['entity']:<16} {c['operator']:<20} {c['values_masked']:>7} masked, "
                   f"e.g. {', '.join(c['masked_examples'][:2])}")
    for ft in data.get("free_text", []):
        found = ", ".join(f"{e} {n}" for e, n in ft["entities_found"].items())
        typer.echo(f"  {ft['column']:<22} free text: {found}")
    typer.echo(f"  JSON: {lk.uri(rel)}")
    typer.echo(f"  HTML: {lk.uri(html_rel)}")


@app.command()
def query(sql: str):
    """Query curated datasets with DuckDB; each published dataset is a view of its name."""
    import duckdb

    from jobs.publish import read_current
    from govlake.contracts import load_contracts
    from govlake.storage import lake

    lk = lake()
    con = duckdb.connect()
    if lk.is_s3:
        typer.echo("error: query supports the local lake only for now", err=True)
        raise typer.Exit(2)
    for ds in load_contracts():
        current = read_current(lk, ds)
        if current:
            con.execute(f"create view {ds} as select * from read_parquet('{current['path']}/*.parquet')")
    result = con.sql(sql)
    typer.echo(result.df().to_string(index=False) if result is not None else "")


@app.command()
def scan(path: str = typer.Argument(..., help="a CSV, JSON Lines or Parquet file (or a Parquet folder)"),
         column: Optional[List[str]] = typer.Option(None, "--column", help="only these columns"),
         fmt: str = typer.Option("jsonl", "--format", help="jsonl or table"),
         encoding: Optional[str] = typer.Option(None, help="text encoding (default: UTF-8, then GB18030)"),
         threshold: float = typer.Option(0.5, help="minimum score to report")):
    """Scan a file for personal data: one finding per line on stdout, a summary on stderr."""
    import time
    from pathlib import Path

    from masking.scanner import ScanError, iter_cells, scan as run_scan, summarise

    if fmt not in ("jsonl", "table"):
        raise typer.BadParameter("--format must be jsonl or table")
    if not Path(path).exists():
        typer.echo(f"error: {path}: no such file", err=True)
        raise typer.Exit(2)
    start = time.perf_counter()
    findings = []
    cells = 0

    def counted():
        nonlocal cells
        for cell in iter_cells(Path(path), encoding=encoding):
            cells += 1
            yield cell

    if fmt == "table":
        typer.echo(f"{'row':>6}  {'column':<20} {'start':>5} {'end':>5}  {'entity_type':<18} score")
    try:
        for f in run_scan(counted(), column, threshold):
            findings.append(f)
            if fmt == "jsonl":
                typer.echo(f.to_json())
            else:
                typer.echo(f"{f.row:>6}  {f.column:<20} {f.start:>5} {f.end:>5}  {f.entity_type:<18} {f.score:.2f}")
    except ScanError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    summary = summarise(findings)
    typer.echo(f"scanned {cells} cells of {path} in {time.perf_counter() - start:.1f}s: {len(findings)} findings",
               err=True)
    for (col, entity), n in sorted(summary.items()):
        typer.echo(f"  {col}: {entity} x{n}", err=True)


@app.command("airflow-env")
def airflow_env():
    """Print shell exports for running the `airflow` CLI on the embedded default."""
    import os

    from govlake.airflow_env import airflow_environ

    env = airflow_environ(base={})
    for key in ("AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__LOAD_EXAMPLES",
                "AIRFLOW__CORE__PARALLELISM", "AIRFLOW__API__HOST", "GOVLAKE_HOME", "GOVLAKE_LAKE_ROOT", "PYTHONPATH"):
        typer.echo(f"export {key}={env[key]!s}")
    typer.echo(f"export PATH={os.path.dirname(sys.executable)}:$PATH")
    typer.echo("# the pseudonymisation key is read from .govlake/secrets/pseudonym.key by `govlake demo`;")
    typer.echo("# export GOVLAKE_PSEUDONYM_KEY=$(cat .govlake/secrets/pseudonym.key) for manual runs")


if __name__ == "__main__":
    app()
