"""Failpoints: named places where a test can kill or stop the pipeline, to prove it recovers.

``GOVLAKE_FAILPOINTS="publish.after_pointer=kill"`` makes the process kill itself (SIGKILL: no
cleanup runs, exactly like a crash or an OOM kill) when it reaches that point;
``=raise`` raises :class:`InjectedFault` instead (cheaper, in-process); ``=pause:<file>`` writes
``<file>.reached`` and waits until ``<file>.release`` exists (so a test can stop the object store
at that moment). Unset, a failpoint costs one dictionary lookup.

The points, in pipeline order: ``ingest.registered``, ``ingest.written``, ``validate.written``,
``mask.written``, ``publish.data_written``, ``publish.release_signed``, ``publish.pointer_switched`` (the
Iceberg commit), ``publish.views_written``, ``publish.catalog_written``, ``publish.done``.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ENV = "GOVLAKE_FAILPOINTS"


class InjectedFault(BaseException):
    """Raised at a failpoint set to ``raise``. A BaseException, so ordinary handlers do not catch it."""


def failpoint(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    for item in spec.split(","):
        point, _, action = item.strip().partition("=")
        if point != name:
            continue
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif action.startswith("pause:"):
            base = Path(action[len("pause:"):])
            base.with_name(base.name + ".reached").write_text(name)
            release = base.with_name(base.name + ".release")
            deadline = time.monotonic() + 300
            while not release.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        else:
            raise InjectedFault(name)
