"""
### govlake dataset pipeline

One DAG per dataset contract in `contracts/`:
**ingest → batch (per delivery: validate → mask) → policy_sync → privacy_approval → publish → outcome**.

It runs on the contract's schedule, when triggered (UI, REST API), and **when a delivery lands**:
the asset `govlake.landing.<dataset>` has a watcher in the triggerer that polls the landing zone
and starts a run as soon as a complete delivery (manifest and signature, or an unsigned file's
`.done` marker) that no run has seen appears.

- **ingest** scans `landing/<dataset>/`: every new delivery (a signed manifest and its files, or
  one unsigned file where the contract allows it) becomes its own batch of typed Parquet in
  `raw/`, once, however often the files are seen; unparsable rows go to `quarantine/` with file,
  line and column; refused deliveries are recorded with the reason.
- **validate** runs the Great Expectations suite `expectations/<suite>.json` on each batch;
  failing rows are quarantined, a failed critical expectation rejects the batch.
- **mask** looks for undeclared personal data, applies the contract's masking operators and
  Presidio free-text masking, runs the re-identification risk gate and verifies the result.
- **policy_sync** makes the object store's users and bucket policy say what the contracts say
  (grants, expiry), before new views are published.
- **privacy_approval** evaluates the release's re-identification risk and, when the rules in
  `govlake.approvals` say so (a first release, a contract change that touches privacy, suppression
  above the routine limit), waits in **Required Actions** for a privacy officer other than the
  person who triggered the run; a rejection fails it and publish refuses that release.
- **publish** writes a new curated version (a snapshot dataset: its newest good delivery; an
  increment dataset: all of them), signs its release manifest and switches readers to it
  atomically; it updates the Airflow asset `govlake.curated.<dataset>`.
- **outcome** reports rows delivered = published + quarantined + suppressed for every delivery
  and fails the run if anything was refused.

A refusal by the pipeline (bad input, a failed critical check, a privacy gate) fails the task
at once without retries and without a traceback; retries are for infrastructure failures.
Tasks pass batch references through XCom, never data. The work lives in `jobs/` and `masking/`;
this file only wires tasks.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import (
    DAG,
    AssetOrTimeSchedule,
    CronTriggerTimetable,
    TriggerRule,
    get_current_context,
    task,
    task_group,
)

from entrypoints.airflow_approval import PrivacyOfficerApproval
from entrypoints.airflow_tasks import RETRY_POLICY, curated_asset, run_outcome, run_stage
from entrypoints.airflow_triggers import landing_asset
from govlake.contracts import Contract, load_contracts


def _schedule(contract: Contract):
    """The contract's schedule or a complete delivery in the landing zone, whichever comes first."""
    landing = landing_asset(contract.dataset)
    if not contract.schedule:
        return [landing]
    return AssetOrTimeSchedule(timetable=CronTriggerTimetable(contract.schedule, timezone="Asia/Shanghai"),
                               assets=[landing])


def build_dag(contract: Contract) -> DAG:
    doc = (__doc__ or "") + (
        f"\n\n#### {contract.title}\n\n"
        f"- dataset: `{contract.dataset}` (contract `{contract.path.name}`, suite `{contract.suite}`)\n"
        f"- owner: {contract.department} ({contract.level}, region {contract.region_code})\n"
        f"- source: {contract.source_format}, {contract.encoding}; deliveries: {contract.delivery.mode}, "
        f"signature {contract.delivery.signature}\n"
    )
    with DAG(
        dag_id=contract.dag_id,
        description=f"{contract.title}: ingest, validate, mask and publish",
        doc_md=doc,
        schedule=_schedule(contract),
        start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
        catchup=False,
        max_active_runs=1,
        default_args={"owner": contract.department, "retries": 2, "retry_delay": timedelta(minutes=2),
                      "retry_policy": RETRY_POLICY},
        tags=["govlake", contract.department, contract.level, f"region-{contract.region_code}",
              contract.delivery.mode],
    ) as dag:

        @task(task_id="ingest")
        def ingest(dataset: str) -> list[dict]:
            result = run_stage("ingest", dataset)
            ti = get_current_context()["ti"]
            ti.xcom_push(key="refused", value=result["refused"])
            ti.xcom_push(key="landing", value=result["landing"])
            return result["batches"]

        @task(task_id="validate")
        def validate(ref: dict) -> dict:
            return run_stage("validate", ref)

        @task(task_id="mask")
        def mask(ref: dict) -> dict:
            return run_stage("mask", ref)

        @task(task_id="policy_sync", trigger_rule=TriggerRule.ALL_DONE)
        def policy_sync() -> dict:
            return run_stage("policy_sync")

        # Publishing updates the curated dataset's asset: downstream DAGs are scheduled on it.
        @task(task_id="publish", trigger_rule=TriggerRule.ALL_DONE, outlets=[curated_asset(contract.dataset)])
        def publish(dataset: str) -> dict:
            return {"current": run_stage("publish", dataset)}

        @task(task_id="outcome", trigger_rule=TriggerRule.ALL_DONE)
        def outcome(dataset: str) -> dict:
            return run_outcome(dataset, get_current_context()["ti"])

        @task_group(group_id="batch")
        def batch(ref: dict):
            # A mapped group: each delivery is validated and masked on its own, so one bad
            # delivery does not hold up the masking of the others.
            return mask(validate(ref))

        processed = batch.expand(ref=ingest(contract.dataset))
        approval = PrivacyOfficerApproval(task_id="privacy_approval", dataset=contract.dataset,
                                          trigger_rule=TriggerRule.ALL_DONE)
        processed >> policy_sync() >> approval >> publish(contract.dataset) >> outcome(contract.dataset)
    return dag


for _contract in load_contracts().values():
    globals()[_contract.dag_id] = build_dag(_contract)
