"""The pipeline's stages as plain functions of (dataset, references), named in one explicit map.

DAG tasks and the ``govlake`` command call these; they open the lake, the contract and Spark
from configuration. XCom and the command line carry references (dicts), never data.

A stage asked to redo work already done skips it (so a rerun after a crash resumes where the
crash happened) unless ``force`` is given (the command line's ``--stage X --batch B``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from govlake.contracts import load_contract
from govlake.errors import ApprovalRequired, Refusal
from govlake.locks import dataset_lock
from govlake.records import BatchRef, Status, load_manifest
from govlake.spark import get_spark, storage_error_from_spark
from govlake.storage import lake as open_lake
from govlake.tables import read_current

log = logging.getLogger("govlake")
FINISHED_VALIDATION = frozenset({Status.VALIDATED, Status.MASKED, Status.PUBLISHED, Status.SUPERSEDED,
                                 Status.BLOCKED})
FINISHED_MASKING = frozenset({Status.MASKED, Status.PUBLISHED, Status.SUPERSEDED})


def _plain_storage_errors(stage: Callable) -> Callable:
    """A Spark job that failed because of the lake's storage ends as a StorageUnavailable."""
    @functools.wraps(stage)
    def run(*args, **kwargs):
        try:
            return stage(*args, **kwargs)
        except Exception as exc:
            translated = storage_error_from_spark(exc)
            if translated is None:
                raise
            raise translated from None
    return run


@_plain_storage_errors
def run_ingest(dataset: str) -> dict:
    """Scan the landing zone, ingest every new delivery; returns the batches to validate and mask."""
    from jobs.ingest import ingest

    return ingest(load_contract(dataset), open_lake(), get_spark()).to_dict()


def _batch_stage(ref: dict, force: bool, done: frozenset, what: str, stage: Callable) -> dict:
    """Run a per-batch stage, unless the batch is already past it (a rerun resumes, never redoes)."""
    r = BatchRef(**ref)
    lake = open_lake()
    if not force and load_manifest(lake, r).status in done:
        log.info("%s %s: batch %s is already %sed", what, r.dataset, r.batch_id, what.rstrip("e"))
        return r.to_dict()
    return stage(load_contract(r.dataset), lake, get_spark(), r).to_dict()


@_plain_storage_errors
def run_validate(ref: dict, force: bool = False) -> dict:
    from jobs.validate import validate

    return _batch_stage(ref, force, FINISHED_VALIDATION, "validate", validate)


@_plain_storage_errors
def run_mask(ref: dict, force: bool = False) -> dict:
    from jobs.mask import mask

    return _batch_stage(ref, force, FINISHED_MASKING, "mask", mask)


@_plain_storage_errors
def run_publish(dataset: str) -> dict | None:
    """Publish the dataset's current state (snapshot: newest good batch; increment: all good batches)."""
    from jobs.publish import publish

    pointer = publish(load_contract(dataset), open_lake(), get_spark())
    return pointer.model_dump() if pointer else None


@_plain_storage_errors
def run_plan_release(dataset: str) -> dict:
    """Whether the dataset's next release waits for a privacy officer (see jobs.publish.plan_release)."""
    from jobs.publish import plan_release

    return plan_release(load_contract(dataset), open_lake(), get_spark())


@_plain_storage_errors
def run_policy_sync() -> dict:
    """Make the object store's users and bucket policy match the contracts (before publishing views)."""
    from govlake.locks import dataset_lock
    from govlake.policy import sync

    lake = open_lake()
    with dataset_lock(lake, "_access_policy", "policy sync"):
        report = sync(lake)
    for line in report.lines():
        log.info("policy sync: %s", line)
    return report.as_dict()


STAGES: dict[str, Callable] = {
    "ingest": run_ingest,
    "validate": run_validate,
    "mask": run_mask,
    "policy_sync": run_policy_sync,
    "plan_release": run_plan_release,
    "publish": run_publish,
}


@dataclass
class RunOutcome:
    """What one run of a dataset's pipeline did, for the person who started it."""

    dataset: str
    batches: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    landing: list[str] = field(default_factory=list)
    published: dict | None = None
    awaiting_approval: str | None = None  # the release waits for a privacy officer (govlake.approvals)

    @property
    def ok(self) -> bool:
        return not self.refused

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "ok": self.ok, "batches": self.batches, "refused": self.refused,
                "landing": self.landing, "published": self.published, "awaiting_approval": self.awaiting_approval}

    def lines(self) -> list[str]:
        out = [f"{self.dataset}: landing zone: {len(self.landing)} entr{'y' if len(self.landing) == 1 else 'ies'}"]
        out += [f"  {line}" for line in self.landing]
        for b in self.batches:
            out.append(f"  batch {b['batch_id']} (delivery {b['delivery']}): {b['status']}; rows delivered "
                       f"{b['rows_delivered']} = published {b['rows_published']} + quarantined "
                       f"{b['rows_quarantined']} + suppressed {b['rows_suppressed']}"
                       + (f"; {b['reason']}" if b.get("reason") else ""))
        out += [f"  REFUSED: {r}" for r in self.refused]
        if self.awaiting_approval:
            out.append(f"  WAITING: {self.awaiting_approval}")
        if self.published:
            out.append(f"  curated version {self.published['version']}: {self.published['table']} "
                       f"({len(self.published['files'])} file(s))")
        return out


def describe_batches(dataset: str, refs: list[dict]) -> list[dict]:
    lake = open_lake()
    out = []
    for ref in refs:
        m = load_manifest(lake, BatchRef(**ref))
        published = m.rows_published if m.status in (Status.MASKED, Status.PUBLISHED, Status.SUPERSEDED) else 0
        out.append({"batch_id": m.batch_id, "delivery": m.delivery.delivery_id, "status": m.status.value,
                    "rows_delivered": m.rows_landed, "rows_published": published,
                    "rows_quarantined": m.rows_quarantined if m.status != Status.QUARANTINED else m.rows_landed,
                    "rows_suppressed": m.rows_suppressed if published else 0,
                    "reason": m.refused_reason or m.rejected_reason or m.blocked_reason})
    return out


def run_all(dataset: str) -> RunOutcome:
    """Every stage in order, in this process, under the dataset's lock (what a DAG run does)."""
    lake = open_lake()
    load_contract(dataset)  # a bad contract is refused before anything is locked or read
    with dataset_lock(lake, dataset, "govlake run"):
        ingested = run_ingest(dataset)
        outcome = RunOutcome(dataset, refused=list(ingested["refused"]), landing=ingested["landing"])
        for ref in ingested["batches"]:
            try:
                run_mask(run_validate(ref))
            except Refusal as exc:
                outcome.refused.append(str(exc))
        run_policy_sync()
        try:
            run_publish(dataset)
        except ApprovalRequired as exc:
            outcome.awaiting_approval = str(exc)
        current = read_current(lake, dataset)
        outcome.published = current.model_dump() if current else None
        outcome.batches = describe_batches(dataset, ingested["batches"])
    return outcome
