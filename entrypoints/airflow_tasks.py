"""govlake's stages as Airflow tasks: how a refusal, an infrastructure failure and a bug end.

- A **refusal** (:class:`govlake.errors.Refusal`: bad delivery, failed critical check, privacy
  gate, missing key) ends the task as failed, at once, without retries: the same input would be
  refused again. The task log holds the message and no traceback.
- An **infrastructure failure** (:class:`govlake.errors.InfrastructureError`: unreachable store,
  full disk, a held lock) is retried by Airflow (``retries`` in the DAG's default_args); the log
  holds the message and no traceback.
- Anything else is a bug in govlake and keeps its traceback.

Both govlake failures leave the task through :class:`SystemExit` subclasses, which Airflow's
task runner logs as one line ("Task exited", with our message) instead of a traceback, and
:data:`RETRY_POLICY` (Airflow 3's per-task retry policy) tells refusals from the rest.

This module is imported when DAG files are parsed: it imports no engine.
"""

from __future__ import annotations

import logging

from airflow.sdk.definitions.retry_policy import ExceptionRetryPolicy, RetryAction, RetryRule

log = logging.getLogger("govlake")


class TaskRefused(SystemExit):
    """govlake refused the task's input; the code is the message. Never retried."""


class TaskFailedRetryable(SystemExit):
    """Storage or an engine failed; the code is the message. Retried by the task's retries."""


RETRY_POLICY = ExceptionRetryPolicy(rules=[
    RetryRule(exception=f"{__name__}.TaskRefused", action=RetryAction.FAIL,
              reason="govlake refused the input; retrying would not change that"),
])


def curated_asset(dataset: str):
    """The Airflow Asset a dataset's publish task emits: downstream DAGs are scheduled on it."""
    from airflow.sdk import Asset

    return Asset(name=f"govlake.curated.{dataset}", uri=f"govlake://curated/{dataset}", group="govlake")


def run_reconciliation(name: str) -> dict:
    """A reconciliation (``contracts/reconciliations/``) as a task, with govlake's clean endings."""
    def work():
        from govlake.reconciliations import load_reconciliations
        from govlake.storage import Lake
        from jobs.reconcile import reconcile

        return reconcile(load_reconciliations()[name], Lake.from_settings())
    return _guarded(work)


def run_stage(name: str, *args, **kwargs):
    """Run one pipeline stage, turning govlake's own failures into clean task endings."""
    from jobs.pipeline import STAGES

    return _guarded(STAGES[name], *args, **kwargs)


def _guarded(fn, *args, **kwargs):
    from govlake.errors import InfrastructureError, Refusal

    try:
        return fn(*args, **kwargs)
    except Refusal as exc:
        log.error("govlake refused: %s", exc)
        raise TaskRefused(f"refused: {exc}") from None
    except InfrastructureError as exc:
        log.error("%s (the task will be retried)", exc)
        raise TaskFailedRetryable(str(exc)) from None


BAD_STATES = {"failed", "upstream_failed"}


def run_outcome(dataset: str, ti) -> dict:
    """The run's last task: say what happened to every delivery, and fail the run if anything was refused.

    Airflow judges a run by its last tasks only; this one looks at all the others, so a rejected
    batch or a failed stage makes the whole run red even though publish went ahead with the good ones.
    """
    from jobs.pipeline import RunOutcome, describe_batches

    batches = ti.xcom_pull(task_ids="ingest")
    refused = ti.xcom_pull(task_ids="ingest", key="refused")
    landing = ti.xcom_pull(task_ids="ingest", key="landing") or []
    outcome = RunOutcome(dataset, refused=list(refused or []), landing=list(landing))
    if batches is None:
        outcome.refused.append("ingest did not finish: see its log")
    else:
        outcome.batches = describe_batches(dataset, batches)
        for b in outcome.batches:
            if b["status"] in ("rejected", "blocked", "quarantined"):
                outcome.refused.append(f"batch {b['batch_id']} (delivery {b['delivery']}): {b['status']}: {b['reason']}")
            elif b["status"] not in ("masked", "published", "superseded"):
                outcome.refused.append(f"batch {b['batch_id']} (delivery {b['delivery']}) stopped at '{b['status']}': "
                                       "see the batch.validate and batch.mask task logs")
    try:
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id]).get(ti.run_id, {})
        failed = sorted(key for key, state in states.items() if state in BAD_STATES and not key.startswith("outcome"))
        if failed and not outcome.refused:
            outcome.refused.append(f"task(s) {', '.join(failed)} did not succeed: see their logs")
    except Exception as exc:
        log.info("could not read the run's task states (%s); judging by the batches alone", exc)
    for line in outcome.lines():
        (log.error if line.lstrip().startswith("REFUSED") else log.info)("%s", line)
    if not outcome.ok:
        raise TaskRefused(f"{dataset}: {len(outcome.refused)} refusal(s): " + " | ".join(outcome.refused))
    return outcome.to_dict()
