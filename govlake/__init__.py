"""govlake: a privacy-preserving data lake and batch pipeline for government data sharing."""

from __future__ import annotations

__version__ = "0.1.0"


def query(sql: str, as_principal: str, version: int | None = None, as_of=None, purpose: str | None = None):
    """Run SQL over the audience views granted to ``as_principal``, with that principal's own
    object-store keys; returns a pyarrow Table. See :mod:`govlake.querying`."""
    from govlake.querying import query as run

    return run(sql, as_principal, version=version, as_of=as_of, purpose=purpose).table
