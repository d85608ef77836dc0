"""A privacy officer's decision from the command line (``govlake approve``, and the unattended demo):
record it in govlake, then answer the Airflow run that waits for it, if one does.

Airflow is answered the way its own REST route does it (``update_hitl_detail`` in
airflow/api_fastapi/core_api/routes/public/hitl.py): the response goes on the HITL row and the
parked task is resumed. ``airflow dags test`` and the scheduler both wait for exactly that. Who
answers is the principal govlake recorded, not an Airflow login: the command line trusts the
person at the keyboard as far as the machine's login does; the UI authenticates them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from govlake.approvals import decide
from govlake.config import settings
from govlake.contracts import load_contract
from govlake.records import ApprovalRecord
from govlake.storage import Lake

APPROVAL_TASK = "privacy_approval"
SETTLE_SECONDS = 20  # how long a request stands before `govlake approve` answers it under a scheduler


def _metadata_db() -> bool:
    """Point Airflow at the embedded default's home unless told otherwise; False if it has no database."""
    home = os.environ.setdefault("AIRFLOW_HOME", str(settings().home / "airflow"))
    conn = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    return bool(conn and not conn.startswith("sqlite")) or (Path(home) / "airflow.db").exists()


def _approval_tasks(dag_id: str, states, unanswered: bool = False):
    """The approval tasks of ``dag_id`` in ``states``, newest first; with ``unanswered``, only those
    whose HITL row has no response yet."""
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import select

    query = select(TaskInstance).where(TaskInstance.dag_id == dag_id, TaskInstance.task_id == APPROVAL_TASK,
                                       TaskInstance.state.in_(states))
    if unanswered:
        query = query.join(HITLDetail, HITLDetail.ti_id == TaskInstance.id).where(HITLDetail.responded_at.is_(None))
    return query.order_by(TaskInstance.start_date.desc())


def _waiting(session, dag_id: str):
    """The newest approval task of ``dag_id`` parked for a human, with its unanswered HITL row."""
    from airflow.models.hitl import HITLDetail
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    parked = [TaskInstanceState.AWAITING_INPUT, TaskInstanceState.DEFERRED]
    ti = session.scalars(_approval_tasks(dag_id, parked, unanswered=True)).first()
    if ti is None:
        return None, None
    return ti, session.scalar(select(HITLDetail).where(HITLDetail.ti_id == ti.id))


def respond(dag_id: str, principal: str, approve: bool, wait: float = 120) -> str | None:
    """Answer the newest waiting approval of ``dag_id``; the run id answered, or None if none waits.
    An approval task still running (it has asked govlake, and is about to park) is waited for."""
    if not _metadata_db():
        return None
    from airflow._shared.timezones import timezone
    from airflow.models.hitl import HITLUser
    from airflow.models.trigger import handle_event_submit
    from airflow.triggers.base import TriggerEvent
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    deadline = time.monotonic() + wait
    while True:
        with create_session() as session:
            ti, detail = _waiting(session, dag_id)
            # Under a scheduler, an answer that comes before the scheduler has processed the parking
            # worker's exit makes it take the resumed task for a lost one and retry it (Airflow 3.3;
            # seen 5 s after parking on a loaded machine). A person is never that fast; wait as long.
            settle = SETTLE_SECONDS if ti is not None and ti.queued_by_job_id is not None else 0
            settled = detail is not None and (timezone.utcnow() - detail.created_at).total_seconds() >= settle
            if ti is not None and settled:
                detail.responded_by = HITLUser(id=principal, name=principal)
                detail.responded_at = timezone.utcnow()
                detail.chosen_options = ["Approve" if approve else "Reject"]
                detail.params_input = {}
                session.add(detail)
                handle_event_submit(TriggerEvent(detail.as_resume_event_payload()), task_instance=ti, session=session)
                return ti.run_id
            running = detail or session.scalars(_approval_tasks(dag_id, [TaskInstanceState.RUNNING])).first()
        if running is None or time.monotonic() > deadline:
            return None
        time.sleep(1)


def approve(lake: Lake, dataset: str, principal: str, approve: bool = True, comment: str = "",
            channel: str = "cli") -> tuple[ApprovalRecord, str | None]:
    """Record the decision (govlake.approvals refuses non-officers and the runner), then resume the
    Airflow run that waits for it; returns the record and the run answered (None if none waited)."""
    record = decide(lake, dataset, principal, approve=approve, comment=comment, channel=channel)
    return record, respond(load_contract(dataset).dag_id, principal, approve)
