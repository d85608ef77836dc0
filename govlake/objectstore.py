"""The object store's own users and credentials: the RADOS Gateway's Admin Ops API, and where each
principal's keys are kept.

- The administrator's keys (made by ``infra/rgw.sh up``: ``$GOVLAKE_RGW_DIR/admin.json``, or
  ``GOVLAKE_S3_ADMIN_ACCESS_KEY`` / ``GOVLAKE_S3_ADMIN_SECRET_KEY``) create, update and remove
  users; only ``govlake policy sync`` uses them.
- Every principal's keys are kept outside the lake, readable by the operator only, in
  ``$GOVLAKE_HOME/secrets/credentials/<principal>.json``; ``govlake credentials`` prints them.
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from govlake.config import settings
from govlake.errors import MissingKeyError, StorageUnavailable

ADMIN_KEY_ENV, ADMIN_SECRET_ENV = "GOVLAKE_S3_ADMIN_ACCESS_KEY", "GOVLAKE_S3_ADMIN_SECRET_KEY"
RGW_DIR_ENV = "GOVLAKE_RGW_DIR"


@dataclass(frozen=True)
class Credentials:
    user: str
    access_key: str
    secret_key: str

    def __repr__(self) -> str:  # never show a secret
        return f"Credentials(user={self.user!r}, access_key={self.access_key!r}, secret_key=<hidden>)"


def rgw_dir() -> Path:
    return Path(os.environ.get(RGW_DIR_ENV) or settings().home / "rgw")


def admin_credentials() -> Credentials:
    key, secret = os.environ.get(ADMIN_KEY_ENV), os.environ.get(ADMIN_SECRET_ENV)
    if key and secret:
        return Credentials("admin", key, secret)
    path = rgw_dir() / "admin.json"
    if path.exists():
        doc = json.loads(path.read_text())
        return Credentials(doc["user"], doc["access_key"], doc["secret_key"])
    raise MissingKeyError(f"no object-store administrator keys: start the local gateway (`make s3-up`, which writes "
                          f"{path}) or set {ADMIN_KEY_ENV} and {ADMIN_SECRET_ENV}")


def credentials_dir() -> Path:
    return settings().home / "secrets" / "credentials"


def stored_credentials(principal: str) -> Credentials | None:
    path = credentials_dir() / f"{principal}.json"
    if not path.exists():
        return None
    doc = json.loads(path.read_text())
    return Credentials(doc["user"], doc["access_key"], doc["secret_key"])


def new_credentials(principal: str, user: str) -> Credentials:
    """Fresh keys for a principal, kept readable by the operator only."""
    creds = Credentials(user, "GL" + secrets.token_hex(9).upper(), secrets.token_urlsafe(30))
    folder = credentials_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{principal}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"principal": principal, "user": creds.user, "access_key": creds.access_key,
                   "secret_key": creds.secret_key}, f)
    return creds


class AdminClient:
    """The gateway's Admin Ops API (``/admin/user``), signed with the administrator's keys."""

    def __init__(self, endpoint: str, creds: Credentials, region: str = "us-east-1"):
        self.endpoint, self.creds, self.region = endpoint.rstrip("/"), creds, region

    def _call(self, method: str, path: str, **params) -> tuple[int, bytes]:
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials as BotoCredentials
        from botocore.httpsession import URLLib3Session

        url = f"{self.endpoint}{path}?{urllib.parse.urlencode({**params, 'format': 'json'}, quote_via=urllib.parse.quote)}"
        request = AWSRequest(method=method, url=url)
        S3SigV4Auth(BotoCredentials(self.creds.access_key, self.creds.secret_key), "s3", self.region).add_auth(request)
        try:
            response = URLLib3Session(timeout=30).send(request.prepare())
        except Exception as exc:
            raise StorageUnavailable(f"the object store's admin API at {self.endpoint} did not answer ({exc})") from None
        if response.status_code >= 400 and response.status_code != 404:
            raise StorageUnavailable(f"the object store refused {method} {path} ({response.status_code}: "
                                     f"{response.content[:200].decode(errors='replace')})")
        return response.status_code, response.content

    def users(self) -> list[str]:
        return json.loads(self._call("GET", "/admin/metadata/user")[1])

    def user(self, uid: str) -> dict | None:
        status, body = self._call("GET", "/admin/user", uid=uid)
        return None if status == 404 else json.loads(body)

    def create(self, uid: str, display_name: str, creds: Credentials) -> None:
        self._call("PUT", "/admin/user", uid=uid, **{"display-name": display_name, "access-key": creds.access_key,
                                                     "secret-key": creds.secret_key})

    def set_key(self, uid: str, creds: Credentials) -> None:
        self._call("PUT", "/admin/user", key="", uid=uid, **{"access-key": creds.access_key,
                                                            "secret-key": creds.secret_key})

    def remove_key(self, uid: str, access_key: str) -> None:
        self._call("DELETE", "/admin/user", key="", uid=uid, **{"access-key": access_key})

    def suspend(self, uid: str, suspended: bool) -> None:
        self._call("POST", "/admin/user", uid=uid, suspended="true" if suspended else "false")

    def delete(self, uid: str) -> None:
        self._call("DELETE", "/admin/user", uid=uid, **{"purge-data": "false"})


def s3_client(endpoint: str | None, creds: Credentials | None, region: str = "us-east-1"):
    """A boto3 S3 client acting as one principal (anonymous without credentials)."""
    import boto3
    import botocore
    from botocore.config import Config

    os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "WHEN_REQUIRED")
    os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "WHEN_REQUIRED")
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"},
                    signature_version=botocore.UNSIGNED if creds is None else None)
    kwargs = {"aws_access_key_id": creds.access_key, "aws_secret_access_key": creds.secret_key} if creds else {}
    return boto3.client("s3", endpoint_url=endpoint, region_name=region, config=config, **kwargs)
