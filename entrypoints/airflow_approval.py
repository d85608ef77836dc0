"""The privacy officer's approval as an Airflow task: Airflow 3's human-in-the-loop ApprovalOperator
("Required Actions" in the UI), asked only when ``govlake.approvals`` says a release needs it.

The decision itself is govlake's record (``approvals/<dataset>/<id>.json``, audited), whether it was
made here or with ``govlake approve``; this task only asks and waits. The person who triggered the
run is not among the users asked, and is refused if they answer anyway.
"""

from __future__ import annotations

import logging
import os

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator

from entrypoints.airflow_tasks import TaskRefused, run_stage

log = logging.getLogger("govlake")


def run_by(context) -> str | None:
    """Who started this run: the Airflow user who triggered it, or None for a scheduled or asset run."""
    return getattr(context["dag_run"], "triggering_user_name", None) or None


class PrivacyOfficerApproval(ApprovalOperator):
    """Ask the privacy officers to approve a release, with the risk evaluation and masking reports linked.

    A release that needs no approval (or has one already) passes straight through. A rejection fails
    this task with the officer's reason; publish then refuses the rejected release.
    """

    def __init__(self, *, dataset: str, **kwargs):
        super().__init__(subject=f"Approve the release of {dataset}?", body="(filled in when a release waits)",
                         **kwargs)
        self.dataset = dataset

    def execute(self, context):
        from govlake.approvals import RUN_BY_ENV, pending
        from govlake.config import settings
        from govlake.principals import load_registry
        from govlake.storage import Lake

        runner = run_by(context)
        if runner:
            os.environ[RUN_BY_ENV] = runner  # the request records who ran the pipeline
        plan = run_stage("plan_release", self.dataset)
        if not plan["needs_approval"]:
            log.info("release of %s: %s", self.dataset, plan["note"])
            return {"needed": False, "note": plan["note"]}
        lake = Lake.from_settings()
        record = pending(lake, self.dataset)
        log.info("%s", plan["note"])
        self.subject = f"Approve release v{record.version} of {self.dataset}?"
        self.body = "\n".join([
            f"**Why a privacy officer must decide:** {'; '.join(record.reasons)}.",
            "",
            f"- risk evaluation: `{lake.uri(record.evaluation)}` (`govlake risk {self.dataset} "
            f"--version {record.version}`)",
            *[f"- masking report: `{lake.uri(r)}`" for r in record.masking_reports],
            f"- requested by **{record.requested_by}** at {record.requested_at} (request {record.request_id})",
            "",
            "The person who ran the pipeline cannot approve its release.",
        ])
        officers = sorted(load_registry(settings().contracts_dir).privacy_officers)
        self.assigned_users = [{"id": name, "name": name} for name in officers if name != record.requested_by]
        return super().execute(context)

    def execute_complete(self, context, event):
        from govlake.approvals import decide, decided
        from govlake.errors import Refusal
        from govlake.storage import Lake

        result = HITLOperator.execute_complete(self, context=context, event=event)
        responder = (event.get("responded_by_user") or {}).get("name") or "unknown"
        if responder == run_by(context):
            raise TaskRefused(f"refused: {responder} triggered this run and cannot approve its release")
        lake = Lake.from_settings()
        try:
            # `govlake approve` records its decision before it answers Airflow; one made in the UI is
            # recorded here. Either way govlake's record decides.
            record = decided(lake, self.dataset) or decide(
                lake, self.dataset, responder, result["chosen_options"] == [self.APPROVE], channel="airflow")
        except Refusal as exc:
            raise TaskRefused(f"refused: {exc}") from None
        if record.status != "approved":
            raise TaskRefused(f"refused: release v{record.version} of {self.dataset} was rejected by "
                              f"{record.decided_by}{': ' + record.comment if record.comment else ''}")
        log.info("release v%s of %s approved by %s", record.version, self.dataset, record.decided_by)
        return {"needed": True, "approved_by": record.decided_by, "request": record.request_id}
