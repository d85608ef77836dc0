"""The department's side of a delivery: keys, manifests, signatures.

``govlake keygen`` and ``govlake sign`` use these, and so does the synthetic generator, which
plays the departments in the demo and the tests: each demo department gets a key pair under
``$GOVLAKE_HOME/secrets/departments/`` and its public key registered under
``$GOVLAKE_HOME/keys/``, so the demo's deliveries are signed like real ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govlake.config import settings
from govlake.records import DELIVERY_MANIFEST_SUFFIX, DeliveredFile, DeliveryManifest, delivery_manifest_bytes
from govlake.signing import ensure_private_key, key_fingerprint, registry_document, sign


@dataclass(frozen=True)
class SigningKey:
    department: str
    key_id: str
    private: Ed25519PrivateKey

    def __repr__(self) -> str:  # never show key material
        return f"SigningKey(department={self.department!r}, key_id={self.key_id!r}, private=<hidden>)"


def key_id_for(department: str, private: Ed25519PrivateKey) -> str:
    return f"{department}-{key_fingerprint(private.public_key())[:8]}"


def demo_department_key(department: str, home: Path | None = None) -> SigningKey:
    """A demo department's key pair, made and registered on first use (never for production)."""
    home = home or settings().home
    private = ensure_private_key(home / "secrets" / "departments" / f"{department}.pem")
    key_id = key_id_for(department, private)
    registry = home / "keys" / f"{department}.yaml"
    if not registry.exists() or key_id not in registry.read_text(encoding="utf-8"):
        registry.parent.mkdir(parents=True, exist_ok=True)
        today = dt.date.today()
        registry.write_text(registry_document(department, key_id, private.public_key(), today - dt.timedelta(days=365),
                                              None), encoding="utf-8")
    return SigningKey(department, key_id, private)


def file_entry(name: str, data: bytes, rows: int | None) -> DeliveredFile:
    return DeliveredFile(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(), rows=rows)


def signed_manifest(dataset: str, key: SigningKey, delivery_id: str, files: list[DeliveredFile],
                    created_at: dt.datetime | None = None) -> tuple[bytes, bytes]:
    """(manifest bytes, signature file bytes) for a delivery of ``files``."""
    manifest = DeliveryManifest(dataset=dataset, department=key.department, delivery_id=delivery_id,
                                created_at=created_at or dt.datetime.now(dt.UTC).replace(microsecond=0),
                                key_id=key.key_id, files=files)
    data = delivery_manifest_bytes(manifest)
    return data, sign(key.private, data)


def manifest_name(delivery_id: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in delivery_id)
    return f"{safe}{DELIVERY_MANIFEST_SUFFIX}"
