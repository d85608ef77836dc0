"""``make demo``: synthetic extracts -> every dataset's DAG through real Airflow -> a summary."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from entrypoints.airflow_env import airflow_environ
from govlake.config import settings
from govlake.contracts import load_contracts
from govlake.records import iter_manifests, read_catalog_entry, read_report
from govlake.storage import Lake

DEMO_PRIVACY_OFFICER = "privacy_officer"


def _airflow(args: list[str], env: dict, log_path: Path, while_running=None) -> int:
    """Run an Airflow command; ``while_running()`` is called every two seconds until it ends, and
    stops it by returning False."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "airflow"), *args], env=env,
                                stdout=log, stderr=subprocess.STDOUT, cwd=env["AIRFLOW_HOME"])
        while proc.poll() is None:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                if while_running and while_running() is False:
                    proc.terminate()
                    proc.wait()
                    return 1
    return proc.returncode


def _approver(dag_id: str, officer: str, env: dict, echo):
    """Approve the run's release as ``officer`` once it waits, with ``govlake approve`` (what a privacy
    officer does in the UI's Required Actions); False, to stop the run, if the approval is refused."""
    from govlake.approvals import pending

    contract = next((c for c in load_contracts().values() if c.dag_id == dag_id), None)

    def check() -> bool:
        if contract is None or pending(Lake.from_settings(), contract.dataset) is None:
            return True
        done = subprocess.run([sys.executable, "-m", "entrypoints.cli", "approve", contract.dataset, "--as", officer,
                               "--comment", "approved by the unattended demo"], env=env, capture_output=True, text=True)
        for line in (done.stdout + done.stderr).strip().splitlines():
            echo(f"    {line}")
        return done.returncode == 0
    return check


def run_dags(dag_ids: list[str], logical_date: str, echo=print, approve_as: str | None = None) -> dict[str, int]:
    """``airflow dags test`` each DAG (after ``airflow db migrate``); returns exit codes. With
    ``approve_as``, that privacy officer approves every release that waits for one."""
    cfg = settings()
    env = airflow_environ(cfg)
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    logs = cfg.home / "logs"
    start = time.time()
    if _airflow(["db", "migrate"], env, logs / "airflow-db-migrate.log") != 0:
        raise SystemExit(f"airflow db migrate failed; see {logs / 'airflow-db-migrate.log'}")
    echo(f"  airflow metadata database ready ({time.time() - start:.0f}s)")
    codes = {}
    for dag_id in dag_ids:
        start = time.time()
        log_path = logs / f"{dag_id}.log"
        codes[dag_id] = _airflow(["dags", "test", dag_id, logical_date], env, log_path,
                                 _approver(dag_id, approve_as, env, echo) if approve_as else None)
        state = "ok" if codes[dag_id] == 0 else f"FAILED (exit {codes[dag_id]}, log {log_path})"
        echo(f"  {dag_id}: {state} ({time.time() - start:.0f}s)")
    return codes


def summary_rows(lake: Lake) -> list[dict]:
    rows = []
    for ds in sorted(load_contracts()):
        entry = read_catalog_entry(lake, ds)
        manifests = iter_manifests(lake, ds)
        if not entry:
            status = "not published"
            if manifests:
                latest = manifests[-1]
                reason = latest.refused_reason or latest.rejected_reason or latest.blocked_reason
                status += f" (batch {latest.batch_id}: {latest.status.value}{': ' + reason if reason else ''})"
            rows.append({"dataset": ds, "status": status})
            continue
        batches = entry.source_batches
        masking = [read_report(lake, lake.rel(p)) for p in entry.reports["masking"]]
        rows.append({
            "dataset": ds,
            "status": "published",
            "mode": entry.mode,
            "deliveries": len(manifests),
            "landed": sum(b["rows_landed"] for b in batches),
            "quarantined": sum(b["rows_quarantined"] for b in batches),
            "published": entry.row_count,
            "masked": sum(m["totals"]["entities_masked"] for m in masking),
            "suppressed": sum(b.get("rows_suppressed", 0) for b in batches),
            "k": [(m.get("risk") or {}).get("after", {}) or {} for m in masking][-1].get("k"),
            "verified": all((m.get("verification") or {}).get("passed") for m in masking),
            "signed": all(b["signed"] for b in batches),
            "html": entry.reports.get("masking_html", [""])[-1],
            "curated": f"{entry.table} (version {entry.version}, {entry.location})",
            "release": entry.release_manifest,
            "views": ", ".join(v["view"] for v in entry.views),
            "report": entry.reports["masking"][-1],
            "validation": entry.reports["validation"][-1],
        })
    return rows


def print_summary(lake: Lake, echo=print) -> None:
    echo("")
    echo("govlake demo summary")
    echo("=" * 78)
    for r in summary_rows(lake):
        if r["status"] != "published":
            echo(f"{r['dataset']}: {r['status']}")
            continue
        echo(f"{r['dataset']} ({r['mode']}, {r['deliveries']} deliver{'y' if r['deliveries'] == 1 else 'ies'}, "
             f"{'all signed' if r['signed'] else 'NOT ALL SIGNED'})")
        echo(f"  rows landed {r['landed']}, quarantined {r['quarantined']}, suppressed {r['suppressed']}, "
             f"published {r['published']}; entities masked {r['masked']}; "
             f"k={r['k'] if r['k'] is not None else '-'}; verification {'passed' if r['verified'] else 'FAILED'}")
        echo(f"  curated:    {r['curated']}")
        echo(f"  release:    {r['release']}  (govlake verify-release {r['dataset']})")
        echo(f"  views:      {r['views']}")
        echo(f"  masking:    {r['report']}")
        echo(f"              {r['html']}")
        echo(f"  validation: {r['validation']}")
    echo("=" * 78)


def _deliver_as_departments(lake: Lake, contracts: dict, rows: int, seed: int, echo) -> dict:
    """On an object store govlake administers: users and policy first, then every department delivers
    with its own keys (it may write only its own landing folder), and the pipeline runs as the service."""
    import os

    from govlake.objectstore import stored_credentials
    from govlake.policy import service_credentials, sync
    from govlake.synthetic import generate

    for line in sync(lake).lines():
        echo(f"  policy sync: {line}")
    written: dict = {}
    for ds, contract in sorted(contracts.items()):
        creds = stored_credentials(contract.department)
        as_department = Lake.open(lake.root, lake.s3_endpoint, keys=(creds.access_key, creds.secret_key))
        written.update(generate(as_department, rows=rows, seed=seed, datasets=[ds]))
    service = service_credentials()
    os.environ.update(AWS_ACCESS_KEY_ID=service.access_key, AWS_SECRET_ACCESS_KEY=service.secret_key)
    return written


def demo(rows: int = 2000, seed: int = 20261121, echo=print) -> int:
    from govlake.synthetic import generate

    cfg = settings()
    lake = Lake.from_settings(cfg)
    echo(f"govlake demo: state in {cfg.home}, lake at {lake.root}")
    contracts = load_contracts()
    if lake.is_s3 and cfg.s3_access == "managed":
        written = _deliver_as_departments(lake, contracts, rows, seed, echo)
    else:
        written = generate(lake, rows=rows, seed=seed)
    echo(f"  generated {len(written)} extracts into {lake.uri('landing')}")
    from govlake import spark_server
    from govlake.reconciliations import load_reconciliations

    if not os.environ.get(spark_server.REMOTE_ENV):
        engine = spark_server.ensure(cfg)
        echo(f"  shared Spark engine: Spark Connect server at {engine.url} (stays up for the Airflow UI; "
             "`make spark-down` stops it)")
    reconciliations = load_reconciliations()
    # The reconciliations run after the datasets they join (the scheduler starts them on the assets).
    # Every first release waits for a privacy officer; the demo answers as one, as `govlake approve` does.
    codes = run_dags([contracts[d].dag_id for d in sorted(contracts)] + [r.dag_id for r in reconciliations.values()],
                     dt.date.today().isoformat(), echo, approve_as=DEMO_PRIVACY_OFFICER)
    print_summary(lake, echo)
    for rec in reconciliations.values():
        reports = lake.list_files(f"reports/_reconciliation/{rec.name}", "*.json")
        if reports:
            r = read_report(lake, reports[-1].path)
            echo(f"reconciliation {rec.name}: {r['matched_keys']} {rec.left.key} values of {rec.left.dataset} match "
                 f"{rec.right.dataset}.{rec.right.key}; {r['left_keys_without_match']} do not, "
                 f"{r['right_keys_without_match']} registrations have no insured person  ({lake.uri(reports[-1].path)})")
    from govlake.site import build as build_site

    echo(f"Oversight site (privacy officers, supervising office): {lake.uri(build_site(lake)[0])}  "
         "(`govlake site --open`)")
    home = cfg.home / "airflow"
    echo("Airflow UI (loopback only):  make airflow-ui   then open http://127.0.0.1:8080")
    echo(f"  (runs `airflow standalone` with AIRFLOW_HOME={home}; log in as admin to trigger runs, as")
    echo(f"   {DEMO_PRIVACY_OFFICER} to approve releases in Required Actions; passwords in")
    echo(f"   {home / 'simple_auth_manager_passwords.json.generated'})")
    echo("Approve a waiting release:   .venv/bin/govlake approve DATASET --as privacy_officer_gd")
    echo("Query as an analyst:         .venv/bin/govlake query --as tax_sz_analyst "
         "\"select district, count(*) from social_insured group by 1\"")
    failed = [d for d, c in codes.items() if c != 0]
    if failed:
        echo(f"FAILED: {', '.join(failed)}")
        return 1
    return 0
