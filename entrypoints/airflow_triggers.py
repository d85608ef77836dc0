"""The landing watcher: an Airflow 3 asset watcher that starts a dataset's run when a delivery lands.

Each dataset DAG is scheduled on its landing asset (``govlake://landing/<dataset>``) besides its
cron schedule. The asset's watcher, :class:`LandingDeliveryTrigger`, runs in the triggerer: it polls
the dataset's landing prefix (a local folder or S3, as configured) with
:func:`jobs.landing.complete_deliveries` and emits an asset event when a *complete* delivery the
ledger does not know appears (its manifest and signature, or an unsigned file's ``.done`` marker,
have arrived); a file still being written starts nothing. Each delivery is announced once per
triggerer; a restarted triggerer may announce one that is still waiting again, which costs one
run that finds nothing new (ingest is idempotent).

This module is imported when DAG files are parsed: it imports no engine.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

DEFAULT_POLL_SECONDS = 15.0
POLL_ENV = "GOVLAKE_LANDING_POLL_SECONDS"  # read when DAG files are parsed


class LandingDeliveryTrigger(BaseEventTrigger):
    """Fires an event each time complete, not yet ingested deliveries appear in a dataset's landing zone."""

    def __init__(self, dataset: str, poll_seconds: float = DEFAULT_POLL_SECONDS, **kwargs):
        super().__init__(**kwargs)
        self.dataset = dataset
        self.poll_seconds = float(poll_seconds)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{__name__}.{type(self).__name__}", {"dataset": self.dataset, "poll_seconds": self.poll_seconds}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        announced: set[str] = set()
        while True:
            try:
                waiting = await asyncio.to_thread(_complete_deliveries, self.dataset)
            except Exception as exc:  # the store is down or the contract is gone: keep watching
                self.log.warning("landing watcher for %s: %s", self.dataset, exc)
                waiting = None
            if waiting is not None:
                new = [d for d in waiting if d.key not in announced]
                if new:
                    announced.update(d.key for d in new)
                    self.log.info("landing watcher for %s: %d complete deliveries: %s", self.dataset, len(new),
                                  ", ".join(d.name for d in new))
                    yield TriggerEvent({"dataset": self.dataset, "deliveries": [d.name for d in new]})
                # Forget what a run has since ingested or refused, so memory stays bounded.
                announced &= {d.key for d in waiting}
            await asyncio.sleep(self.poll_seconds)


def _complete_deliveries(dataset: str):
    from govlake.contracts import load_contracts
    from govlake.records import load_ledger
    from govlake.storage import lake
    from jobs.landing import complete_deliveries

    contract = load_contracts()[dataset]
    store = lake()
    return complete_deliveries(store, contract, load_ledger(store, dataset))


def landing_asset(dataset: str, poll_seconds: float | None = None):
    """The Airflow Asset of a dataset's landing zone, watched by :class:`LandingDeliveryTrigger`."""
    from airflow.sdk import Asset, AssetWatcher

    poll = poll_seconds or float(os.environ.get(POLL_ENV) or DEFAULT_POLL_SECONDS)
    trigger = LandingDeliveryTrigger(dataset, poll)
    return Asset(name=f"govlake.landing.{dataset}", uri=f"govlake://landing/{dataset}", group="govlake",
                 watchers=[AssetWatcher(name=f"landing_{dataset}", trigger=trigger)])
