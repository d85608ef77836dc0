"""Ed25519 signatures: departments sign what they deliver, the platform signs what it publishes.

- Each department registers its public keys in a key registry file, ``<department>.yaml``, kept
  beside the contracts (``contracts/keys/``) and reviewed like them; ``$GOVLAKE_HOME/keys/``
  holds registrations local to one installation (the demo's generated departments). A key has
  a validity period and may be revoked.
- A delivery manifest (:class:`~govlake.records.DeliveryManifest`) lists the delivered files
  with sizes, SHA-256 digests and row counts; its detached signature (``.sig``: base64) covers
  the manifest's exact bytes.
- Each curated release gets a manifest signed with the platform's release key
  (``GOVLAKE_RELEASE_SIGNING_KEY``: a PEM file; or the Airflow connection
  ``govlake_release_signing``), whose public half is published in the catalog so an analyst can
  verify a release offline (``govlake verify-release``).

Private keys are never written to the lake, reports or logs.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from govlake.config import settings
from govlake.errors import ContractError, MissingKeyError, SignatureError

RELEASE_KEY_ENV = "GOVLAKE_RELEASE_SIGNING_KEY"
RELEASE_CONN_ID = "govlake_release_signing"
REGISTRY_KEYS = {"department", "keys"}
KEY_KEYS = {"key_id", "public_key", "valid_from", "valid_until", "revoked_at", "note"}


# -- raw key material ----------------------------------------------------------------------------

def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_private_pem(data: bytes, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise MissingKeyError(f"{where}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise MissingKeyError(f"{where}: not an Ed25519 private key")
    return key


def public_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def public_from_b64(text: str, where: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise ContractError(f"{where}: public_key is not a base64 Ed25519 public key ({exc})") from None


def key_fingerprint(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(base64.b64decode(public_b64(key))).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    """The detached signature file's content: base64 and a newline."""
    return base64.b64encode(key.sign(data)) + b"\n"


def check(public: Ed25519PublicKey, data: bytes, signature_file: bytes) -> bool:
    try:
        public.verify(base64.b64decode(signature_file.strip(), validate=True), data)
        return True
    except (InvalidSignature, binascii.Error, ValueError):
        return False


# -- the registry of departments' public keys ---------------------------------------------------------

@dataclass(frozen=True)
class RegisteredKey:
    department: str
    key_id: str
    public: Ed25519PublicKey
    valid_from: dt.date
    valid_until: dt.date | None
    revoked_at: dt.date | None
    source: Path

    def stale_reason(self, today: dt.date) -> str | None:
        if self.revoked_at and today >= self.revoked_at:
            return f"key {self.key_id} was revoked on {self.revoked_at}"
        if self.valid_until and today >= self.valid_until:
            return f"key {self.key_id} expired on {self.valid_until}"
        if today < self.valid_from:
            return f"key {self.key_id} is valid only from {self.valid_from}"
        return None


class Keyring:
    """Every registered department key, from the registry folders."""

    def __init__(self, keys: list[RegisteredKey], digest: str):
        self.keys = keys
        self.digest = digest  # changes when any registration changes

    @classmethod
    def load(cls, folders: list[Path] | None = None) -> Keyring:
        folders = folders if folders is not None else registry_folders()
        keys: list[RegisteredKey] = []
        digest = hashlib.sha256()
        for folder in folders:
            for path in sorted(Path(folder).glob("*.yaml")) if Path(folder).is_dir() else ():
                raw = path.read_bytes()
                digest.update(path.name.encode() + b"\0" + raw)
                keys.extend(_parse_registry(raw, path))
        seen: dict[str, RegisteredKey] = {}
        for key in keys:
            if key.key_id in seen and seen[key.key_id].source != key.source:
                raise ContractError(f"{key.source}: key_id '{key.key_id}' is already registered in {seen[key.key_id].source}")
            seen[key.key_id] = key
        return cls(keys, digest.hexdigest())

    def find(self, key_id: str) -> RegisteredKey | None:
        return next((k for k in self.keys if k.key_id == key_id), None)

    def for_department(self, department: str) -> list[RegisteredKey]:
        return [k for k in self.keys if k.department == department]


def registry_folders() -> list[Path]:
    cfg = settings()
    return [cfg.keys_dir, cfg.home / "keys"]


def _date(value, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ContractError(f"{where}: '{value}' is not a date (YYYY-MM-DD)") from None


def _parse_registry(raw: bytes, path: Path) -> list[RegisteredKey]:
    try:
        doc = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ContractError(f"{path}: not valid UTF-8 YAML: {exc}") from None
    if not isinstance(doc, dict) or set(doc) - REGISTRY_KEYS or "department" not in doc:
        raise ContractError(f"{path}: a key registry holds 'department' and 'keys' only")
    out = []
    for i, entry in enumerate(doc.get("keys") or ()):
        where = f"{path}: keys[{i}]"
        if not isinstance(entry, dict):
            raise ContractError(f"{where}: must be a mapping")
        unknown = sorted(set(entry) - KEY_KEYS)
        if unknown:
            raise ContractError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(KEY_KEYS))})")
        for required in ("key_id", "public_key", "valid_from"):
            if not entry.get(required):
                raise ContractError(f"{where}: missing required field '{required}'")
        out.append(RegisteredKey(department=str(doc["department"]), key_id=str(entry["key_id"]),
                                 public=public_from_b64(str(entry["public_key"]), where),
                                 valid_from=_date(entry["valid_from"], where),
                                 valid_until=_date(entry.get("valid_until"), where),
                                 revoked_at=_date(entry.get("revoked_at"), where), source=path))
    return out


def registry_document(department: str, key_id: str, public: Ed25519PublicKey, valid_from: dt.date,
                      valid_until: dt.date | None) -> str:
    """A registry file for one new key, ready to review and commit beside the contracts."""
    entry = {"key_id": key_id, "public_key": public_b64(public), "valid_from": valid_from.isoformat()}
    if valid_until:
        entry["valid_until"] = valid_until.isoformat()
    return (f"# Delivery signing keys of {department}: public halves only. Reviewed like a contract.\n"
            + yaml.safe_dump({"department": department, "keys": [entry]}, sort_keys=False, allow_unicode=True))


def verify_delivery(data: bytes, signature: bytes | None, department: str, key_id: str, keyring: Keyring,
                    signed_at: dt.datetime, max_age_days: int | None, where: str,
                    now: dt.datetime | None = None) -> RegisteredKey:
    """Check a delivery manifest's detached signature; raise SignatureError saying what is wrong."""
    now = now or dt.datetime.now(dt.UTC)
    if signature is None:
        raise SignatureError(f"{where}: the signature file {where.rsplit('/', 1)[-1]}.sig is missing")
    key = keyring.find(key_id)
    if key is None:
        known = ", ".join(k.key_id for k in keyring.for_department(department)) or "none"
        raise SignatureError(f"{where}: signed with key '{key_id}', which is not registered "
                             f"(registered keys of {department}: {known})")
    if key.department != department:
        raise SignatureError(f"{where}: key '{key_id}' belongs to {key.department}, not to {department}")
    if not check(key.public, data, signature):
        raise SignatureError(f"{where}: the signature does not match the manifest (was the manifest changed after "
                             f"it was signed, or signed with another key than '{key_id}'?)")
    stale = key.stale_reason(now.date())
    if stale:
        raise SignatureError(f"{where}: stale signature: {stale}; sign the delivery again with a current key")
    if signed_at > now + dt.timedelta(days=1):
        raise SignatureError(f"{where}: the manifest says it was made on {signed_at:%Y-%m-%d}, in the future")
    if max_age_days is not None and now - signed_at > dt.timedelta(days=max_age_days):
        raise SignatureError(f"{where}: stale signature: made on {signed_at:%Y-%m-%d}, more than {max_age_days} days "
                             "ago; sign the delivery again")
    return key


# -- the platform's release key ------------------------------------------------------------------------

@dataclass(frozen=True)
class ReleaseKey:
    private: Ed25519PrivateKey
    key_id: str

    def __repr__(self) -> str:  # never show key material
        return f"ReleaseKey(key_id={self.key_id!r}, private=<hidden>)"

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()


def _release_key_from_airflow() -> bytes | None:
    try:
        from airflow.sdk import BaseHook
    except Exception:
        return None
    try:
        conn = BaseHook.get_connection(RELEASE_CONN_ID)
    except Exception:
        return None
    return conn.password.encode() if conn.password else None


def private_key_from_env(name: str) -> Ed25519PrivateKey | None:
    """The key in the PEM file the environment variable ``name`` names; None when it is unset."""
    path = os.environ.get(name)
    if not path:
        return None
    if not Path(path).is_file():
        raise MissingKeyError(f"{name} names {path}, which is not a file")
    return load_private_pem(Path(path).read_bytes(), name)


def release_key() -> ReleaseKey:
    key = private_key_from_env(RELEASE_KEY_ENV)
    if key is None:
        pem = _release_key_from_airflow()
        if pem is None:
            raise MissingKeyError(f"no release signing key: set {RELEASE_KEY_ENV} to an Ed25519 PEM file or define "
                                  f"the Airflow connection '{RELEASE_CONN_ID}' (password: the PEM text)")
        key = load_private_pem(pem, f"Airflow connection {RELEASE_CONN_ID}")
    return ReleaseKey(key, "govlake-" + key_fingerprint(key.public_key()))


def ensure_private_key(path: Path) -> Ed25519PrivateKey:
    """The key in ``path``, made (readable by its owner only) when missing: for the demo and tests."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(private_pem(new_private_key()))
    return load_private_pem(path.read_bytes(), str(path))
