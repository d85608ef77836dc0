"""The access matrix, against the local RADOS Gateway: every principal x every published view x every
way in (govlake query --as, boto3, pyarrow and DuckDB with the principal's own keys) is allowed
exactly when granted; everything else is denied by the object store itself."""

import datetime as dt
import os
import shutil
import sys

import boto3
import botocore
import pyarrow.fs as pafs
import pytest
import yaml
from botocore.config import Config

from govlake.config import REPO_ROOT
from govlake.spark import s3a_jars
from tests.approvals import cli_run_approved
from tests.environment import temporary_environ

pytestmark = [pytest.mark.rgw, pytest.mark.e2e]
DATASETS = ("social_insured", "business_registry")
DEPARTMENTS = {"social_insured": "social_security", "business_registry": "market_regulation"}


@pytest.fixture(scope="module")
def matrix(rgw, tmp_path_factory):
    if not s3a_jars():
        pytest.skip("S3A jars missing: `make s3-jars` (make test runs it)")
    from govlake.access import AccessModel
    from govlake.objectstore import stored_credentials
    from govlake.policy import sync
    from govlake.storage import Lake
    from govlake.synthetic import generate

    home = tmp_path_factory.mktemp("matrix-home")
    contracts = home / "contracts"
    shutil.copytree(REPO_ROOT / "contracts", contracts)
    env = {"GOVLAKE_HOME": str(home), "GOVLAKE_SPARK_REMOTE": "local", "GOVLAKE_LAKE_ROOT": "s3://govlake-matrix/lake",
           "GOVLAKE_S3_ENDPOINT": rgw["endpoint"], "GOVLAKE_RGW_DIR": str(rgw["dir"]),
           "GOVLAKE_CONTRACTS_DIR": str(contracts), "GOVLAKE_S3_ATTEMPTS": "2", "GOVLAKE_S3_TIMEOUT": "10",
           "GOVLAKE_S3A_SIGNER": "S3SignerType", "GOVLAKE_AUDIT_RETENTION_DAYS": "1"}
    with temporary_environ(env, remove=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")):
        first = sync(Lake.from_settings())
        again = sync(Lake.from_settings())
        model = AccessModel.load()

        def keys(name):
            c = stored_credentials(name)
            return (c.access_key, c.secret_key) if c else None

        for ds in DATASETS:  # each department delivers, with its own keys
            generate(Lake.open(env["GOVLAKE_LAKE_ROOT"], rgw["endpoint"], keys=keys(DEPARTMENTS[ds])),
                     rows=1200, datasets=[ds])
        service = keys("govlake")
        run = cli_run_approved([sys.executable, "-m", "entrypoints.cli"], DATASETS, cwd=REPO_ROOT, timeout=900,
                               env={**os.environ, "AWS_ACCESS_KEY_ID": service[0], "AWS_SECRET_ACCESS_KEY": service[1]})
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]
        yield {"env": env, "rgw": rgw, "model": model, "keys": keys, "first": first, "again": again,
               "lake": Lake.open(env["GOVLAKE_LAKE_ROOT"], rgw["endpoint"], keys=service), "contracts": contracts}


def s3(matrix, creds):
    cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                 signature_version=botocore.UNSIGNED if creds is None else None)
    kw = {"aws_access_key_id": creds[0], "aws_secret_access_key": creds[1]} if creds else {}
    return boto3.client("s3", endpoint_url=matrix["rgw"]["endpoint"], region_name="us-east-1", config=cfg, **kw)


def boto_reads(matrix, creds, key) -> bool:
    try:
        s3(matrix, creds).get_object(Bucket="govlake-matrix", Key=key)["Body"].read()
        return True
    except botocore.exceptions.ClientError:
        return False


def pyarrow_reads(matrix, creds, key) -> bool:
    kw = {"access_key": creds[0], "secret_key": creds[1]} if creds else {"anonymous": True}
    fs = pafs.S3FileSystem(endpoint_override=matrix["rgw"]["endpoint"].split("//")[1], scheme="http",
                           region="us-east-1", retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=1), **kw)
    try:
        with fs.open_input_stream(f"govlake-matrix/{key}") as f:
            f.read()
        return True
    except OSError:
        return False


def duckdb_reads(matrix, creds, metadata) -> bool:
    from govlake.querying import connect, s3_secret

    con = connect()
    s3_secret(con, matrix["lake"], creds)
    try:
        con.sql(f"select count(*) from iceberg_scan('{metadata}')").fetchall()
        return True
    except Exception:
        return False


def published_views(matrix):
    from govlake import tables

    out = []
    with temporary_environ(matrix["env"]):
        for ds in DATASETS:
            for view in matrix["model"].views(ds):
                t = tables.load(matrix["lake"], tables.view_name(ds, view.name))
                files = tables.data_files(t)  # a view of a region with no rows has no data file
                some = files[0].file_path if files else tables.metadata_location(t)
                out.append((ds, view, some[len("s3://govlake-matrix/"):], tables.metadata_location(t)))
    return out


def test_policy_sync_made_users_and_is_idempotent(matrix):
    assert "gl-service" in matrix["first"].created and "gl-analyst-tax-sz-analyst" in matrix["first"].created
    assert matrix["first"].bucket_created and "view.social_insured.headcount__4403" in matrix["first"].added
    assert not matrix["again"].drift


def test_every_principal_every_view_every_way_in(matrix):
    """boto3, pyarrow and DuckDB with each principal's own keys, on every published view."""
    model = matrix["model"]
    checked = 0
    for principal in model.principals():
        creds = matrix["keys"](principal.name) if principal.kind != "public" else None
        for ds, view, data_key, metadata in published_views(matrix):
            expected = principal.kind == "service" or view.audience.public or \
                principal.name in {p.name for p in model.readers(view)}
            got = {"boto3": boto_reads(matrix, creds, data_key), "pyarrow": pyarrow_reads(matrix, creds, data_key),
                   "duckdb": duckdb_reads(matrix, creds, metadata)}
            assert set(got.values()) == {expected}, (principal.name, ds, view.name, got)
            checked += 1
    assert checked == len(model.principals()) * len(published_views(matrix))


def test_govlake_query_as_every_principal(matrix):
    """govlake query --as reads exactly the view granted to the principal, and refuses the rest."""
    from govlake.errors import Refusal
    from govlake.querying import query

    model = matrix["model"]
    for principal in model.principals():
        if principal.kind not in ("analyst", "public"):
            continue
        granted = {g.dataset: g.view for g in model.grants(principal)}
        for ds in DATASETS:
            with temporary_environ(matrix["env"]):
                if ds in granted:
                    result = query(f"select count(*) n from {ds}", principal.name)
                    assert result.views[ds]["view"] == granted[ds]
                else:
                    with pytest.raises(Refusal, match=f"refused: {principal.name} has no grant on {ds}"):
                        query(f"select count(*) n from {ds}", principal.name)


@pytest.mark.parametrize("who,key,allowed", [
    ("tax_sz_analyst", "lake/raw/", False),
    ("tax_sz_analyst", "lake/quarantine/", False),
    ("tax_sz_analyst", "lake/reports/", False),
    ("tax_sz_analyst", "lake/curated/social_insured/", False),
    ("tax_sz_analyst", "lake/work/", False),
    ("tax_sz_analyst", "lake/audit/", False),
    ("privacy_officer", "lake/reports/", True),
    ("privacy_officer", "lake/audit/", True),
    ("privacy_officer", "lake/work/", False),
    ("privacy_officer", "lake/curated/social_insured/", False),
    ("privacy_officer", "lake/views/social_insured/headcount__44/", False),
    ("social_security", "lake/landing/social_insured/", True),
    ("social_security", "lake/landing/business_registry/", False),
    ("social_security", "lake/views/social_insured/headcount__44/", False),
    ("social_security", "lake/raw/", False),
    ("public", "lake/reports/", False),
    ("public", "lake/catalog/_release_keys/", True),
])
def test_zones_outside_the_grants_are_denied(matrix, who, key, allowed):
    service = s3(matrix, matrix["keys"]("govlake"))
    objects = service.list_objects_v2(Bucket="govlake-matrix", Prefix=key).get("Contents", [])
    assert objects, key
    creds = matrix["keys"](who) if who != "public" else None
    assert boto_reads(matrix, creds, objects[0]["Key"]) is allowed


def test_departments_write_only_their_own_landing(matrix):
    dept = s3(matrix, matrix["keys"]("social_security"))
    dept.put_object(Bucket="govlake-matrix", Key="lake/landing/social_insured/extra.csv", Body=b"x")
    for key in ("lake/landing/business_registry/x.csv", "lake/curated/social_insured/x", "lake/raw/x"):
        with pytest.raises(botocore.exceptions.ClientError):
            dept.put_object(Bucket="govlake-matrix", Key=key, Body=b"x")
    s3(matrix, matrix["keys"]("govlake")).delete_object(Bucket="govlake-matrix",
                                                        Key="lake/landing/social_insured/extra.csv")


def test_wrong_secrets_and_anonymous_requests_are_denied(matrix):
    _ds, _view, data_key, _ = next(v for v in published_views(matrix) if v[1].name == "headcount__4403")
    access_key = matrix["keys"]("tax_sz_analyst")[0]
    assert boto_reads(matrix, matrix["keys"]("tax_sz_analyst"), data_key)
    assert not boto_reads(matrix, (access_key, "not-the-secret"), data_key)
    assert not boto_reads(matrix, None, data_key)


def test_a_public_query_never_returns_a_small_cell(matrix):
    from govlake.querying import query

    with temporary_environ(matrix["env"]):
        result = query("select * from social_insured", "public").table.to_pylist()
    assert result and min(r["people"] for r in result) >= 20
    assert set(result[0]) == {"district", "gender", "people"}


def test_an_expired_grant_is_denied_after_sync(matrix):
    from govlake.errors import Refusal
    from govlake.policy import sync
    from govlake.querying import query

    path = matrix["contracts"] / "social_insured.yaml"
    original = path.read_text()
    doc = yaml.safe_load(original)
    doc["access"][0]["expires"] = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    try:
        with temporary_environ(matrix["env"]):
            _, _view, data_key, _ = next(v for v in published_views(matrix) if v[1].name == "headcount__4403")
            assert boto_reads(matrix, matrix["keys"]("tax_sz_analyst"), data_key)
            report = sync(matrix["lake"].__class__.from_settings())
            assert "view.social_insured.headcount__4403" in report.revoked_expired
            assert not boto_reads(matrix, matrix["keys"]("tax_sz_analyst"), data_key)
            with pytest.raises(Refusal, match=r"grant on social_insured \(headcount\) expired on"):
                query("select count(*) from social_insured", "tax_sz_analyst")
    finally:
        path.write_text(original)
        with temporary_environ(matrix["env"]):
            sync(matrix["lake"].__class__.from_settings())


def test_who_read_names_direct_reads_beside_govlake_queries(matrix):
    import time

    from govlake.audit import who_read
    from govlake.querying import query

    with temporary_environ(matrix["env"]):
        _, _view, data_key, _ = next(v for v in published_views(matrix) if v[1].name == "headcount__4403")
        reader = "tax_sz_analyst"
        query("select count(*) from social_insured", reader, purpose="employer headcount reconciliation")
        time.sleep(12)  # what follows is a separate use, not part of the query's reads
        assert boto_reads(matrix, matrix["keys"](reader), data_key)  # behind govlake's back
        assert not boto_reads(matrix, matrix["keys"]("hrss_gd_analyst"), data_key)
        deadline = time.monotonic() + 30
        while True:  # the gateway writes its request log a moment later
            uses = who_read(matrix["lake"], "social_insured")
            ways = {(u.principal, u.via) for u in uses}
            if {(reader, "object store, bypassing govlake"), ("hrss_gd_analyst", "object store, refused")} <= ways \
                    or time.monotonic() > deadline:
                break
            time.sleep(1)
    assert (reader, "govlake query") in ways, ways
    assert (reader, "object store, through govlake") in ways, ways
    assert (reader, "object store, bypassing govlake") in ways, ways
    assert ("hrss_gd_analyst", "object store, refused") in ways, ways
    asked = [u for u in uses if u.via == "govlake query" and u.principal == reader][-1]
    assert asked.rows == 1 and asked.what.startswith("social_insured/headcount__4403@")
    assert asked.purpose == "employer headcount reconciliation"


def test_the_audit_chain_verifies_and_its_checkpoints_outlive_the_operator(matrix):
    """Last: it tampers with the checkpoint store."""
    from govlake.audit import ObjectLockCheckpoints, verify

    with temporary_environ(matrix["env"]):
        result = verify(matrix["lake"])
        assert result.ok and result.tamper_proof, result.lines()
        assert result.records >= 4 and result.checkpoints == result.records
        actions = {e.action for e in __import__("govlake.audit").audit.records(matrix["lake"])}
        assert {"policy_sync", "publish", "query"} <= actions
        store = ObjectLockCheckpoints(matrix["lake"])
        key = store._key(store.list("checkpoints")[0].name)
        operator = s3(matrix, matrix["keys"]("govlake"))  # the service's own keys: the most a lake operator has
        first = operator.list_object_versions(Bucket=store.bucket, Prefix=key)["Versions"][0]["VersionId"]
        with pytest.raises(botocore.exceptions.ClientError, match="AccessDenied"):
            operator.delete_object(Bucket=store.bucket, Key=key, VersionId=first)
        operator.put_object(Bucket=store.bucket, Key=key, Body=b"{}")  # only adds a version on top
        result = verify(matrix["lake"])
    assert not result.ok and "overwritten" in result.problems[0], result.problems
