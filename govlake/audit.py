"""The audit log: an append-only hash chain with signed checkpoints kept where the lake's operator
cannot rewrite them.

- Every record (``audit/log/<seq>.json``) carries its sequence number, the hash of the record
  before it (``prev``) and its own SHA-256 (``hash``). Records are appended under the lake's lock,
  so two writers never take the same number.
- After every append a checkpoint ``{seq, hash, time}`` is signed with the audit key (Ed25519,
  outside the lake: ``GOVLAKE_AUDIT_SIGNING_KEY``, or ``$GOVLAKE_HOME/secrets/audit-signing.pem``
  made on first use) and written to the checkpoint store:
  - on an S3 lake, a bucket of its own (``<lake bucket>-audit``, or ``GOVLAKE_AUDIT_BUCKET``) made
    with S3 Object Lock in *compliance* mode: no one, the store's administrator included, can
    delete or overwrite a checkpoint before its retention ends (``GOVLAKE_AUDIT_RETENTION_DAYS``,
    seven years by default); a rewrite only adds a version, and verification reads every version;
  - on a local lake, ``$GOVLAKE_HOME/audit-checkpoints/``: read-only files, which show mistakes
    and tampering by anyone but the machine's administrator.
- :func:`verify` walks the chain and the checkpoints and names the first bad record: an edited
  record no longer matches its hash, a deleted one leaves a gap, a reordered one sits under another
  number or breaks ``prev``, a truncated chain ends before the last signed checkpoint, and a chain
  rewritten with fresh hashes disagrees with the checkpoints.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govlake import paths
from govlake.config import settings
from govlake.errors import StorageUnavailable
from govlake.records import (
    AuditCheckpoint,
    AuditEvent,
    actor,
    audit_checkpoint_bytes,
    load_audit_event,
    parse_audit_checkpoint,
    save_audit_event,
)
from govlake.storage import Lake

AUDIT_KEY_ENV = "GOVLAKE_AUDIT_SIGNING_KEY"
AUDIT_BUCKET_ENV = "GOVLAKE_AUDIT_BUCKET"
RETENTION_ENV = "GOVLAKE_AUDIT_RETENTION_DAYS"
GENESIS = "0" * 64


def _digest(event: AuditEvent) -> str:
    return hashlib.sha256(event.body()).hexdigest()


# -- the signing key -------------------------------------------------------------------------------

def _signing_key():
    from govlake.signing import ensure_private_key, key_fingerprint, private_key_from_env

    key = private_key_from_env(AUDIT_KEY_ENV) or ensure_private_key(settings().home / "secrets" / "audit-signing.pem")
    return key, "audit-" + key_fingerprint(key.public_key())


# -- where checkpoints are kept ----------------------------------------------------------------------

@dataclass
class StoredCheckpoint:
    name: str
    versions: list[bytes]  # oldest first; more than one means someone wrote over it
    deleted: bool = False


class LocalCheckpoints:
    tamper_proof = False

    def __init__(self, lake: Lake):
        self.known_keys: set[str] = set()
        tag = hashlib.sha256(lake.root.encode()).hexdigest()[:12]
        self.folder = settings().home / "audit-checkpoints" / tag
        self.where = str(self.folder)

    def put(self, name: str, data: bytes) -> None:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.chmod(0o644)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.chmod(0o444)
        tmp.replace(path)

    def get(self, name: str) -> bytes | None:
        path = self.folder / name
        return path.read_bytes() if path.exists() else None

    def list(self, prefix: str) -> list[StoredCheckpoint]:
        folder = self.folder / prefix
        if not folder.is_dir():
            return []
        return [StoredCheckpoint(f"{prefix}/{p.name}", [p.read_bytes()])
                for p in sorted(folder.iterdir()) if not p.name.endswith(".tmp")]


class ObjectLockCheckpoints:
    """A bucket with S3 Object Lock in compliance mode, written by the lake's service keys."""

    tamper_proof = True

    def __init__(self, lake: Lake):
        from govlake.objectstore import Credentials, s3_client
        from govlake.policy import bucket_and_prefix

        bucket, prefix = bucket_and_prefix(lake)
        self.bucket = os.environ.get(AUDIT_BUCKET_ENV) or f"{bucket}-audit"
        self.prefix = f"{prefix}/" if prefix else ""
        key, secret = lake.access_keys()
        self.client = s3_client(lake.s3_endpoint, Credentials("service", key, secret) if key else None,
                                settings().s3_region)
        self.where = f"s3://{self.bucket}/{self.prefix}"
        self._ready = False
        self.known_keys: set[str] = set()

    def _key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def ensure(self) -> None:
        if self._ready:
            return
        import botocore

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except botocore.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
                raise StorageUnavailable(f"the audit checkpoint bucket s3://{self.bucket} cannot be reached "
                                         f"({exc.response['Error']['Code']})") from None
            days = int(os.environ.get(RETENTION_ENV, str(7 * 365)))
            self.client.create_bucket(Bucket=self.bucket, ObjectLockEnabledForBucket=True)
            self.client.put_object_lock_configuration(Bucket=self.bucket, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": days}}})
        self._ready = True

    def put(self, name: str, data: bytes) -> None:
        self.ensure()
        self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data, ContentType="application/json",
                               ContentMD5=base64.b64encode(hashlib.md5(data).digest()).decode())

    def get(self, name: str) -> bytes | None:
        import botocore

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"].read()
        except botocore.exceptions.ClientError:
            return None

    def list(self, prefix: str) -> list[StoredCheckpoint]:
        import botocore

        found: dict[str, list[tuple[str, str]]] = {}
        deleted: set[str] = set()
        try:
            pages = self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket,
                                                                                Prefix=self._key(prefix + "/"))
            for page in pages:
                for v in page.get("Versions", []):
                    found.setdefault(v["Key"], []).append((v["LastModified"].isoformat(), v["VersionId"]))
                for m in page.get("DeleteMarkers", []):
                    if m.get("IsLatest"):
                        deleted.add(m["Key"])
        except botocore.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchBucket"):
                return []
            raise
        out = []
        for key in sorted(found):
            versions = [self.client.get_object(Bucket=self.bucket, Key=key, VersionId=vid)["Body"].read()
                        for _, vid in sorted(found[key])]
            out.append(StoredCheckpoint(key[len(self.prefix):], versions, key in deleted))
        return out


_stores: dict[tuple, ObjectLockCheckpoints] = {}


def checkpoint_store(lake: Lake) -> LocalCheckpoints | ObjectLockCheckpoints:
    if not lake.is_s3:
        return LocalCheckpoints(lake)
    # one client per lake and keys in a process: making a boto3 client costs more than the writes
    key = (lake.root, lake.s3_endpoint, lake.access_keys(), os.environ.get(AUDIT_BUCKET_ENV))
    if key not in _stores:
        _stores[key] = ObjectLockCheckpoints(lake)
    return _stores[key]


def _checkpoint_name(seq: int) -> str:
    return f"checkpoints/{seq:012d}.json"


# -- appending -----------------------------------------------------------------------------------

def _chain_end(lake: Lake) -> tuple[int, str]:
    """The last record's number and hash: from the head hint, checked, else by listing."""
    seq, last = 0, GENESIS
    if lake.exists(paths.audit_head()):
        head = lake.read_json(paths.audit_head())
        seq, last = int(head["seq"]), head["hash"]
    else:
        records = lake.list_files(paths.audit_log(), "*.json", recursive=False)
        if records:
            event = load_audit_event(lake, max(records, key=lambda f: f.path).path)
            seq, last = event.seq, event.hash
    while lake.exists(paths.audit_record(seq + 1)):  # a writer stopped before moving the head
        event = load_audit_event(lake, paths.audit_record(seq + 1))
        seq, last = event.seq, event.hash
    return seq, last


def append(lake: Lake, action: str, dataset: str, details: dict[str, Any]) -> str:
    """Append one record and sign a checkpoint of the chain's new end; returns the record's path."""
    from govlake.locks import dataset_lock
    from govlake.signing import sign

    key, key_id = _signing_key()
    store = checkpoint_store(lake)
    with dataset_lock(lake, "_audit", "audit append", wait=120):
        seq, prev = _chain_end(lake)
        event = AuditEvent(seq=seq + 1, time=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                           actor=actor(), action=action, dataset=dataset, details=json.loads(json.dumps(details,
                                                                                                    default=str)),
                           prev=prev)
        event.hash = _digest(event)
        rel = save_audit_event(lake, event)
        checkpoint = AuditCheckpoint(seq=event.seq, hash=event.hash, time=event.time, key_id=key_id)
        checkpoint.signature = sign(key, checkpoint.body()).decode().strip()
        if key_id not in store.known_keys and store.get(f"keys/{key_id}.pub") is None:
            from govlake.signing import public_b64

            store.put(f"keys/{key_id}.pub", public_b64(key.public_key()).encode())
        store.known_keys.add(key_id)
        store.put(_checkpoint_name(event.seq), audit_checkpoint_bytes(checkpoint))
        lake.write_json(paths.audit_head(), {"seq": event.seq, "hash": event.hash})
    return rel


# -- reading and verifying -----------------------------------------------------------------------

def records(lake: Lake) -> list[AuditEvent]:
    """Every record of the chain, in order (unverified: see :func:`verify`)."""
    files = sorted(lake.list_files(paths.audit_log(), "*.json", recursive=False), key=lambda f: f.path)
    return [load_audit_event(lake, f.path) for f in files]


@dataclass
class Verification:
    records: int = 0
    checkpoints: int = 0
    where: str = ""
    tamper_proof: bool = False
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        kind = ("S3 Object Lock, compliance mode" if self.tamper_proof
                else "a local folder: tamper-evident against everyone but this machine's administrator")
        out = [f"audit chain: {self.records} record(s); {self.checkpoints} signed checkpoint(s) in {self.where} ({kind})"]
        out += [f"note: {n}" for n in self.notes]
        if self.problems:
            out.append(f"FAILED: {self.problems[0]}")
            out += [f"  also: {p}" for p in self.problems[1:5]]
        else:
            out.append("OK: every record matches its hash and its neighbours, and every signed checkpoint matches "
                       "the chain")
        return out


def verify(lake: Lake) -> Verification:
    from govlake.signing import check, public_from_b64

    store = checkpoint_store(lake)
    result = Verification(where=store.where, tamper_proof=store.tamper_proof)
    files = sorted(lake.list_files(paths.audit_log(), "*.json", recursive=False), key=lambda f: f.path)
    result.records = len(files)
    chain: dict[int, str] = {}
    prev, expected = GENESIS, 1
    for f in files:
        where = lake.uri(f.path)
        try:
            event = load_audit_event(lake, f.path)
        except Exception as exc:  # an unreadable record is tampering too; say which
            result.problems.append(f"record {where} cannot be read as an audit record ({exc})")
            break
        named = int(Path(f.path).stem) if Path(f.path).stem.isdigit() else -1
        if named != expected:
            result.problems.append(f"record {expected} is missing (the next file is {where}): deleted")
            break
        if event.seq != named:
            result.problems.append(f"record {named} ({where}) holds record {event.seq}: reordered")
            break
        if _digest(event) != event.hash:
            result.problems.append(f"record {named} ({where}) does not match its hash: edited")
            break
        if event.prev != prev:
            result.problems.append(f"record {named} ({where}) does not follow record {named - 1}: "
                                   "the chain was changed before it")
            break
        chain[event.seq] = event.hash
        prev, expected = event.hash, expected + 1

    keys: dict[str, Any] = {}
    for stored in store.list("keys"):
        key_id = Path(stored.name).stem
        keys[key_id] = public_from_b64(stored.versions[0].decode(), stored.name)
    last_signed = 0
    for stored in store.list("checkpoints"):
        result.checkpoints += 1
        if len(stored.versions) > 1 or stored.deleted:
            result.problems.append(f"checkpoint {stored.name} was overwritten or deleted in the checkpoint store "
                                   "(its first version still stands)")
        cp = parse_audit_checkpoint(stored.versions[0], f"{store.where}{stored.name}")
        public = keys.get(cp.key_id)
        if public is None or not check(public, cp.body(), cp.signature.encode()):
            result.problems.append(f"checkpoint {stored.name} is not signed by a registered audit key")
            continue
        last_signed = max(last_signed, cp.seq)
        if cp.seq in chain and chain[cp.seq] != cp.hash:
            result.problems.append(f"record {cp.seq} differs from the checkpoint signed at {cp.time}: "
                                   "the chain was rewritten")
    if last_signed > result.records and len(chain) == result.records:
        result.problems.append(f"the chain ends at record {result.records}, but a checkpoint signed its record "
                               f"{last_signed}: records {result.records + 1}-{last_signed} were removed (truncated)")
    unsigned = result.records - last_signed
    if unsigned > 0 and not result.problems:
        result.notes.append(f"{unsigned} record(s) after the last checkpoint (a writer stopped before signing)")
    result.problems.sort(key=_record_number)
    return result


def _record_number(problem: str) -> int:
    for word in problem.replace("(", " ").split():
        if word.isdigit():
            return int(word)
    return 1 << 40


# -- who read a dataset -------------------------------------------------------------------------------

OPS_LOG_ENV = "GOVLAKE_S3_OPS_LOG"
SESSION_GAP = dt.timedelta(seconds=10)  # object-store reads further apart than this are separate uses
# A govlake query reads first and is audited when it ends: its record falls just after its reads.
MATCH_BEFORE, MATCH_AFTER = dt.timedelta(seconds=2), dt.timedelta(seconds=15)


@dataclass
class Use:
    """One use of a dataset: a govlake query, or a run of object-store requests by one principal."""

    first: str
    last: str
    principal: str
    kind: str
    via: str  # "govlake query", "object store, through govlake", "object store, bypassing govlake", ...
    purpose: str = ""
    what: str = ""
    rows: int | None = None
    requests: int = 0
    bytes: int = 0
    denied: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def ops_log_path() -> Path:
    from govlake.objectstore import rgw_dir

    return Path(os.environ.get(OPS_LOG_ENV) or rgw_dir() / "log" / "ops.log")


def _parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _ops_requests(lake: Lake, dataset: str, since: dt.datetime | None) -> list[dict]:
    """The object store's own log of requests for the dataset's curated table and views."""
    import urllib.parse

    from govlake.policy import bucket_and_prefix

    path = ops_log_path()
    if not lake.is_s3 or not path.exists():
        return []
    bucket, prefix = bucket_and_prefix(lake)
    prefix = f"{prefix}/" if prefix else ""
    wanted = (f"/{bucket}/{prefix}views/{dataset}/", f"/{bucket}/{prefix}curated/{dataset}/")
    found = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip().rstrip(",")
            if not line.startswith("{"):
                continue
            try:
                op = json.loads(line)
            except json.JSONDecodeError:
                continue
            if op.get("bucket") != bucket or op.get("operation") not in ("get_obj", "list_bucket", "get_obj_attrs"):
                continue
            target = urllib.parse.unquote((op.get("uri") or "").split(" ")[1] if " " in (op.get("uri") or "") else "")
            listed = urllib.parse.parse_qs(target.partition("?")[2]).get("prefix", [""])[0]
            key = target.partition("?")[0] if op["operation"] != "list_bucket" else f"/{bucket}/{listed}"
            if not key.startswith(wanted):
                continue
            at = _parse_time(op["time"])
            if since and at < since:
                continue
            found.append({"time": at, "user": op.get("user") or "", "status": str(op.get("http_status", "")),
                          "bytes": int(op.get("bytes_sent") or 0)})
    return found


def who_read(lake: Lake, dataset: str, since: dt.datetime | None = None) -> list[Use]:
    """Every use of a dataset: govlake queries from the audit chain, and the object store's own request
    log (reads that bypassed govlake included), each object-store run matched to a query if one explains it."""
    from govlake.access import AccessModel

    model = AccessModel.load()
    by_user = {p.user_id: p for p in model.principals() if p.kind != "public"}
    uses: list[Use] = []
    queries: list[tuple[str, dt.datetime, Use]] = []
    for event in records(lake):
        if event.action not in ("query", "query_refused") or dataset not in event.dataset.split(","):
            continue
        at = _parse_time(event.time)
        if since and at < since:
            continue
        d = event.details
        purpose = d.get("purpose")
        refused = event.action == "query_refused"
        use = Use(first=event.time, last=event.time, principal=d.get("principal", "?"), kind=d.get("kind", "?"),
                  via="govlake query, refused" if refused else "govlake query",
                  purpose=", ".join(purpose) if isinstance(purpose, list) else str(purpose or ""),
                  what=d.get("reason", "") if refused else
                  ", ".join(v for v in d.get("views", []) if v.startswith(f"{dataset}/")), rows=d.get("rows"))
        uses.append(use)
        queries.append((use.principal, at, use))

    sessions: dict[str, list[dict]] = {}
    for req in _ops_requests(lake, dataset, since):
        sessions.setdefault(req["user"], []).append(req)
    for user, reqs in sessions.items():
        principal = by_user.get(user)
        anonymous = user in ("", "anonymous")
        name = principal.name if principal else ("public" if anonymous else user)
        kind = principal.kind if principal else ("public" if anonymous else "unmanaged user")
        run: list[dict] = []
        for req in sorted(reqs, key=lambda r: r["time"]) + [None]:
            if run and (req is None or req["time"] - run[-1]["time"] > SESSION_GAP):
                first, last = run[0]["time"], run[-1]["time"]
                explained = any(p == name and last - MATCH_BEFORE <= at <= last + MATCH_AFTER
                                for p, at, _ in queries)
                denied = sum(r["status"] in ("401", "403") for r in run)
                if kind == "service":
                    via = "object store, the pipeline itself"
                elif denied == len(run):
                    via = "object store, refused"
                else:
                    via = "object store, through govlake" if explained else "object store, bypassing govlake"
                uses.append(Use(first=first.isoformat(timespec="milliseconds"), last=last.isoformat(timespec="milliseconds"),
                                principal=name, kind=kind, via=via, requests=len(run), denied=denied,
                                bytes=sum(r["bytes"] for r in run if r["status"].startswith("2"))))
                run = []
            if req is not None:
                run.append(req)
    return sorted(uses, key=lambda u: u.first)
