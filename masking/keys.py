"""Pseudonymisation keys: where they come from and how a token is made.

The master secret comes from ``GOVLAKE_PSEUDONYM_KEY`` or, inside Airflow, the connection
``govlake_pseudonym`` (its password; ``{"version": "2"}`` in its extra rotates the key). It is
never written to the lake, reports or logs. Each *sharing domain* (the purpose data is shared
for) gets its own derived key, so tokens link records within a domain and not across them.
Tokens carry the key version, so a key can rotate without silently mixing token spaces.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from govlake.errors import MissingKeyError

ENV_KEY = "GOVLAKE_PSEUDONYM_KEY"
ENV_VERSION = "GOVLAKE_PSEUDONYM_KEY_VERSION"
AIRFLOW_CONN_ID = "govlake_pseudonym"


@dataclass(frozen=True)
class DomainKey:
    domain: str
    version: str
    secret: bytes

    def __repr__(self) -> str:  # never show key material, even in a debugger or traceback
        return f"DomainKey(domain={self.domain!r}, version={self.version!r}, secret=<hidden>)"


def _master_from_airflow() -> tuple[bytes, str] | None:
    try:
        from airflow.sdk import BaseHook  # Airflow 3
    except Exception:
        return None
    try:
        conn = BaseHook.get_connection(AIRFLOW_CONN_ID)
    except Exception:
        return None
    if not conn.password:
        return None
    version = str((conn.extra_dejson or {}).get("version", "1"))
    return conn.password.encode("utf-8"), version


def master_key() -> tuple[bytes, str]:
    secret = os.environ.get(ENV_KEY)
    if secret:
        return secret.encode("utf-8"), os.environ.get(ENV_VERSION, "1")
    from_airflow = _master_from_airflow()
    if from_airflow:
        return from_airflow
    raise MissingKeyError(
        f"no pseudonymisation key: set {ENV_KEY} or define the Airflow connection '{AIRFLOW_CONN_ID}'")


def domain_key(domain: str) -> DomainKey:
    secret, version = master_key()
    if len(secret) < 16:
        raise MissingKeyError(f"{ENV_KEY} is too short: use at least 16 characters of random secret")
    derived = hmac.new(secret, f"govlake/pseudonym-domain/{domain}".encode(), hashlib.sha256).digest()
    return DomainKey(domain, version, derived)


_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalise(entity: str, value: str) -> str:
    """The canonical form a token is computed from, so formatting differences still link."""
    value = value.strip()
    if entity in ("CN_RESIDENT_ID", "CN_USCC", "PASSPORT"):
        return _SEPARATORS.sub("", value).upper()
    if entity == "PHONE_NUMBER":
        digits = re.sub(r"\D", "", value)
        return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    if entity == "EMAIL_ADDRESS":
        return value.lower()
    return value


_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_PAIRS = [_B32[i >> 5] + _B32[i & 31] for i in range(1024)]  # 10 bits -> two characters
_B32_SHIFTS = tuple(range(120, -1, -10))


def _b32_128(data: bytes) -> str:
    """``base64.b32encode(data).rstrip("=")`` for 16 bytes, several times faster (the standard
    library's base32 is a Python loop, and this runs once per pseudonymised value)."""
    n = int.from_bytes(data, "big") << 2  # 128 bits padded to 130: 26 characters of 5 bits
    return "".join([_B32_PAIRS[(n >> s) & 1023] for s in _B32_SHIFTS])


def token(key: DomainKey, entity: str, value: str) -> str:
    """Keyed pseudonym: ``pk<version>_`` + 26 base32 characters (128 bits of HMAC-SHA256)."""
    mac = hmac.digest(key.secret, f"{entity}\0{normalise(entity, value)}".encode(), "sha256")
    return f"pk{key.version}_" + _b32_128(mac[:16])


TOKEN_SHAPE = r"pk[0-9A-Za-z]+_[A-Z2-7]{26}"  # what token() returns
TOKEN_PATTERN = re.compile(f"^{TOKEN_SHAPE}$")
