"""What every stage shares: batch manifests, references passed between stages, the audit log."""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import os
import uuid
from dataclasses import asdict, dataclass

from govlake.storage import Lake

log = logging.getLogger("govlake")


class PipelineError(RuntimeError):
    """A stage refused to go on; the message says which file, row, column or check and why."""


@dataclass(frozen=True)
class BatchRef:
    """What one task hands the next through XCom: references, never data."""

    dataset: str
    batch_id: str
    manifest: str  # lake-relative path of the batch manifest

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "BatchRef":
        return cls(d["dataset"], d["batch_id"], d["manifest"])


def manifest_path(dataset: str, batch_id: str) -> str:
    return f"raw/{dataset}/_batches/{batch_id}.json"


def utcnow() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def load_manifest(lake: Lake, ref: BatchRef) -> dict:
    return lake.read_json(ref.manifest)


def save_manifest(lake: Lake, manifest: dict) -> str:
    path = manifest_path(manifest["dataset"], manifest["batch_id"])
    lake.write_json(path, manifest)
    return path


def actor() -> str:
    """Who is acting: the Airflow run when inside one, else the OS user."""
    run = os.environ.get("AIRFLOW_CTX_DAG_RUN_ID")
    dag = os.environ.get("AIRFLOW_CTX_DAG_ID")
    if run and dag:
        return f"airflow:{dag}/{run}"
    try:
        return f"user:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user database in some containers
        return "user:unknown"


def audit(lake: Lake, action: str, dataset: str, **details) -> None:
    """Append one event to the audit log: one immutable object per event (S3 has no append)."""
    now = dt.datetime.now(dt.timezone.utc)
    event = {"time": now.isoformat(timespec="milliseconds"), "actor": actor(), "action": action,
             "dataset": dataset, **details}
    lake.write_json(f"audit/{now:%Y-%m-%d}/{now:%H%M%S%f}-{action}-{dataset}-{uuid.uuid4().hex[:6]}.json", event)
