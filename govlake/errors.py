"""Every error govlake raises on purpose, in one module and two families.

- :class:`Refusal`: the pipeline refuses something: a bad contract, a bad delivery, a failed
  critical check, a privacy gate, a missing key. Trying again will not change the answer, so
  Airflow fails the task at once instead of retrying it, and the user sees the message only.
- :class:`InfrastructureError`: the lake, the object store or an engine failed. Trying again may
  help, so Airflow retries; the message still says what failed, in plain words.

Messages name the file, row and column or the check, never a personal value. Anything else
that escapes is a bug in govlake and keeps its traceback.

This module imports nothing, so every layer (``masking`` included) may raise these.
"""

from __future__ import annotations


class GovlakeError(Exception):
    """Base of everything govlake raises on purpose; ``str(exc)`` is the whole story."""


# -- refusals: the answer will not change on retry --------------------------------------------

class Refusal(GovlakeError):
    """The pipeline refuses to go on. Fail without retries; show the message, no traceback."""


class ContractError(Refusal, ValueError):
    """A contract, suite or key registry is malformed; the message names the file and the key."""


class ConfigError(Refusal):
    """A setting (environment variable) has a value govlake does not know; the message names it."""


class DeliveryError(Refusal):
    """A delivery cannot be ingested as a whole; the message names the file (and line, column)."""


class SignatureError(DeliveryError):
    """A delivery's signed manifest is missing, wrong or stale, or does not match its files."""


class CheckFailed(Refusal):
    """A critical expectation failed: the batch is rejected and nothing of it is published."""


class PrivacyGateBlocked(Refusal):
    """Discovery, the re-identification risk gate or post-mask verification stopped a batch."""


class ApprovalRequired(Refusal):
    """A release waits for a privacy officer's decision (govlake.approvals)."""


class MissingKeyError(Refusal):
    """A secret the pipeline needs (pseudonymisation or signing key) is not configured."""


class IllegalTransition(Refusal):
    """A batch was asked to move to a status its current status does not lead to."""


class NotFound(Refusal):
    """Something the user named (dataset, batch, version) does not exist."""


# -- infrastructure: retrying may help -----------------------------------------------------------

class InfrastructureError(GovlakeError):
    """Storage or an engine failed; Airflow retries the task. The message says what and where."""


class StorageUnavailable(InfrastructureError):
    """The lake could not be read or written (unreachable store, disk full, permission denied)."""


class StoragePermissionDenied(StorageUnavailable):
    """The lake refused a read or write for want of permission."""


class DatasetLocked(InfrastructureError):
    """Another run holds the dataset's lock and did not release it in time."""
