"""What is in a dataset's landing zone, and which of it is a new delivery.

Files are kept as delivered; the ledger (``raw/<dataset>/_ledger.json``) remembers every
delivery by content digest, so a delivery is ingested once however often it is seen. A
delivery is either

- **signed**: a manifest ``<name>.delivery.json`` listing files, sizes, SHA-256 digests and row
  counts, with its detached signature ``<name>.delivery.json.sig``, checked against the
  department's registered public key; or
- **unsigned**: one data file, accepted only when the contract allows unsigned deliveries.

A delivery is **complete** when its marker arrives: for a signed delivery its manifest and
signature (written last, after the files they list), for an unsigned file an empty
``<file>.done`` beside it. :func:`complete_deliveries` lists the complete deliveries that are new,
cheaply (no data file is read): it is what the landing watcher of the Airflow deployment polls.

Every entry of the landing zone gets an outcome with its reason: a new delivery, ingested
earlier, a duplicate, refused (and why), or not ingested (and why). Nothing is skipped in silence.
A refusal is not repeated on every run: it is retried only when the contract, the key registry
or the files it names change.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import zipfile
import zlib
from dataclasses import dataclass, field

from govlake import paths
from govlake.contracts import Contract
from govlake.errors import DeliveryError, SignatureError, StoragePermissionDenied, StorageUnavailable
from govlake.records import DELIVERY_MANIFEST_SUFFIX, Ledger, LedgerEntry, LedgerState, parse_delivery_manifest, utcnow
from govlake.signing import Keyring, verify_delivery
from govlake.storage import Entry, Lake
from jobs.readers import ReadSettings, open_delivered
from jobs.readers.archives import check_supported, sniff, strip_suffix, zip_members
from jobs.readers.archives import open_content as decompressed

SIGNATURE_SUFFIX = DELIVERY_MANIFEST_SUFFIX + paths.SIGNATURE_SUFFIX
_TEMPORARY = (".tmp", ".part", ".partial", ".filepart", ".crdownload", ".swp")
COMPLETION_MARKER_SUFFIX = ".done"


@dataclass
class DeliveryFile:
    path: str  # lake-relative path of the delivered file
    sha256: str  # of the delivered bytes (the whole archive, for a zip member)
    size: int
    compression: str | None = None
    member: str | None = None  # zip member read from the archive
    declared_rows: int | None = None  # rows the signed manifest declares
    stats: str = ""  # "size:mtime" when registered, so an unchanged file is not hashed again

    @property
    def label(self) -> str:
        return f"{self.path}!{self.member}" if self.member else self.path


@dataclass
class Delivery:
    key: str
    delivery_id: str
    kind: str  # "manifest" or "file"
    files: list[DeliveryFile]
    arrived_ns: int
    signed: bool = False
    signer: str | None = None
    manifest: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def digests(self) -> dict[str, str]:
        return {f.path: f.sha256 for f in self.files}

    @property
    def batch_id(self) -> str:
        """A batch is named by what it holds: the same delivery always makes the same batch."""
        whole = hashlib.sha256()
        for f in sorted(self.files, key=lambda f: f.label):
            whole.update(f"{f.label.rsplit('/', 1)[-1]}\0{f.sha256}\n".encode())
        return "b" + whole.hexdigest()[:16]


@dataclass
class Outcome:
    path: str
    outcome: str  # new, ingested earlier, duplicate, refused, refused earlier, not ingested
    reason: str = ""
    batch_id: str | None = None

    def line(self) -> str:
        return f"{self.path}: {self.outcome}" + (f": {self.reason}" if self.reason else "")


@dataclass
class Refusal:
    key: str
    delivery_id: str
    files: dict[str, str]
    reason: str
    checked_against: str


@dataclass
class LandingScan:
    new: list[Delivery] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.outcome] = counts.get(o.outcome, 0) + 1
        return ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "empty"


def _key(kind: str, path: str, digest: str) -> str:
    return hashlib.sha256(f"{kind}\0{path}\0{digest}".encode()).hexdigest()[:20]


def _sha256(lake: Lake, path: str) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with lake.open_stream(path) as stream:
        while chunk := stream.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _unreadable(exc: StorageUnavailable, path: str) -> DeliveryError:
    if isinstance(exc, StoragePermissionDenied):
        return DeliveryError(f"{path}: the file cannot be read: permission denied")
    raise exc  # the store itself failed: not the delivery's fault, retry the run


class LandingScanner:
    def __init__(self, lake: Lake, contract: Contract, ledger: Ledger, keyring: Keyring):
        self.lake, self.contract, self.ledger, self.keyring = lake, contract, ledger, keyring
        self.settings = ReadSettings.from_contract(contract)
        self.root = paths.landing(contract.dataset)
        self.scan = LandingScan()
        self.ingested = ledger.ingested_digests()
        self.claimed: set[str] = set()

    # -- classification -----------------------------------------------------------------------
    def run(self) -> LandingScan:
        entries = self.lake.list_entries(self.root)
        manifests, signatures, data = [], {}, []
        for e in entries:
            name = e.path.rsplit("/", 1)[-1]
            if e.kind != "file":
                kind = "a symbolic link" if e.kind == "symlink" else "a FIFO, socket or device"
                self._note(e.path, "not ingested", f"not a regular file ({kind}); never read")
            elif name.startswith((".", "~$")) or name.lower().endswith(_TEMPORARY):
                self._note(e.path, "not ingested", "a hidden or temporary file (still being written?)")
            elif name.endswith(COMPLETION_MARKER_SUFFIX):
                self._note(e.path, "not ingested", "the completion marker of "
                           f"{name[: -len(COMPLETION_MARKER_SUFFIX)]}")
            elif name.endswith(SIGNATURE_SUFFIX):
                signatures[e.path[: -len(paths.SIGNATURE_SUFFIX)]] = e
            elif name.endswith(DELIVERY_MANIFEST_SUFFIX):
                manifests.append(e)
            else:
                data.append(e)
        by_path = {e.path: e for e in data}
        for e in sorted(manifests, key=lambda e: (e.mtime_ns or 0, e.path)):
            self._manifest(e, signatures.get(e.path), by_path)
        for path in sorted(set(signatures) - {m.path for m in manifests}):
            self._note(signatures[path].path, "not ingested", "a signature without its delivery manifest")
        for e in sorted(data, key=lambda e: (e.mtime_ns or 0, e.path)):
            if e.path not in self.claimed:
                self._data_file(e)
        self.scan.outcomes.sort(key=lambda o: o.path)
        return self.scan

    def _note(self, path: str, outcome: str, reason: str = "", batch_id: str | None = None) -> None:
        self.scan.outcomes.append(Outcome(path, outcome, reason, batch_id))

    def _earlier(self, key: str, paths_: list[str], checked: str) -> bool:
        """Report a delivery the ledger already knows; True when there is nothing more to do."""
        entry = self.ledger.get(key)
        if entry is None:
            return False
        if entry.state == LedgerState.ACCEPTED:
            for p in paths_:
                self._note(p, "ingested earlier", f"batch {entry.batch_id}, delivery {entry.delivery_id}",
                           entry.batch_id)
            return True
        if entry.state == LedgerState.DUPLICATE:
            for p in paths_:
                self._note(p, "duplicate", entry.reason or "")
            return True
        if entry.checked_against == checked:
            for p in paths_:
                self._note(p, "refused earlier", entry.reason or "")
            return True
        return False  # refused under another contract, key registry or file set: look again

    def _checked(self, *parts: str) -> str:
        return hashlib.sha256("\0".join((self.contract.sha256, self.keyring.digest, *parts)).encode()).hexdigest()[:20]

    def _refuse(self, key: str, delivery_id: str, files: dict[str, str], reason: str, checked: str) -> None:
        self.scan.refused.append(Refusal(key, delivery_id, files, reason, checked))
        for p in files or {delivery_id: ""}:
            self._note(p, "refused", reason)

    # -- signed deliveries ---------------------------------------------------------------------
    def _manifest(self, entry: Entry, signature: Entry | None, data: dict[str, Entry]) -> None:
        path, folder = entry.path, entry.path.rsplit("/", 1)[0]
        try:
            raw = self.lake.read_bytes(path)
        except StorageUnavailable as exc:
            err = _unreadable(exc, path)
            self._refuse(_key("manifest", path, "unreadable"), path, {path: ""}, str(err), self._checked(path))
            return
        digest = hashlib.sha256(raw).hexdigest()
        key = _key("manifest", path, digest)
        try:
            manifest = parse_delivery_manifest(raw, path)
        except SignatureError as exc:
            checked = self._checked(digest)
            if not self._earlier(key, [path], checked):
                self._refuse(key, path, {path: digest}, str(exc), checked)
            return
        listed = {f"{folder}/{f.name}": f for f in manifest.files}
        self.claimed.update(listed)
        present = [data[p] for p in listed if p in data]
        checked = self._checked(digest, *(f"{e.path}:{e.size}:{e.mtime_ns}" for e in present),
                                signature.path if signature else "")
        all_paths = [path, *([signature.path] if signature else []), *(p for p in listed if p in data)]
        if self._earlier(key, all_paths, checked):
            return
        files = {path: digest}
        try:
            sig = self.lake.read_bytes(signature.path) if signature else None
            c = self.contract
            if manifest.dataset != c.dataset:
                raise SignatureError(f"{path}: the manifest is for dataset '{manifest.dataset}', not '{c.dataset}'")
            if manifest.department != c.department:
                raise SignatureError(f"{path}: the manifest comes from '{manifest.department}'; {c.dataset} is "
                                     f"delivered by '{c.department}'")
            signer = verify_delivery(raw, sig, c.department, manifest.key_id, self.keyring, manifest.created_at,
                                     c.delivery.max_signature_age_days, path)
            if not manifest.files:
                raise SignatureError(f"{path}: the manifest lists no file")
            earlier = [e for e in self.ledger.by_delivery_id(manifest.delivery_id) if e.key != key]
            if earlier:
                raise DeliveryError(f"{path}: delivery '{manifest.delivery_id}' was already delivered with other "
                                    f"content (batch {earlier[0].batch_id}); a correction needs a new delivery_id")
            delivered = []
            for p, declared in listed.items():
                if p not in data:
                    raise SignatureError(f"{path}: lists {declared.name}, which is not in the landing zone")
                sha, size = self._hash(p)
                files[p] = sha
                if size != declared.size or sha != declared.sha256:
                    raise SignatureError(f"{p}: {'its size' if size != declared.size else 'its SHA-256 digest'} "
                                         f"differs from the delivery manifest {path.rsplit('/', 1)[-1]}")
                if sha in self.ingested:
                    raise DeliveryError(f"{p}: identical to {_first(self.ingested[sha])}, already ingested "
                                        f"(batch {self.ingested[sha].batch_id})")
                delivered.extend(self._inspect(p, sha, size, declared.rows, _stats(data[p])))
        except (DeliveryError, StorageUnavailable) as exc:
            err = exc if isinstance(exc, DeliveryError) else _unreadable(exc, path)
            self._refuse(key, manifest.delivery_id, files, str(err), checked)
            return
        delivery = Delivery(key, manifest.delivery_id, "manifest", delivered, entry.mtime_ns or 0, signed=True,
                            signer=signer.key_id, manifest=path)
        self._accept(delivery, all_paths)

    # -- unsigned files ---------------------------------------------------------------------------
    def _data_file(self, entry: Entry) -> None:
        path = entry.path
        name = path.rsplit("/", 1)[-1]
        base, compression = strip_suffix(name)
        if not fnmatch.fnmatch(base, self.contract.file_pattern) and not (
                compression == "zip" and not fnmatch.fnmatch(name, self.contract.file_pattern)):
            self._note(path, "not ingested", f"the name does not match the contract's pattern "
                                             f"'{self.contract.file_pattern}'")
            return
        if compression in ("7z", "rar", "zstd", "tar"):
            self._note(path, "not ingested", f"a {compression} archive; govlake reads gzip, bzip2, xz and zip")
            return
        stats = _stats(entry)
        known = self._known_by_stats(path, stats)
        if known is not None:
            sha = known
        else:
            try:
                sha, _ = self._hash(path)
            except DeliveryError as exc:
                self._refuse(_key("file", path, "unreadable"), path, {path: ""}, str(exc), self._checked(path, stats))
                return
        key = _key("file", path, sha)
        checked = self._checked(sha)
        if self._earlier(key, [path], checked):
            return
        if self.contract.delivery.signature == "required":
            self._refuse(key, path, {path: sha},
                         f"{path}: unsigned: no signed delivery manifest lists this file, and the contract requires "
                         "signed deliveries (`govlake sign` makes one)", checked)
            return
        if sha in self.ingested:
            reason = f"identical to {_first(self.ingested[sha])}, ingested as batch {self.ingested[sha].batch_id}; " \
                     "not ingested again"
            self._duplicate(key, path, sha, reason)
            return
        same_path = [e for e in self.ledger.entries if e.state == LedgerState.ACCEPTED and path in e.files]
        if same_path and self.contract.delivery.mode == "increment":
            self._refuse(key, path, {path: sha},
                         f"{path}: changed since it was ingested as batch {same_path[-1].batch_id}; in an incremental "
                         "dataset each delivery needs a new file name (or a signed manifest with a new delivery_id)",
                         checked)
            return
        try:
            files = self._inspect(path, sha, entry.size, None, stats)
        except DeliveryError as exc:
            self._refuse(key, path, {path: sha}, str(exc), checked)
            return
        delivery = Delivery(key, path.rsplit("/", 1)[-1], "file", files, entry.mtime_ns or 0,
                            notes=["unsigned delivery, accepted because the contract allows unsigned deliveries"])
        self._accept(delivery, [path])

    def _known_by_stats(self, path: str, stats: str) -> str | None:
        """A file the ledger saw with the same size and modification time is not hashed again."""
        for e in reversed(self.ledger.entries):
            if e.stats.get(path) == stats:
                return e.files.get(path)
        return None

    def _duplicate(self, key: str, path: str, sha: str, reason: str) -> None:
        self.ledger.record(LedgerEntry(key=key, delivery_id=path, kind="file", files={path: sha}, first_seen=utcnow(),
                                       state=LedgerState.DUPLICATE, reason=reason))
        self._note(path, "duplicate", reason)

    def _accept(self, delivery: Delivery, paths_: list[str]) -> None:
        for new in self.scan.new:
            same = {f.sha256 for f in new.files} & {f.sha256 for f in delivery.files}
            if same:
                reason = f"identical content to {new.files[0].path}, delivered in the same run"
                if delivery.kind == "file":
                    self._duplicate(delivery.key, paths_[0], delivery.files[0].sha256, reason)
                else:
                    self._refuse(delivery.key, delivery.delivery_id, delivery.digests, f"{delivery.manifest}: "
                                 f"{reason}", "")
                return
        self.scan.new.append(delivery)
        for p in paths_:
            self._note(p, "new", f"delivery {delivery.delivery_id}", delivery.batch_id)

    # -- reading the files -------------------------------------------------------------------------
    def _hash(self, path: str) -> tuple[str, int]:
        try:
            return _sha256(self.lake, path)
        except StorageUnavailable as exc:
            raise _unreadable(exc, path) from None

    def _inspect(self, path: str, sha: str, size: int, declared_rows: int | None, stats: str) -> list[DeliveryFile]:
        """Check a file can be read as a whole (archive intact, encoding and header understood)."""
        try:
            with self.lake.open_stream(path) as stream:
                head = stream.read(8)
            compression = sniff(head)
            check_supported(compression, path)
            if size == 0:
                raise DeliveryError(f"{path}: empty file (0 bytes): nothing to read")
            members: list[str | None] = [None]
            if compression == "zip":
                with self.lake.open_random(path) as f:
                    members = zip_members(f, path, self.contract.file_pattern)
                    f.seek(0)
                    try:
                        with zipfile.ZipFile(f) as zf:
                            broken = zf.testzip()
                    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                        raise DeliveryError(f"{path}: the zip archive is corrupt ({str(exc)[:120]})") from None
                    if broken:
                        raise DeliveryError(f"{path}: zip member {broken} is corrupt (its checksum does not match)")
                if declared_rows is not None and len(members) > 1:
                    raise DeliveryError(f"{path}: a signed delivery's zip archive must hold one data file, "
                                        f"this one holds {len(members)}")
            elif compression:
                with self.lake.open_stream(path) as stream, decompressed(stream, compression, path) as content:
                    while content.read(1 << 20):
                        pass  # a corrupt or truncated archive raises here, before anything is ingested
            out = []
            for member in members:
                opener = self.lake.open_random if member else self.lake.open_stream
                with opener(path) as stream:
                    opened = open_delivered(stream, path, self.settings, member)
                    opened.close()  # only the header was needed
                out.append(DeliveryFile(path, sha, size, compression, member, declared_rows, stats))
            return out
        except StorageUnavailable as exc:
            raise _unreadable(exc, path) from None


def _stats(entry: Entry) -> str:
    return f"{entry.size}:{entry.mtime_ns}"


def _first(entry: LedgerEntry) -> str:
    return next(iter(entry.files), entry.delivery_id)


@dataclass(frozen=True)
class CompleteDelivery:
    """A complete delivery the ledger does not know yet (what the landing watcher announces)."""

    key: str  # the same delivery always has the same key
    name: str  # its delivery manifest, or its file
    files: int


def complete_deliveries(lake: Lake, contract: Contract, ledger: Ledger) -> list[CompleteDelivery]:
    """The complete deliveries waiting in the landing zone that no run has looked at yet.

    Cheap enough to poll every few seconds: lists the prefix and reads manifests (small); data
    files are judged by name, size and modification time, never read. A manifest whose files are
    not all there at their declared sizes is not complete yet, nor is an unsigned file without its
    marker. Whether a complete delivery is good is for the run to say (and to record).
    """
    entries = {e.path: e for e in lake.list_entries(paths.landing(contract.dataset)) if e.kind == "file"}
    seen_stats = {(p, st) for e in ledger.entries for p, st in e.stats.items()}
    claimed: set[str] = set()
    found = []
    for path in sorted(entries, key=lambda p: (entries[p].mtime_ns or 0, p)):
        if not path.endswith(DELIVERY_MANIFEST_SUFFIX):
            continue
        try:
            raw = lake.read_bytes(path)
            manifest = parse_delivery_manifest(raw, path)
        except (SignatureError, StorageUnavailable):
            continue  # being written, or broken: a scheduled run reports it
        folder = path.rsplit("/", 1)[0]
        listed = {f"{folder}/{f.name}": f.size for f in manifest.files}
        claimed.update(listed)
        key = _key("manifest", path, hashlib.sha256(raw).hexdigest())
        if ledger.get(key) is not None or path + paths.SIGNATURE_SUFFIX not in entries:
            continue
        if all(p in entries and entries[p].size == size for p, size in listed.items()):
            found.append(CompleteDelivery(key, path, len(listed)))
    for marker in sorted(p for p in entries if p.endswith(COMPLETION_MARKER_SUFFIX)):
        path = marker[: -len(COMPLETION_MARKER_SUFFIX)]
        entry = entries.get(path)
        if entry is None or path in claimed or (path, _stats(entry)) in seen_stats:
            continue
        found.append(CompleteDelivery(_key("file", path, _stats(entry)), path, 1))
    return found


def scan_landing(lake: Lake, contract: Contract, ledger: Ledger, keyring: Keyring) -> LandingScan:
    return LandingScanner(lake, contract, ledger, keyring).run()


def landing_report(contract: Contract, scan: LandingScan, at: dt.datetime) -> dict:
    return {"dataset": contract.dataset, "scanned_at": at.isoformat(timespec="seconds"), "summary": scan.summary(),
            "entries": [o.__dict__ for o in scan.outcomes],
            "refused": [{"delivery": r.delivery_id, "reason": r.reason} for r in scan.refused]}
