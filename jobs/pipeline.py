"""The four stages as plain functions of (dataset, references): what DAG tasks and the CLI call."""

from __future__ import annotations

from govlake.contracts import load_contract
from govlake.spark import get_spark
from govlake.storage import lake as open_lake
from jobs.common import BatchRef


def run_ingest(dataset: str, ingest_date: str | None = None) -> dict:
    from jobs.ingest import ingest

    return ingest(load_contract(dataset), open_lake(), get_spark(), ingest_date=ingest_date).to_dict()


def run_validate(ref: dict) -> dict:
    from jobs.validate import validate

    r = BatchRef.from_dict(ref)
    return validate(load_contract(r.dataset), open_lake(), get_spark(), r).to_dict()


def run_mask(ref: dict) -> dict:
    from jobs.mask import mask

    r = BatchRef.from_dict(ref)
    return mask(load_contract(r.dataset), open_lake(), get_spark(), r).to_dict()


def run_publish(ref: dict) -> dict:
    from jobs.publish import publish

    r = BatchRef.from_dict(ref)
    return publish(load_contract(r.dataset), open_lake(), get_spark(), r)


def run_all(dataset: str, ingest_date: str | None = None) -> dict:
    """Every stage in order, in this process (what a DAG run does, without Airflow)."""
    ref = run_ingest(dataset, ingest_date)
    ref = run_validate(ref)
    ref = run_mask(ref)
    return run_publish(ref)
