"""The ``govlake`` command line.

Every command ends the same way on govlake's own failures: one ``error: ...`` line on stderr
and exit status 2 for a refusal (bad input, failed check, privacy gate, missing key) or 1 for
an infrastructure failure (storage, a held lock). A traceback means a bug in govlake.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(help="govlake: privacy-preserving data lake for government data sharing.",
                  no_args_is_help=True, add_completion=False)


def guarded(fn):
    """A command whose govlake failures end with a clear message and no traceback."""
    @functools.wraps(fn)
    def run(*a, **kw):
        from govlake.errors import GovlakeError, Refusal
        from govlake.spark import storage_error_from_spark

        try:
            return fn(*a, **kw)
        except GovlakeError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2 if isinstance(exc, Refusal) else 1) from None
        except Exception as exc:
            translated = storage_error_from_spark(exc)
            if translated is None:
                raise
            typer.echo(f"error: {translated}", err=True)
            raise typer.Exit(1) from None
    return run


def command(*args, **kwargs):
    """``app.command`` with :func:`guarded` failures."""
    def wrap(fn):
        return app.command(*args, **kwargs)(guarded(fn))
    return wrap


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("govlake").setLevel(logging.INFO if verbose else logging.WARNING)
    for noisy in ("py4j", "great_expectations", "presidio-analyzer", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@command()
def generate(rows: int = typer.Option(200, help="insured persons; other extracts scale from it"),
             seed: int = typer.Option(20261121, help="random seed (same seed, same extracts)"),
             clean: bool = typer.Option(False, "--clean", help="no deliberately bad rows"),
             dataset: Optional[List[str]] = typer.Option(None, help="only these datasets"),
             drop_date: str = typer.Option("2026-11-21", help="the delivery's date, in its file name"),
             unsigned: bool = typer.Option(False, "--unsigned", help="deliver without a signed manifest")):
    """Write synthetic, signed department deliveries into the landing zone."""
    from govlake.storage import lake
    from govlake.synthetic import generate as gen

    lk = lake()
    for ds, path in gen(lk, rows=rows, seed=seed, messy=not clean, datasets=dataset, drop_date=drop_date,
                        sign=not unsigned).items():
        typer.echo(f"{ds}: {lk.uri(path)}")


@command()
def run(datasets: List[str] = typer.Argument(..., help="one dataset, or several (all stages only)"),
        stage: str = typer.Option("all", help="all, or one of ingest, validate, mask, policy_sync, plan_release "
                                      "(does the release wait for a privacy officer?), publish"),
        batch: Optional[str] = typer.Option(None, help="batch id (for validate or mask: redo that batch)"),
        as_json: bool = typer.Option(False, "--json", help="print the outcome as JSON"),
        run_by: Optional[str] = typer.Option(None, "--as", help="who runs it, for the approval record "
                                             "(default: the login name); they cannot approve the release"),
        verbose: bool = typer.Option(True)):
    """Run a dataset's pipeline in this process, without Airflow (exit 2 if anything was refused, 3 if a
    release waits for a privacy officer: `govlake approve`, then run again)."""
    _logging(verbose)
    from govlake.approvals import RUN_BY_ENV
    from govlake.records import BatchRef
    from jobs import pipeline

    if run_by:
        os.environ[RUN_BY_ENV] = run_by
    if stage == "all":
        refused = waiting = False
        for dataset in datasets:
            outcome = pipeline.run_all(dataset)
            if as_json:
                typer.echo(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2))
            else:
                for line in outcome.lines():
                    typer.echo(line)
            for reason in outcome.refused:
                typer.echo(f"refused: {reason}", err=True)
            if outcome.awaiting_approval:
                typer.echo(f"waiting: {outcome.awaiting_approval}", err=True)
            refused = refused or not outcome.ok
            waiting = waiting or bool(outcome.awaiting_approval)
        if refused or waiting:
            raise typer.Exit(2 if refused else 3)
        return
    if stage not in pipeline.STAGES:
        raise typer.BadParameter(f"--stage must be all or one of {', '.join(pipeline.STAGES)}")
    if len(datasets) != 1:
        raise typer.BadParameter("a single stage runs for one dataset")
    dataset = datasets[0]
    if stage == "policy_sync":
        result = pipeline.STAGES[stage]()
    elif stage in ("ingest", "plan_release", "publish"):
        result = pipeline.STAGES[stage](dataset)
    else:
        if not batch:
            raise typer.BadParameter(f"--batch is needed to run {stage} alone")
        result = pipeline.STAGES[stage](BatchRef.for_batch(dataset, batch).to_dict(), force=True)
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))


@command()
def demo(rows: int = typer.Option(2000, help="insured persons; other extracts scale from it"),
         seed: int = typer.Option(20261121)):
    """Generate extracts, run every dataset's DAG through Airflow, print a summary."""
    from entrypoints.demo import demo as run_demo

    raise typer.Exit(run_demo(rows=rows, seed=seed, echo=typer.echo))


@command()
def summary():
    """Per dataset: rows landed, quarantined, masked; curated and report paths."""
    from entrypoints.demo import print_summary
    from govlake.storage import lake

    print_summary(lake(), echo=typer.echo)


@command()
def deliveries(dataset: str, as_json: bool = typer.Option(False, "--json")):
    """What the landing zone held at the last ingest, and every delivery the ledger knows."""
    from govlake import paths
    from govlake.contracts import load_contract
    from govlake.records import iter_manifests, load_ledger
    from govlake.storage import lake

    load_contract(dataset)
    lk = lake()
    ledger = load_ledger(lk, dataset)
    batches = {m.batch_id: m for m in iter_manifests(lk, dataset)}
    reports = lk.list_files(paths.landing_reports(dataset), "*.json", recursive=False)
    last = lk.read_json(reports[-1].path) if reports else None
    if as_json:
        typer.echo(json.dumps({"ledger": ledger.model_dump(mode="json"), "last_scan": last,
                               "batches": {b: m.status.value for b, m in batches.items()}},
                              ensure_ascii=False, indent=2))
        return
    n = len(ledger.entries)
    typer.echo(f"{dataset}: {n} deliver{'y' if n == 1 else 'ies'} in the ledger")
    for e in sorted(ledger.entries, key=lambda e: (e.sequence or 0, e.first_seen)):
        m = batches.get(e.batch_id or "")
        state = f"{e.state.value}" + (f", batch {e.batch_id}: {m.status.value}" if m else "")
        typer.echo(f"  {e.first_seen[:19]}  {e.delivery_id:<40} {state}" + (f"\n      {e.reason}" if e.reason else ""))
    if last:
        typer.echo(f"last scan of landing/{dataset} ({last['scanned_at']}): {last['summary']}")
        for o in last["entries"]:
            typer.echo(f"  {o['path']}: {o['outcome']}" + (f": {o['reason']}" if o["reason"] else ""))


policy_app = typer.Typer(help="The access policy the object store enforces.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("sync")
@guarded
def policy_sync():
    """Make the object store's users, keys and bucket policy say what the contracts say; report the drift."""
    from govlake.policy import sync
    from govlake.storage import lake

    report = sync(lake())
    for line in report.lines():
        typer.echo(line)


spark_app = typer.Typer(help="The shared Spark engine (a Spark Connect server on loopback).", no_args_is_help=True)
app.add_typer(spark_app, name="spark")


@spark_app.command("up")
@guarded
def spark_up(port: Optional[int] = typer.Option(None, help="gRPC port (default 15002 or GOVLAKE_SPARK_CONNECT_PORT)")):
    """Start the shared engine for this GOVLAKE_HOME (if it is not running); tasks then attach to it."""
    from govlake.spark_server import start

    _logging(False)
    record = start(port=port)
    typer.echo(f"Spark Connect server at {record.url} (pid {record.pid}, master {record.master}); log: {record.log}")


@spark_app.command("down")
@guarded
def spark_down():
    """Stop the shared engine of this GOVLAKE_HOME; later runs start a local engine of their own."""
    from govlake.spark_server import stop

    typer.echo("Spark Connect server stopped" if stop() else "no Spark Connect server was running")


@spark_app.command("status")
@guarded
def spark_status():
    """Which engine a run here would use."""
    from govlake.config import settings
    from govlake.spark_server import attachable_url, running

    cfg = settings()
    record, url = running(cfg), attachable_url(cfg)
    if record:
        typer.echo(f"Spark Connect server at {record.url} (pid {record.pid}, master {record.master}, "
                   f"since {record.started_at}, started for {record.lake_root})")
    typer.echo(f"runs attach to {url}" if url else f"runs start a local engine ({cfg.spark_master})")


audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
@guarded
def audit_verify():
    """Check the audit chain and its signed checkpoints; name the first bad record (exit 1 if any)."""
    from govlake.audit import verify
    from govlake.storage import lake

    result = verify(lake())
    for line in result.lines():
        typer.echo(line)
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("who-read")
@guarded
def audit_who_read(dataset: str,
                   since: Optional[str] = typer.Option(None, help="only uses from this date or time (ISO 8601)"),
                   fmt: str = typer.Option("table", "--format", help="table or json")):
    """Who used a dataset, when and for what: govlake queries and the object store's own request log."""
    import datetime as dt

    from govlake.audit import ops_log_path, who_read
    from govlake.contracts import load_contract
    from govlake.storage import lake

    load_contract(dataset)  # an unknown dataset is named, not answered with "nobody"
    start = None
    if since:
        try:
            start = dt.datetime.fromisoformat(since)
        except ValueError:
            raise typer.BadParameter(f"--since {since!r} is not an ISO 8601 date or time") from None
        start = start if start.tzinfo else start.replace(tzinfo=dt.UTC)
    the_lake = lake()
    uses = who_read(the_lake, dataset, start)
    if fmt == "json":
        typer.echo(json.dumps([u.as_dict() for u in uses], indent=2, ensure_ascii=False))
        return
    if fmt != "table":
        raise typer.BadParameter("--format must be table or json")
    source = (f"the object store's request log ({ops_log_path()})" if the_lake.is_s3 and ops_log_path().exists()
              else "no object-store request log (a local lake, or GOVLAKE_S3_OPS_LOG unset)")
    typer.echo(f"{dataset}: {len(uses)} use(s), from the audit chain and {source}")
    for u in uses:
        if u.via == "govlake query":
            detail = f"purpose: {u.purpose}; {u.what}; {u.rows} row(s)"
        elif u.via == "govlake query, refused":
            detail = (f"purpose: {u.purpose}; " if u.purpose else "") + u.what
        else:
            detail = f"{u.requests} request(s), {u.bytes} byte(s)" + (f", {u.denied} refused" if u.denied else "")
        typer.echo(f"  {u.first[:19]}  {u.principal} ({u.kind})  {u.via}: {detail}")


@command()
def credentials(principal: str, fmt: str = typer.Option("env", "--format", help="env (shell exports) or json")):
    """A principal's object-store keys and the lake's location (the operator only: keys are secrets)."""
    import shlex

    from govlake.policy import credentials_env
    from govlake.storage import lake

    env = credentials_env(principal, lake())
    if fmt == "json":
        typer.echo(json.dumps(env, indent=2))
    elif fmt == "env":
        for k, v in env.items():
            typer.echo(f"export {k}={shlex.quote(v)}")
    else:
        raise typer.BadParameter("--format must be env or json")


@command()
def principals(fmt: str = typer.Option("table", "--format", help="table or json")):
    """Every principal (departments, the service, analysts, privacy officers, the public) and its grants."""
    from govlake.access import AccessModel

    described = AccessModel.load().describe()
    if fmt == "json":
        typer.echo(json.dumps(described, ensure_ascii=False, indent=2))
        return
    if fmt != "table":
        raise typer.BadParameter("--format must be table or json")
    typer.echo(f"{'principal':<24} {'kind':<16} grants")
    for p in described:
        grants = [f"{g['dataset']}/{g['view']} ({', '.join(g['columns'])}; {g['purpose']}; until "
                  f"{g['expires'] or 'no end'}{'; EXPIRED' if g['expired'] else ''})" for g in p["grants"]]
        other = [f"writes {', '.join(p['writes'])}"] if p["kind"] == "department" else \
            [f"reads {', '.join(p['reads'])}"] if p.get("reads") else []
        lines = grants + other or ["-"]
        typer.echo(f"{p['principal']:<24} {p['kind']:<16} {lines[0]}")
        for line in lines[1:]:
            typer.echo(f"{'':<41} {line}")


@command()
def catalog(dataset: Optional[str] = typer.Argument(None),
            fmt: str = typer.Option("text", "--format", help="text or json")):
    """The catalog: every published dataset with its versions, owner, audiences, rows, lineage and reports."""
    from govlake.errors import NotFound
    from govlake.records import iter_catalog, read_catalog_entry
    from govlake.storage import lake

    lk = lake()
    if dataset:
        entry = read_catalog_entry(lk, dataset)
        if entry is None:
            raise NotFound(f"{dataset} has not been published")
        entries = [entry]
    else:
        entries = iter_catalog(lk)
    if fmt == "json":
        typer.echo(json.dumps([e.model_dump(by_alias=True) for e in entries], indent=2, ensure_ascii=False))
        return
    if fmt != "text":
        raise typer.BadParameter("--format must be text or json")
    for entry in entries:
        typer.echo(f"{entry.dataset}: {entry.title}")
        typer.echo(f"  owner      {entry.owner['department']} ({entry.owner['level']}, {entry.owner['region_code']}); "
                   f"{entry.mode}; Iceberg table {entry.table}")
        typer.echo(f"  current    version {entry.version}, {entry.row_count} rows, published {entry.published_at}")
        typer.echo("  versions   " + ", ".join(f"{v['version']} ({v['published_at']}, {v['rows']} rows)"
                                          for v in entry.versions))
        for v in entry.views:
            readers = ", ".join(v["readers"]) or ("anyone (aggregates only)" if v["public"] else "nobody")
            typer.echo(f"  view       {v['view']}: {v['rows']} rows; {readers}; {v['purpose']}"
                       + (f"; until {v['expires']}" if v.get("expires") else ""))
        typer.echo(f"  lineage    {len(entry.source_batches)} batch(es): "
                   + ", ".join(b["batch_id"] for b in entry.source_batches[-5:])
                   + f"; contract {entry.lineage.get('contract')}; release {entry.release_manifest}")
        for kind in ("masking_html", "data_docs"):
            if entry.reports.get(kind):
                typer.echo(f"  {kind.replace('_', ' '):<10} {entry.reports[kind][-1]}")
        typer.echo("")


@command()
def contracts():
    """Check every contract, its suite and the key registry; list the datasets."""
    from govlake.contracts import load_contracts
    from govlake.signing import Keyring
    from jobs.validate import load_suite_config

    found = load_contracts()
    keyring = Keyring.load()
    for c in found.values():
        suite = load_suite_config(c)
        keys = len(keyring.for_department(c.department))
        typer.echo(f"{c.dataset:<20} {c.department:<24} {c.level:<10} {c.source_format}/{c.encoding:<10} "
                   f"{len(c.columns)} columns, {len(c.personal_columns)} personal, "
                   f"{len(suite.get('expectations', []))} expectations; {c.delivery.mode}, signature "
                   f"{c.delivery.signature} ({keys} key{'s' if keys != 1 else ''} registered)")


@command()
def approve(dataset: str, principal: str = typer.Option(..., "--as", help="the privacy officer deciding"),
            reject: bool = typer.Option(False, "--reject", help="reject the release instead"),
            comment: str = typer.Option("", help="why, for the record")):
    """Approve (or reject) the release of DATASET that waits for a privacy officer; audited. The person
    who ran the pipeline cannot approve it. An Airflow run waiting in Required Actions resumes; after
    `govlake run`, run it again to publish."""
    from entrypoints.airflow_hitl import approve as decide_release
    from govlake.storage import lake

    record, run_id = decide_release(lake(), dataset, principal, approve=not reject, comment=comment)
    typer.echo(f"{dataset} release v{record.version}: {record.status} by {principal} "
               f"(request {record.request_id}; reasons: {'; '.join(record.reasons)})")
    typer.echo(f"  Airflow run {run_id} resumes" if run_id else
               f"  no Airflow run was waiting: `govlake run {dataset}` or the next DAG run publishes it")


@command()
def risk(dataset: str, version: int = typer.Option(None, help="the release version (default: the latest evaluated)"),
         as_json: bool = typer.Option(False, "--json", help="print the whole evaluation as JSON")):
    """Show a release's re-identification risk evaluation: the grade per audience, accumulation across
    datasets, the identifier inventory and the context-risk inputs (what a privacy officer signs)."""
    from govlake import paths
    from govlake.errors import NotFound
    from govlake.storage import lake

    lk = lake()
    found = {int(f.path.rsplit("/v", 1)[1].removesuffix(".json")): f.path
             for f in lk.list_files(paths.risk_evaluations(dataset), "v*.json", recursive=False)}
    if not found or (version is not None and version not in found):
        raise NotFound(f"no risk evaluation for '{dataset}'" + (f" version {version}" if version is not None else " yet"))
    rel = found[version if version is not None else max(found)]
    ev = lk.read_json(rel)
    if as_json:
        typer.echo(json.dumps(ev, ensure_ascii=False, indent=2))
        return
    typer.echo(f"risk evaluation {dataset} v{ev['version']} ({ev['evaluated_at']}): grade {ev['grade']} "
               f"({ev['grade_meaning']}); {'passed' if ev['passed'] else 'BLOCKED'}")
    for reason in ev["blocked"]:
        typer.echo(f"  blocked: {reason}")
    for a in ev["audiences"]:
        typer.echo(f"  audience {a['audience']:<20} {a['sharing_model']:<10} τ=1/{a['min_class_size']:<3} "
                   f"{a['grade']}  {a['reason']}")
    for x in ev["accumulation"]:
        typer.echo(f"  joined {x['join']}: {x['people_singled_out']} of {x['people']} people of {x['people_of']} "
                   f"singled out ({'passed' if x['passed'] else 'FAILED'})")
    typer.echo("  inventory:")
    for c in ev["inventory"]:
        to = ", ".join(c.get("received_by") or []) or "nobody"
        typer.echo(f"    {c['column']:<22} {c['column_class']:<18} {c['released_as']:<17} to {to:<32} by {c['decided_by']}")
    for c in ev["context_inputs"]:
        typer.echo(f"  context {c['name']} = {c['value']} (set by {c['set_by']}: {c['reason']})")
    approval = ev.get("approval")
    if approval and approval["needed"]:
        typer.echo(f"  approval: {approval['status']} by {approval['decided_by']} ({approval['decided_at']}, "
                   f"{approval['channel']}); asked because: {'; '.join(approval['reasons'])}; "
                   f"run by {approval['requested_by']}")
    elif approval:
        typer.echo(f"  approval: not needed: {approval['basis']}")
    typer.echo(f"  JSON: {lk.uri(rel)}")


@command()
def site(open_site: bool = typer.Option(False, "--open", help="open it in a browser")):
    """Write the oversight site (catalog, risk evaluations, masking and validation reports, approvals,
    scorecard) to reports/site/: static pages that need no network to view."""
    from govlake.errors import NotFound
    from govlake.site import build
    from govlake.storage import lake

    lk = lake()
    pages = build(lk)
    typer.echo(f"oversight site: {len(pages)} pages, open {lk.uri(pages[0])}")
    if open_site:
        import webbrowser

        if lk.is_s3:
            raise NotFound("--open needs a local lake; download the site from " + lk.uri("reports/site/"))
        webbrowser.open("file://" + lk.local_path(pages[0]))


@command()
def report(dataset: str,
           as_json: bool = typer.Option(False, "--json", help="print the whole report as JSON"),
           open_html: bool = typer.Option(False, "--open", help="open the HTML report in a browser")):
    """Show the latest masking report of a dataset (what a privacy officer reviews)."""
    from govlake.errors import NotFound
    from govlake.records import iter_manifests, read_report
    from govlake.storage import lake

    lk = lake()
    manifests = [m for m in iter_manifests(lk, dataset) if m.masking]
    if not manifests:
        raise NotFound(f"no masking report for '{dataset}' yet")
    latest = max(manifests, key=lambda m: (m.masking.masked_at or m.ingested_at or "", m.delivery.sequence))
    rel, html_rel = latest.masking.report, latest.masking.report_html
    data = read_report(lk, rel)
    if open_html:
        import webbrowser

        if lk.is_s3:
            raise NotFound("--open needs a local lake; download the HTML report from " + lk.uri(html_rel))
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


@command()
def query(sql: str,
          as_principal: Optional[str] = typer.Option(None, "--as", envvar="GOVLAKE_PRINCIPAL",
                                                     help="who is asking (an analyst, or public)"),
          version: Optional[int] = typer.Option(None, help="read this past version"),
          as_of: Optional[str] = typer.Option(None, "--as-of", help="read the version current at this time"),
          purpose: Optional[str] = typer.Option(None, help="the purpose, when the principal has grants for several"),
          fmt: str = typer.Option("table", "--format", help="table, csv, json or parquet"),
          output: Optional[Path] = typer.Option(None, help="write the result here (needed for parquet)")):
    """SQL over the views granted to a principal, read with that principal's own keys."""
    import io

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from govlake.querying import as_of_time
    from govlake.querying import query as run

    if not as_principal:
        raise typer.BadParameter("say who is asking: --as PRINCIPAL (see govlake principals)")
    if fmt not in ("table", "csv", "json", "parquet"):
        raise typer.BadParameter("--format must be table, csv, json or parquet")
    if version is not None and as_of:
        raise typer.BadParameter("give --version or --as-of, not both")
    result = run(sql, as_principal, version=version, as_of=as_of_time(as_of) if as_of else None, purpose=purpose)
    table = result.table
    if fmt == "parquet":
        if output is None:
            raise typer.BadParameter("--format parquet needs --output FILE")
        pq.write_table(table, output)
        typer.echo(f"{table.num_rows} rows written to {output}", err=True)
        return
    if fmt == "csv":
        sink = io.BytesIO()
        pacsv.write_csv(table, sink)
        text = sink.getvalue().decode("utf-8")
    elif fmt == "json":
        text = json.dumps(table.to_pylist(), ensure_ascii=False, default=str, indent=2)
    else:
        text = table.to_pandas().to_string(index=False) if table.num_columns else ""
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text)


@command()
def scan(path: str = typer.Argument(..., help="a CSV, JSON Lines or Parquet file (or a Parquet folder)"),
         column: Optional[List[str]] = typer.Option(None, "--column", help="only these columns"),
         fmt: str = typer.Option("jsonl", "--format", help="jsonl or table"),
         encoding: Optional[str] = typer.Option(None, help="text encoding (default: UTF-8, then GB18030)"),
         threshold: float = typer.Option(0.5, help="minimum score to report")):
    """Scan a file for personal data: one finding per line on stdout, a summary on stderr."""
    import time

    from masking.scanner import ScanError, iter_cells, summarise
    from masking.scanner import scan as run_scan

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
        raise typer.Exit(2) from None
    summary = summarise(findings)
    typer.echo(f"scanned {cells} cells of {path} in {time.perf_counter() - start:.1f}s: {len(findings)} findings",
               err=True)
    for (col, entity), n in sorted(summary.items()):
        typer.echo(f"  {col}: {entity} x{n}", err=True)


@command()
def keygen(department: str,
           out: Path = typer.Option(Path("."), help="folder for the private key and the registry file"),
           key_id: Optional[str] = typer.Option(None, help="default: <department>-<fingerprint>"),
           valid_days: int = typer.Option(365, help="days the key is accepted for")):
    """Make a department's delivery signing key pair: a private key to keep, a registry file to hand in."""
    from govlake.deliveries import key_id_for
    from govlake.signing import ensure_private_key, registry_document

    private_path = out / f"{department}.pem"
    if private_path.exists():
        raise typer.BadParameter(f"{private_path} exists; keys are never overwritten")
    private = ensure_private_key(private_path)
    key_id = key_id or key_id_for(department, private)
    today = dt.date.today()
    registry = out / f"{department}.yaml"
    registry.write_text(registry_document(department, key_id, private.public_key(), today,
                                          today + dt.timedelta(days=valid_days)), encoding="utf-8")
    typer.echo(f"private key (keep it with {department}, readable by its owner only): {private_path}")
    typer.echo(f"public registration (review and commit to contracts/keys/): {registry}")
    typer.echo(f"key id: {key_id}")


@command()
def sign(dataset: str, files: List[Path] = typer.Argument(..., help="the delivery's files, in one folder"),
         key: Path = typer.Option(..., help="the department's private key (PEM)"),
         key_id: Optional[str] = typer.Option(None, help="the key's registered id (default: from the key)"),
         delivery_id: Optional[str] = typer.Option(None, help="the delivery's name (default: from the first file)")):
    """Sign a delivery: write <delivery>.delivery.json (files, sizes, SHA-256, rows) and its .sig beside the files."""
    from govlake.contracts import load_contract
    from govlake.deliveries import SigningKey, file_entry, key_id_for, manifest_name, signed_manifest
    from govlake.errors import DeliveryError
    from govlake.signing import load_private_pem
    from jobs.readers import ReadSettings, read_all

    contract = load_contract(dataset)
    folders = {f.resolve().parent for f in files}
    if len(folders) != 1:
        raise typer.BadParameter("the files of one delivery must be in one folder")
    private = load_private_pem(key.read_bytes(), str(key))
    signing = SigningKey(contract.department, key_id or key_id_for(contract.department, private), private)
    settings = ReadSettings.from_contract(contract)
    entries = []
    for f in files:
        if not f.is_file():
            raise DeliveryError(f"{f}: not a regular file")
        data = f.read_bytes()
        opened, records = read_all(data, str(f), settings)
        bad = sum(1 for r in records if r.problem)
        for note in opened.notes:
            typer.echo(f"note: {f.name}: {note}", err=True)
        if bad:
            typer.echo(f"note: {f.name}: {bad} of {len(records)} rows will be quarantined "
                       f"(first: {next(r.problem for r in records if r.problem)})", err=True)
        entries.append(file_entry(f.name, data, len(records)))
    delivery_id = delivery_id or files[0].name.split(".", 1)[0]
    manifest, signature = signed_manifest(dataset, signing, delivery_id, entries)
    target = folders.pop() / manifest_name(delivery_id)
    target.write_bytes(manifest)
    target.with_name(target.name + ".sig").write_bytes(signature)
    typer.echo(f"signed {len(entries)} file(s), {sum(e.rows or 0 for e in entries)} rows, with key {signing.key_id}:")
    typer.echo(f"  {target}\n  {target}.sig")
    typer.echo("deliver these two files with the data files, after them (the manifest marks the delivery complete)")


@command("verify-release")
def verify_release(target: str = typer.Argument(..., help="a dataset name, or a curated dataset folder"),
                   version: Optional[int] = typer.Option(None, help="a past version (default: the current one)"),
                   public_key: Optional[Path] = typer.Option(None, "--public-key",
                                                             help="the platform's release key (base64); default: "
                                                                  "the one published in the lake's catalog")):
    """Verify a curated release offline: its manifest's signature and every file's size, digest and rows."""
    from govlake.release import verify_release_folder

    report = verify_release_folder(target, public_key, version)
    for line in report.lines:
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(2)


@command()
def erase(resident_id: Optional[str] = typer.Option(None, "--resident-id", help="the subject's resident ID"),
          credit_code: Optional[str] = typer.Option(None, "--credit-code", help="the subject's unified credit code"),
          reason: str = typer.Option("", help="why (a request number, not the identifier)"),
          verbose: bool = typer.Option(False, "-v", "--verbose")):
    """Erase a subject from every curated dataset and view (found by pseudonym; the identifier is not kept)."""
    _logging(verbose)
    if (resident_id is None) == (credit_code is None):
        raise typer.BadParameter("give exactly one of --resident-id and --credit-code")
    from govlake.spark import get_spark
    from govlake.storage import lake
    from jobs.erase import erase as run_erase

    kind, value = ("resident_id", resident_id) if resident_id is not None else ("credit_code", credit_code)
    report = run_erase(kind, value, lake(), get_spark, reason)  # Spark starts only if it is needed
    for line in report.lines():
        typer.echo(line)
    if report.residual_mentions:
        raise typer.Exit(1)


@command("airflow-env")
def airflow_env():
    """Print shell exports for running the `airflow` CLI (and `govlake run`) on the embedded default."""
    from entrypoints.airflow_env import EXPORTED, airflow_environ, key_export_line

    env = airflow_environ(base={})
    for key in EXPORTED:
        if key in env:
            typer.echo(f"export {key}={env[key]!s}")
    typer.echo(key_export_line())
    typer.echo(f"export PATH={os.path.dirname(sys.executable)}:$PATH")


if __name__ == "__main__":
    app()
