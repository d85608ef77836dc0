"""
### govlake dataset pipeline

One DAG per dataset contract in `contracts/`: **ingest → validate → mask → publish**.

- **ingest** reads the department's extracts from `landing/<dataset>/` into typed Parquet in
  `raw/`; unparsable rows go to `quarantine/` with file, line and column.
- **validate** runs the Great Expectations suite `expectations/<suite>.json` on Spark; failing
  rows are quarantined, a failed critical expectation stops the run before anything is published.
- **mask** looks for undeclared personal data, applies the contract's masking operators and
  Presidio free-text masking, runs the re-identification risk gate and verifies the result.
- **publish** writes a new curated version, switches readers to it atomically and updates the
  catalog.

A refusal by the pipeline (bad input, a failed critical check, a privacy gate) fails the task
without retries; retries are for infrastructure failures. Tasks pass batch references (dataset, batch id, manifest path) through XCom, never data.
The work itself lives in `jobs/` and `masking/`; this file only wires tasks.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, get_current_context, task

from govlake.contracts import Contract, load_contracts


def _stage(name: str, *args, **kwargs):
    """Run one pipeline stage. A refusal by the pipeline (bad input, failed check, blocked by a
    privacy gate) will not change on retry: fail the task at once instead of retrying it."""
    from airflow.sdk.exceptions import AirflowFailException

    from jobs import pipeline
    from jobs.common import PipelineError

    try:
        return getattr(pipeline, f"run_{name}")(*args, **kwargs)
    except PipelineError as exc:
        raise AirflowFailException(str(exc)) from exc


def build_dag(contract: Contract) -> DAG:
    doc = (__doc__ or "") + (
        f"\n\n#### {contract.title}\n\n"
        f"- dataset: `{contract.dataset}` (contract `{contract.path.name}`, suite `{contract.suite}`)\n"
        f"- owner: {contract.department} ({contract.level}, region {contract.region_code})\n"
        f"- source: {contract.source_format}, {contract.encoding}\n"
    )
    with DAG(
        dag_id=contract.dag_id,
        description=f"{contract.title}: ingest, validate, mask and publish",
        doc_md=doc,
        schedule=contract.schedule,
        start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
        catchup=False,
        max_active_runs=1,
        default_args={"owner": contract.department, "retries": 2, "retry_delay": timedelta(minutes=2)},
        tags=["govlake", contract.department, contract.level, f"region-{contract.region_code}"],
    ) as dag:

        @task(task_id="ingest")
        def ingest(dataset: str) -> dict:
            return _stage("ingest", dataset, ingest_date=get_current_context()["ds"])

        @task(task_id="validate")
        def validate(ref: dict) -> dict:
            return _stage("validate", ref)

        @task(task_id="mask")
        def mask(ref: dict) -> dict:
            return _stage("mask", ref)

        @task(task_id="publish")
        def publish(ref: dict) -> dict:
            return _stage("publish", ref)

        publish(mask(validate(ingest(contract.dataset))))
    return dag


for _contract in load_contracts().values():
    globals()[_contract.dag_id] = build_dag(_contract)
