"""``govlake policy sync``: the contracts' access model, enforced by the object store.

From the access model (``govlake.access``) it derives, idempotently:

- one object-store user per principal (``gl-<kind>-<name>``; the service is ``gl-service``) with
  keys kept outside the lake (``govlake.objectstore``); users govlake made for principals that no
  longer exist are deleted;
- the lake bucket's policy, one statement per purpose:

  ============== =========================================================================
  service        everything in the bucket (it runs the pipeline)
  department     write (and read back) its own datasets' ``landing/<dataset>/`` only
  analyst        read the audience views granted to it (``views/<dataset>/<view>/``), only
                 while the grant has not expired
  privacy        read ``reports/``, ``catalog/`` and ``audit/``: not curated rows, not views
  public         anyone, unauthenticated: public aggregate views and the release keys
  ============== =========================================================================

  Nothing else is granted: ``raw/``, ``quarantine/``, ``work/``, ``curated/`` and ``landing/``
  of other departments are the service's alone (``audit/`` is the service's to write). Key material (pseudonymisation
  and signing keys, credentials) is never in the lake at all.

It reports the drift it corrected (users made, keys reset, users removed, statements added,
changed or withdrawn — expired grants among them) and audits it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from govlake.access import AccessModel
from govlake.config import settings
from govlake.errors import StorageUnavailable
from govlake.objectstore import AdminClient, Credentials, admin_credentials, new_credentials, s3_client, stored_credentials
from govlake.principals import SERVICE, Principal
from govlake.records import audit
from govlake.storage import Lake

MANAGED_PREFIX = "gl-"
READS = ["s3:GetObject"]
WRITES = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]


def bucket_and_prefix(lake: Lake) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ("bucket", "a/b")."""
    rest = lake.root[len("s3://"):]
    bucket, _, prefix = rest.partition("/")
    return bucket, prefix.strip("/")


def _arn(bucket: str, key: str = "") -> str:
    return f"arn:aws:s3:::{bucket}" + (f"/{key}" if key else "")


def _user_arn(p: Principal) -> str:
    return f"arn:aws:iam:::user/{p.user_id}"


def desired_policy(model: AccessModel, bucket: str, prefix: str) -> dict:
    """The lake bucket's policy for today's contracts, registry and grants."""
    def key(rel: str) -> str:
        return f"{prefix}/{rel}" if prefix else rel

    def read(sid: str, principals, folders: list[str]) -> list[dict]:
        who = "*" if principals == "*" else {"AWS": sorted(_user_arn(p) for p in principals)}
        out = [{"Sid": sid, "Effect": "Allow", "Principal": who, "Action": READS,
                "Resource": [_arn(bucket, key(f"{f}*")) for f in folders]}]
        if principals != "*":
            out.append({"Sid": f"{sid}.list", "Effect": "Allow", "Principal": who, "Action": ["s3:ListBucket"],
                        "Resource": [_arn(bucket)],
                        "Condition": {"StringLike": {"s3:prefix": [key(f"{f}*") for f in folders]}}})
        return out

    service = next(p for p in model.principals() if p.kind == "service")
    statements = [{"Sid": "service", "Effect": "Allow", "Principal": {"AWS": [_user_arn(service)]},
                   "Action": ["s3:*"], "Resource": [_arn(bucket), _arn(bucket, "*")]}]
    for department, datasets in sorted(model.departments().items()):
        p = Principal(department, "department")
        folders = [f"landing/{ds}/" for ds in sorted(datasets)]
        statements.append({"Sid": f"department.{department}", "Effect": "Allow", "Principal": {"AWS": [_user_arn(p)]},
                           "Action": WRITES + READS, "Resource": [_arn(bucket, key(f"{f}*")) for f in folders]})
        statements.append({"Sid": f"department.{department}.list", "Effect": "Allow",
                           "Principal": {"AWS": [_user_arn(p)]}, "Action": ["s3:ListBucket"],
                           "Resource": [_arn(bucket)],
                           "Condition": {"StringLike": {"s3:prefix": [key(f"{f}*") for f in folders]}}})
    for ds in sorted(model.contracts):
        for view in model.views(ds):
            readers = model.readers(view)
            if not readers:
                continue  # an expired audience, or a scope nobody has any more: withdrawn
            folder = f"views/{ds}/{view.name}/"
            statements += read(f"view.{ds}.{view.name}", "*" if view.audience.public else readers, [folder])
    officers = sorted(model.registry.privacy_officers.values(), key=lambda p: p.name)
    if officers:
        # reports and the audit log (who read what): what a privacy officer reviews; never rows
        statements += read("privacy_officers", officers, ["reports/", "catalog/", "audit/"])
    statements += read("public.release_keys", "*", ["catalog/_release_keys/"])
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    keys_reset: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    revoked_expired: list[str] = field(default_factory=list)
    bucket_created: bool = False
    # "managed": govlake set the store's users and policy; "external": the operator's IAM does, and
    # govlake only wrote the policy it wants; "local": a folder, which enforces nothing
    mode: str = "managed"

    @property
    def enforced(self) -> bool:
        return self.mode == "managed"

    @property
    def drift(self) -> bool:
        return any((self.created, self.keys_reset, self.reactivated, self.removed, self.added, self.changed,
                    self.withdrawn))

    def lines(self) -> list[str]:
        if self.mode == "local":
            return ["the lake is a local folder: no object store enforces access there; the policy is written to "
                    "catalog/_access_policy.json for review, and `govlake query --as` applies the grants itself"]
        if self.mode == "external":
            return ["GOVLAKE_S3_ACCESS=external: the store's users and bucket policy are the operator's; the policy "
                    "the contracts ask for is written to catalog/_access_policy.json for them to apply"]
        out = ["bucket created" if self.bucket_created else ""]
        for label, items in (("users created", self.created), ("keys reset", self.keys_reset),
                             ("users reactivated", self.reactivated), ("users removed", self.removed),
                             ("statements added", self.added), ("statements changed", self.changed),
                             ("statements withdrawn", self.withdrawn),
                             ("expired grants revoked", self.revoked_expired)):
            if items:
                out.append(f"{label}: {', '.join(items)}")
        return [line for line in out if line] or ["no drift: users and bucket policy already as the contracts say"]

    def as_dict(self) -> dict:
        return {**self.__dict__, "enforced": self.enforced}


def _principal_credentials(p: Principal) -> Credentials:
    return stored_credentials(p.name) or new_credentials(p.name, p.user_id)


def service_credentials(model: AccessModel | None = None) -> Credentials:
    model = model or AccessModel.load()
    return _principal_credentials(next(p for p in model.principals() if p.kind == "service"))


def sync(lake: Lake, model: AccessModel | None = None) -> SyncReport:
    model = model or AccessModel.load()
    report = SyncReport()
    if not lake.is_s3 or settings().s3_access == "external":
        report.mode = "external" if lake.is_s3 else "local"
        bucket, prefix = bucket_and_prefix(lake) if lake.is_s3 else ("local-lake", "")
        lake.write_json("catalog/_access_policy.json", desired_policy(model, bucket, prefix))
        audit(lake, "policy_sync", "*", enforced=False, mode=report.mode)
        return report
    endpoint = lake.s3_endpoint
    admin = AdminClient(endpoint, admin_credentials())
    wanted: dict[str, Principal] = {p.user_id: p for p in model.principals() if p.kind != "public"}
    for uid, p in wanted.items():
        creds = _principal_credentials(p)
        user = admin.user(uid)
        if user is None:
            admin.create(uid, f"govlake {p.kind} {p.name}", creds)
            report.created.append(uid)
            continue
        keys = {k["access_key"]: k["secret_key"] for k in user.get("keys", [])}
        if keys.get(creds.access_key) != creds.secret_key:
            admin.set_key(uid, creds)
            report.keys_reset.append(uid)
        for other in set(keys) - {creds.access_key}:
            admin.remove_key(uid, other)
            if uid not in report.keys_reset:
                report.keys_reset.append(uid)
        if user.get("suspended"):
            admin.suspend(uid, False)
            report.reactivated.append(uid)
    for uid in admin.users():
        if uid.startswith(MANAGED_PREFIX) and uid not in wanted:
            admin.delete(uid)
            report.removed.append(uid)

    bucket, prefix = bucket_and_prefix(lake)
    service = s3_client(endpoint, service_credentials(model))
    import botocore

    try:
        service.head_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
            raise StorageUnavailable(f"s3://{bucket} cannot be reached with the service's keys "
                                     f"({exc.response['Error']['Code']})") from None
        service.create_bucket(Bucket=bucket)
        report.bucket_created = True
    try:
        current = json.loads(service.get_bucket_policy(Bucket=bucket)["Policy"])
    except botocore.exceptions.ClientError:
        current = {"Statement": []}
    desired = desired_policy(model, bucket, prefix)
    before = {s.get("Sid"): s for s in current.get("Statement", [])}
    after = {s["Sid"]: s for s in desired["Statement"]}
    report.added = sorted(set(after) - set(before))
    report.withdrawn = sorted(set(before) - set(after))
    report.changed = sorted(s for s in set(after) & set(before) if _normal(after[s]) != _normal(before[s]))
    expired = {f"view.{ds}.{v.name}" for ds in model.contracts for v in model.views(ds)
               if v.audience.expired(model.today)}
    report.revoked_expired = sorted(s for s in report.withdrawn if s in expired)
    if report.added or report.withdrawn or report.changed:
        service.put_bucket_policy(Bucket=bucket, Policy=json.dumps(desired))
    changes = {k: v for k, v in report.as_dict().items() if v and k not in ("enforced", "mode")}
    audit(as_service(lake), "policy_sync", "*", **changes)
    return report


def _normal(statement: dict) -> str:
    def norm(value):
        if isinstance(value, list):
            return sorted(norm(v) for v in value)
        if isinstance(value, dict):
            return {k: norm(v) for k, v in sorted(value.items())}
        return value
    return json.dumps(norm(statement), sort_keys=True)


def credentials_env(principal: str, lake: Lake) -> dict[str, str]:
    """What ``govlake credentials PRINCIPAL --format env`` exports."""
    model = AccessModel.load()
    p = model.principal(principal)
    if p is None:
        from govlake.errors import NotFound

        raise NotFound(f"no principal '{principal}' (see govlake principals)")
    env = {"GOVLAKE_LAKE_ROOT": lake.root}
    if lake.s3_endpoint:
        env["GOVLAKE_S3_ENDPOINT"] = lake.s3_endpoint
    if p.kind != "public":
        creds = _principal_credentials(p)
        env.update(AWS_ACCESS_KEY_ID=creds.access_key, AWS_SECRET_ACCESS_KEY=creds.secret_key)
        # the key is audited, never the secret
        audit(as_service(lake), "credentials_issued", "*", principal=p.name, access_key=creds.access_key)
    env["GOVLAKE_PRINCIPAL"] = p.name
    return env


def as_service(lake: Lake) -> Lake:
    """The lake as the service: audit records are the service's to write, whoever acted."""
    if not lake.is_s3 or settings().s3_access == "external":
        return lake
    creds = stored_credentials(SERVICE)
    return lake if creds is None else Lake.open(lake.root, lake.s3_endpoint, keys=(creds.access_key, creds.secret_key))
