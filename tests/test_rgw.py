"""The local RADOS Gateway: every port on loopback, users and bucket policies enforced."""

import json
import subprocess

import boto3
import botocore
import pytest
from botocore.config import Config

pytestmark = pytest.mark.rgw


def client(rgw, key, secret):
    return boto3.client("s3", endpoint_url=rgw["endpoint"], aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))


def test_every_port_is_on_loopback(rgw):
    pids = [p.read_text().strip() for p in (rgw["dir"] / "run").glob("*.pid")]
    assert len(pids) == 3  # monitor, OSD, gateway
    listening = subprocess.run(["ss", "-Hltnup"], capture_output=True, text=True).stdout.splitlines()
    ours = [line for line in listening if any(f"pid={pid}," in line for pid in pids)]
    assert ours, listening
    for line in ours:
        local = line.split()[4]
        assert local.startswith("127.0.0.1:"), line


def test_users_and_bucket_policies_are_enforced(rgw):
    subprocess.run(["radosgw-admin", "-c", str(rgw["dir"] / "ceph.conf"), "user", "create", "--uid=smoke-reader",
                    "--display-name=smoke", "--access-key=SMOKEREADER", "--secret-key=smoke-reader-secret"],
                   check=True, capture_output=True)
    admin = client(rgw, rgw["access_key"], rgw["secret_key"])
    reader = client(rgw, "SMOKEREADER", "smoke-reader-secret")
    admin.create_bucket(Bucket="smoke")
    admin.put_object(Bucket="smoke", Key="open/a", Body=b"a")
    admin.put_object(Bucket="smoke", Key="closed/b", Body=b"b")
    admin.put_bucket_policy(Bucket="smoke", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/smoke-reader"]}, "Action": ["s3:GetObject"],
         "Resource": ["arn:aws:s3:::smoke/open/*"]}]}))
    assert reader.get_object(Bucket="smoke", Key="open/a")["Body"].read() == b"a"
    for attempt in (lambda: reader.get_object(Bucket="smoke", Key="closed/b"),
                    lambda: reader.put_object(Bucket="smoke", Key="open/c", Body=b"c"),
                    lambda: client(rgw, "SMOKEREADER", "wrong").get_object(Bucket="smoke", Key="open/a")):
        with pytest.raises(botocore.exceptions.ClientError):
            attempt()
