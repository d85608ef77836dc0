"""The records that cross stages, typed, and read and written here only.

- :class:`BatchManifest`: one delivery's batch, from ``delivered`` to ``published``, with an
  explicit status machine (:data:`TRANSITIONS`); an illegal move raises
  :class:`~govlake.errors.IllegalTransition`.
- :class:`Ledger`: every delivery a dataset's landing zone has held, by content digest, so a
  delivery is ingested once.
- :class:`CurrentVersion` (the pointer readers follow), :class:`CatalogEntry`,
  :class:`ReleaseManifest` (signed, verifiable offline), :class:`AuditEvent`.

Every model refuses unknown fields, so a typo is an error and not a silently missing value.
Reports (validation and masking) are documents for people: their bodies stay JSON objects,
but they are read and written through this module too.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govlake import paths
from govlake.errors import IllegalTransition, NotFound, StorageUnavailable
from govlake.storage import Lake


def utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def actor() -> str:
    """Who is acting: the Airflow run when inside one, else the OS user."""
    run = os.environ.get("AIRFLOW_CTX_DAG_RUN_ID")
    dag = os.environ.get("AIRFLOW_CTX_DAG_ID")
    if run and dag:
        return f"airflow:{dag}/{run}"
    try:
        return f"user:{getpass.getuser()}"
    except Exception:
        return "user:unknown"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# -- batch manifest -------------------------------------------------------------------------------

class Status(str, Enum):
    DELIVERED = "delivered"
    INGESTED = "ingested"
    VALIDATED = "validated"
    MASKED = "masked"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"  # a snapshot replaced by a newer one
    QUARANTINED = "quarantined"  # refused at ingest as a whole
    REJECTED = "rejected"  # a critical expectation failed
    BLOCKED = "blocked"  # a privacy gate or verification stopped it


S = Status
# Where each status may lead. Re-running a stage on its own result is allowed (idempotent reruns);
# a rejected or blocked batch may be checked again after its suite or contract is fixed.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.DELIVERED: frozenset({S.DELIVERED, S.INGESTED, S.QUARANTINED}),
    S.INGESTED: frozenset({S.VALIDATED, S.REJECTED}),
    S.VALIDATED: frozenset({S.VALIDATED, S.MASKED, S.BLOCKED}),
    S.MASKED: frozenset({S.MASKED, S.PUBLISHED, S.BLOCKED, S.SUPERSEDED}),
    S.PUBLISHED: frozenset({S.PUBLISHED, S.MASKED, S.BLOCKED, S.SUPERSEDED}),
    S.SUPERSEDED: frozenset({S.SUPERSEDED}),
    S.QUARANTINED: frozenset({S.QUARANTINED}),
    S.REJECTED: frozenset({S.REJECTED, S.VALIDATED}),
    S.BLOCKED: frozenset({S.BLOCKED, S.MASKED}),
}
# Statuses from which a stage still has work to do (what a rerun resumes).
UNFINISHED = frozenset({S.DELIVERED, S.INGESTED, S.VALIDATED})
# Statuses that have passed validation (what the masking stage accepts).
VALIDATED_OR_LATER = frozenset({S.VALIDATED, S.MASKED, S.PUBLISHED, S.BLOCKED})


class StatusChange(Record):
    status: Status
    at: str
    actor: str
    note: str | None = None


class DeliveryRef(Record):
    """Which delivery a batch holds."""

    key: str  # ledger key: content digest of the delivery
    delivery_id: str  # the department's name for it (manifest id, or the file name)
    sequence: int  # arrival order within the dataset
    signed: bool
    signer: str | None = None  # key id of a verified signature
    manifest: str | None = None  # lake path of the delivery manifest, when signed
    notes: list[str] = Field(default_factory=list)


class FileRecord(Record):
    path: str  # lake-relative path of the delivered file
    member: str | None = None  # the member read, for a zip archive
    uri: str
    sha256: str  # of the delivered bytes (the whole archive, for a member)
    size: int
    compression: str | None = None
    declared_rows: int | None = None  # rows the signed delivery manifest declares
    encoding: str | None = None  # what the bytes turned out to be, once read
    rows: int = 0  # data records found (header excluded)
    extra_columns: list[str] = Field(default_factory=list)
    missing_columns: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.path}!{self.member}" if self.member else self.path


class QuarantinedRow(Record):
    file: str
    line: int
    failed: list[str]


class ValidationSummary(Record):
    report: str
    data_docs: str
    success: bool
    critical_failures: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    quarantined_rows: int = 0
    examples: list[QuarantinedRow] = Field(default_factory=list)  # the first few, for people


class MaskingSummary(Record):
    report: str
    report_html: str
    rows: int = 0
    entities_masked: int = 0
    rows_suppressed: int = 0
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    generalisation_level: int = 0  # how many of the contract's generalise steps apply (one level per dataset)
    key_version: str | None = None
    masked_at: str | None = None


class VerificationSummary(Record):
    passed: bool
    summary: str


class BatchManifest(Record):
    dataset: str
    batch_id: str
    mode: str  # snapshot or increment, from the contract when the delivery arrived
    delivery: DeliveryRef
    status: Status = S.DELIVERED
    history: list[StatusChange] = Field(default_factory=list)
    ingest_date: str
    ingested_at: str | None = None
    files: list[FileRecord] = Field(default_factory=list)
    rows_landed: int = 0
    rows_ingested: int = 0
    rows_quarantined_ingest: int = 0
    rows_quarantined_validate: int = 0
    quarantine_reasons: list[str] = Field(default_factory=list)
    raw_path: str
    quarantine_paths: list[str] = Field(default_factory=list)
    validation: ValidationSummary | None = None
    masking: MaskingSummary | None = None
    verification: VerificationSummary | None = None
    work_path: str | None = None
    refused_reason: str | None = None
    rejected_reason: str | None = None
    blocked_reason: str | None = None
    published_version: str | None = None
    superseded_by: str | None = None
    warnings: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)  # seconds per stage

    @property
    def path(self) -> str:
        return paths.batch_manifest(self.dataset, self.batch_id)

    @property
    def rows_quarantined(self) -> int:
        return self.rows_quarantined_ingest + self.rows_quarantined_validate

    @property
    def rows_published(self) -> int:
        return self.masking.rows if self.masking else 0

    @property
    def rows_suppressed(self) -> int:
        return self.masking.rows_suppressed if self.masking else 0

    @property
    def publishable(self) -> bool:
        return (self.status in (S.MASKED, S.PUBLISHED) and self.work_path is not None
                and self.verification is not None and self.verification.passed)

    def advance(self, status: Status, note: str | None = None) -> None:
        """Move to ``status``, or refuse: the status machine is the only way a batch changes state."""
        if status not in TRANSITIONS[self.status]:
            raise IllegalTransition(
                f"{self.dataset} batch {self.batch_id}: status is '{self.status.value}', which cannot become "
                f"'{status.value}' (allowed: {', '.join(sorted(s.value for s in TRANSITIONS[self.status]))})")
        self.status = status
        self.history.append(StatusChange(status=status, at=utcnow(), actor=actor(), note=note))


class BatchRef(Record):
    """What one task hands the next through XCom: references, never data."""

    dataset: str
    batch_id: str
    manifest: str

    def to_dict(self) -> dict:
        return self.model_dump()

    @classmethod
    def of(cls, manifest: BatchManifest) -> BatchRef:
        return cls(dataset=manifest.dataset, batch_id=manifest.batch_id, manifest=manifest.path)

    @classmethod
    def for_batch(cls, dataset: str, batch_id: str) -> BatchRef:
        return cls(dataset=dataset, batch_id=batch_id, manifest=paths.batch_manifest(dataset, batch_id))


# -- what departments deliver --------------------------------------------------------------------

DELIVERY_MANIFEST_SUFFIX = ".delivery.json"
DELIVERY_FORMAT = "govlake-delivery/1"


class DeliveredFile(Record):
    name: str  # relative to the manifest's folder
    size: int
    sha256: str
    rows: int | None = None  # data records (header excluded), as the department counted them


class DeliveryManifest(Record):
    """What a department says it delivered; signed (detached ``.sig``) with its registered key."""

    format: str = DELIVERY_FORMAT
    dataset: str
    department: str
    delivery_id: str
    created_at: dt.datetime
    key_id: str
    files: list[DeliveredFile]


def delivery_manifest_bytes(manifest: DeliveryManifest) -> bytes:
    return manifest.model_dump_json(indent=2).encode("utf-8") + b"\n"


def parse_delivery_manifest(data: bytes, where: str) -> DeliveryManifest:
    from govlake.errors import SignatureError

    try:
        manifest = DeliveryManifest.model_validate_json(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'document'}: {e['msg']}"
                             for e in exc.errors()[:3])
        raise SignatureError(f"{where}: not a valid delivery manifest ({problems})") from None
    if manifest.format != DELIVERY_FORMAT:
        raise SignatureError(f"{where}: format '{manifest.format}' is not {DELIVERY_FORMAT}")
    if manifest.created_at.tzinfo is None:
        raise SignatureError(f"{where}: created_at must carry a time zone (e.g. 2026-11-21T08:00:00+08:00)")
    for f in manifest.files:
        if f.name.startswith("/") or ".." in f.name.split("/") or not f.name:
            raise SignatureError(f"{where}: file name '{f.name}' must be relative to the manifest's folder")
    return manifest


# -- delivery ledger --------------------------------------------------------------------------------

class LedgerState(str, Enum):
    ACCEPTED = "accepted"  # became a batch (whatever happened to the batch later)
    REFUSED = "refused"  # refused as a whole; retried only if the contract or key registry changes
    DUPLICATE = "duplicate"  # same content as a delivery already ingested


class LedgerEntry(Record):
    key: str
    delivery_id: str
    kind: str  # "file" or "manifest"
    files: dict[str, str]  # lake path -> sha256
    stats: dict[str, str] = Field(default_factory=dict)  # lake path -> "size:mtime", to skip re-hashing
    first_seen: str
    state: LedgerState
    sequence: int | None = None
    batch_id: str | None = None
    duplicate_of: str | None = None
    reason: str | None = None
    checked_against: str | None = None  # digest of the contract and key registry a refusal was made under


class Ledger(Record):
    dataset: str
    entries: list[LedgerEntry] = Field(default_factory=list)
    next_sequence: int = 1

    def get(self, key: str) -> LedgerEntry | None:
        return next((e for e in self.entries if e.key == key), None)

    def ingested_digests(self) -> dict[str, LedgerEntry]:
        """sha256 of every file ingested so far -> the entry that holds it."""
        return {sha: e for e in self.entries if e.state == LedgerState.ACCEPTED for sha in e.files.values()}

    def by_delivery_id(self, delivery_id: str) -> list[LedgerEntry]:
        return [e for e in self.entries if e.delivery_id == delivery_id and e.state == LedgerState.ACCEPTED]

    def record(self, entry: LedgerEntry) -> LedgerEntry:
        self.entries = [e for e in self.entries if e.key != entry.key] + [entry]
        return entry

    def take_sequence(self) -> int:
        n = self.next_sequence
        self.next_sequence = n + 1
        return n


# -- publication ------------------------------------------------------------------------------------

class CurrentVersion(Record):
    """The version of a curated dataset readers see now (its Iceberg table's current snapshot)."""

    dataset: str
    version: str
    table: str  # Iceberg identifier, e.g. curated.social_insured
    metadata: str  # the table's current metadata file (what DuckDB's iceberg_scan reads)
    files: list[str]  # the data files of this version, as Parquet readers name them
    fingerprint: str
    published_at: str
    release_manifest: str | None = None  # full URI of the signed release manifest


class ReleaseFile(Record):
    name: str  # relative to the table's folder, e.g. data/batch_id=b1/v3/part-0.parquet
    size: int
    sha256: str
    rows: int


class ReleaseManifest(Record):
    """What a curated version holds, signed by the platform so a reader can check it offline."""

    format: str = "govlake-release/2"
    dataset: str
    version: str
    table: str
    published_at: str
    mode: str
    row_count: int
    files: list[ReleaseFile]
    columns: list[dict[str, Any]]
    source_batches: list[dict[str, Any]]
    contract_sha256: str
    signing_key: str  # key id; the public key is at catalog/_release_keys/<key id>.pub


class CatalogEntry(Record):
    dataset: str
    title: str
    owner: dict[str, str]
    mode: str
    version: str
    table: str
    location: str
    metadata: str
    release_manifest: str | None = None
    format: str = "iceberg"
    published_at: str
    row_count: int
    schema_: list[dict[str, Any]] = Field(alias="schema")
    quasi_identifiers: list[str]
    pseudonym_domain: str
    source_batches: list[dict[str, Any]]
    reports: dict[str, list[str]]
    access: list[dict[str, Any]]
    views: list[dict[str, Any]] = Field(default_factory=list)
    versions: list[dict[str, Any]] = Field(default_factory=list)
    lineage: dict[str, Any]
    fingerprint: str

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ApprovalRecord(Record):
    """A privacy officer's decision on a release that needs one (``govlake.approvals``)."""

    dataset: str
    request_id: str
    version: int  # the curated version the release would become
    release: str  # fingerprint of the batches in the release
    contract: dict[str, str]  # the privacy-relevant parts of the contract, each hashed
    reasons: list[str]
    evaluation: str  # the risk evaluation the officer reviews (lake-relative)
    masking_reports: list[str] = Field(default_factory=list)
    suppressed: dict[str, int] = Field(default_factory=dict)  # batch id -> rows suppressed, as asked about
    requested_by: str  # who ran the pipeline (an Airflow user, or the OS user)
    requested_at: str
    status: str = "pending"  # pending, approved, rejected
    decided_by: str | None = None
    decided_at: str | None = None
    comment: str = ""
    channel: str | None = None  # airflow (Required Actions) or cli


class AuditEvent(Record):
    """One link of the audit chain: ``hash`` is SHA-256 of the record without it, and ``prev`` the
    hash of the record before (see :mod:`govlake.audit`)."""

    seq: int
    time: str
    actor: str
    action: str
    dataset: str
    details: dict[str, Any] = Field(default_factory=dict)
    prev: str
    hash: str = ""

    def body(self) -> bytes:
        """The canonical bytes that are hashed: everything but the hash."""
        return json.dumps(self.model_dump(exclude={"hash"}), ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"), default=str).encode("utf-8")


class AuditCheckpoint(Record):
    """A signed statement that the chain held ``seq`` records ending in ``hash``."""

    seq: int
    hash: str
    time: str
    key_id: str
    signature: str = ""  # base64 Ed25519 over the checkpoint without its signature

    def body(self) -> bytes:
        return json.dumps(self.model_dump(exclude={"signature"}), sort_keys=True, separators=(",", ":")).encode()


# -- reading and writing -------------------------------------------------------------------------------

def _load(lake: Lake, rel: str, model: type[Record]):
    if not lake.exists(rel):
        raise NotFound(f"{lake.uri(rel)} does not exist")
    try:
        return model.model_validate_json(lake.read_bytes(rel))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise StorageUnavailable(
            f"{lake.uri(rel)} is not a valid {model.__name__} ({problems}); it may come from an older "
            "govlake: `make clean` starts the demo lake afresh") from None


def _save(lake: Lake, rel: str, record: Record) -> str:
    lake.write_bytes(rel, record.model_dump_json(indent=2, by_alias=True).encode("utf-8"))
    return rel


def load_manifest(lake: Lake, ref: BatchRef | str) -> BatchManifest:
    return _load(lake, ref.manifest if isinstance(ref, BatchRef) else ref, BatchManifest)


def save_manifest(lake: Lake, manifest: BatchManifest) -> str:
    return _save(lake, manifest.path, manifest)


def iter_manifests(lake: Lake, dataset: str) -> list[BatchManifest]:
    """Every batch manifest of a dataset, in delivery order."""
    found = [_load(lake, f.path, BatchManifest) for f in lake.list_files(paths.batches(dataset), "*.json")]
    return sorted(found, key=lambda m: (m.delivery.sequence, m.batch_id))


def load_ledger(lake: Lake, dataset: str) -> Ledger:
    rel = paths.ledger(dataset)
    return _load(lake, rel, Ledger) if lake.exists(rel) else Ledger(dataset=dataset)


def save_ledger(lake: Lake, ledger: Ledger) -> str:
    return _save(lake, paths.ledger(ledger.dataset), ledger)


def read_catalog_entry(lake: Lake, dataset: str) -> CatalogEntry | None:
    rel = paths.catalog_entry(dataset)
    return _load(lake, rel, CatalogEntry) if lake.exists(rel) else None


def write_catalog_entry(lake: Lake, entry: CatalogEntry) -> str:
    return _save(lake, paths.catalog_entry(entry.dataset), entry)


def iter_catalog(lake: Lake) -> list[CatalogEntry]:
    return [_load(lake, f.path, CatalogEntry) for f in lake.list_files(paths.catalog(), "*.json", recursive=False)]


def release_manifest_bytes(manifest: ReleaseManifest) -> bytes:
    """The exact bytes that are signed (and written): canonical JSON."""
    return json.dumps(manifest.model_dump(), ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")


def parse_release_manifest(data: bytes, where: str) -> ReleaseManifest:
    try:
        return ReleaseManifest.model_validate_json(data)
    except ValidationError as exc:
        raise NotFound(f"{where} is not a govlake release manifest ({exc.errors()[0]['msg']})") from None


def audit(lake: Lake, action: str, dataset: str, **details: Any) -> str:
    """Append one event to the audit chain (see :func:`govlake.audit.append`)."""
    from govlake.audit import append

    return append(lake, action, dataset, details)


def load_audit_event(lake: Lake, rel: str) -> AuditEvent:
    return _load(lake, rel, AuditEvent)


def save_audit_event(lake: Lake, event: AuditEvent) -> str:
    return _save(lake, paths.audit_record(event.seq), event)


def parse_audit_checkpoint(data: bytes, where: str) -> AuditCheckpoint:
    try:
        return AuditCheckpoint.model_validate_json(data)
    except ValidationError as exc:
        raise NotFound(f"{where} is not a govlake audit checkpoint ({exc.errors()[0]['msg']})") from None


def audit_checkpoint_bytes(checkpoint: AuditCheckpoint) -> bytes:
    return checkpoint.model_dump_json(indent=2).encode("utf-8")


def write_report(lake: Lake, rel: str, report: dict) -> str:
    return lake.write_json(rel, report)


def read_report(lake: Lake, rel: str) -> dict:
    if not lake.exists(rel):
        raise NotFound(f"{lake.uri(rel)} does not exist")
    return lake.read_json(rel)


def load_approval(lake: Lake, rel: str) -> ApprovalRecord:
    return _load(lake, rel, ApprovalRecord)


def save_approval(lake: Lake, record: ApprovalRecord) -> str:
    from govlake import paths

    return _save(lake, paths.approval(record.dataset, record.request_id), record)


def iter_approvals(lake: Lake, dataset: str) -> list[ApprovalRecord]:
    from govlake import paths

    out = [load_approval(lake, f.path) for f in lake.list_files(paths.approvals(dataset), "*.json", recursive=False)]
    return sorted(out, key=lambda r: r.requested_at)
