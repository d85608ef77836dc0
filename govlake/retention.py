"""Evidence is kept: reports (validation, masking, risk evaluations), approvals and the audit log
stay in the lake for at least three years (PIPL art. 56 asks three years for impact assessments;
GB/T 37964 asks evaluation records to be kept).

Nothing in govlake deletes them; :meth:`govlake.storage.Lake.delete_file` and ``delete_dir``
refuse to delete evidence younger than the retention (``GOVLAKE_EVIDENCE_RETENTION_DAYS``, which
cannot be set below three years), so a future clean-up cannot take it by mistake. ``make clean``,
which removes the demo's whole state folder, is the only thing that deletes it early.
"""

from __future__ import annotations

import os
import time

from govlake.errors import ConfigError, Refusal

RETENTION_ENV = "GOVLAKE_EVIDENCE_RETENTION_DAYS"
MINIMUM_DAYS = 3 * 365 + 1  # three years, a leap day included
EVIDENCE_PREFIXES = ("reports/", "approvals/", "audit/")


class EvidenceRetained(Refusal):
    """An attempt to delete evidence before its retention ends."""


def retention_days() -> int:
    raw = os.environ.get(RETENTION_ENV, str(MINIMUM_DAYS))
    try:
        days = int(raw)
    except ValueError:
        raise ConfigError(f"{RETENTION_ENV}={raw!r} is not a whole number of days") from None
    if days < MINIMUM_DAYS:
        raise ConfigError(f"{RETENTION_ENV}={days}: evidence is kept at least three years ({MINIMUM_DAYS} days)")
    return days


def is_evidence(rel: str) -> bool:
    rel = rel.strip("/") + "/"
    return any(rel.startswith(p) for p in EVIDENCE_PREFIXES)


def check_deletable(rel: str, mtimes_ns: list[int | None], where: str) -> None:
    """Refuse when any of the files (their modification times) is evidence still under retention."""
    if not is_evidence(rel):
        return
    limit = time.time() - retention_days() * 86400
    young = [m for m in mtimes_ns if m is None or m / 1e9 > limit]
    if young:
        raise EvidenceRetained(f"{where}: evidence is kept for {retention_days()} days; {len(young)} file(s) "
                               "there are younger (only `make clean` removes the whole state early)")
