"""Releasing the way the pipeline requires: the first release of a dataset waits for a privacy officer,
who approves it, and the run is repeated (what a data engineer does after `govlake approve`)."""

from __future__ import annotations

import subprocess

OFFICER = "privacy_officer"


def approve(lake, dataset: str, officer: str = OFFICER):
    """Approve the dataset's waiting release (None if another run's approval came first)."""
    from govlake.approvals import decide
    from govlake.errors import NotFound

    try:
        return decide(lake, dataset, officer, approve=True, comment="approved in a test")
    except NotFound:
        return None


def run_all_approved(dataset: str):
    """``jobs.pipeline.run_all``; when the release waits, approve it and run again."""
    from govlake.records import BatchRef
    from govlake.storage import lake
    from jobs.pipeline import describe_batches, run_all

    outcome = run_all(dataset)
    if outcome.awaiting_approval:
        approve(lake(), dataset)
        again = run_all(dataset)
        # One outcome for both runs: what the first refused, and its batches as they are now.
        outcome.refused += [r for r in again.refused if r not in outcome.refused]
        outcome.published, outcome.awaiting_approval = again.published, again.awaiting_approval
        outcome.batches = describe_batches(dataset, [BatchRef.for_batch(dataset, b["batch_id"]).to_dict()
                                                     for b in outcome.batches]) + again.batches
    assert not outcome.awaiting_approval, outcome.awaiting_approval
    return outcome


def publish_approved(dataset: str):
    """``jobs.pipeline.run_publish``; when the release waits, approve it and publish again."""
    from govlake.errors import ApprovalRequired
    from govlake.storage import lake
    from jobs.pipeline import run_publish

    try:
        return run_publish(dataset)
    except ApprovalRequired:
        approve(lake(), dataset)
        return run_publish(dataset)


def cli_run_approved(govlake: list[str], datasets: list[str], **kwargs) -> subprocess.CompletedProcess:
    """``govlake run``; on exit 3 (waiting for a privacy officer) ``govlake approve`` each waiting
    dataset as the officer, then run again."""
    run = subprocess.run([*govlake, "run", *datasets], capture_output=True, text=True, **kwargs)
    if run.returncode != 3:
        return run
    for dataset in datasets:
        if f"waiting: {dataset}:" in run.stderr:
            approved = subprocess.run([*govlake, "approve", dataset, "--as", OFFICER, "--comment", "test"],
                                      capture_output=True, text=True, **kwargs)
            assert approved.returncode == 0, approved.stdout + approved.stderr
    return subprocess.run([*govlake, "run", *datasets], capture_output=True, text=True, **kwargs)
