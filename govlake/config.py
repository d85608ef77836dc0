"""Runtime settings, read from the environment so storage and engines swap by configuration.

Every setting has an embedded default that keeps all state in one folder of the checkout
(``.govlake/``), so a newcomer needs no configuration at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Where things live and which engines to use."""

    home: Path
    lake_root: str
    contracts_dir: Path
    expectations_dir: Path
    keys_dir: Path  # registered public keys of the departments, beside the contracts
    spark_master: str
    spark_driver_memory: str
    spark_shuffle_partitions: int
    spark_java_options: str
    s3_endpoint: str | None
    s3_region: str
    # who manages the object store's users and bucket policy: "managed" (govlake, through the RADOS
    # Gateway's Admin Ops API) or "external" (the operator's own IAM; govlake writes the policy it
    # wants to catalog/_access_policy.json for them to apply)
    s3_access: str = "managed"
    extra: dict = field(default_factory=dict)

    @property
    def is_s3(self) -> bool:
        return self.lake_root.startswith("s3://")


def settings() -> Settings:
    home = Path(_env("GOVLAKE_HOME", str(REPO_ROOT / ".govlake"))).resolve()
    contracts_dir = Path(_env("GOVLAKE_CONTRACTS_DIR", str(REPO_ROOT / "contracts")))
    lake_root = _env("GOVLAKE_LAKE_ROOT", str(home / "lake"))
    if not lake_root.startswith("s3://"):
        lake_root = str(Path(lake_root).resolve())
    return Settings(
        home=home,
        lake_root=lake_root.rstrip("/"),
        contracts_dir=contracts_dir,
        expectations_dir=Path(_env("GOVLAKE_EXPECTATIONS_DIR", str(REPO_ROOT / "expectations"))),
        keys_dir=Path(_env("GOVLAKE_KEYS_DIR", str(contracts_dir / "keys"))),
        spark_master=_env("GOVLAKE_SPARK_MASTER", "local[2]"),
        spark_driver_memory=_env("GOVLAKE_SPARK_DRIVER_MEMORY", "4g"),
        spark_shuffle_partitions=int(_env("GOVLAKE_SPARK_SHUFFLE_PARTITIONS", "4")),
        spark_java_options=_env("GOVLAKE_SPARK_JAVA_OPTIONS", ""),
        s3_endpoint=_env("GOVLAKE_S3_ENDPOINT"),
        s3_region=_env("GOVLAKE_S3_REGION", "us-east-1"),
        s3_access=_s3_access(),
    )


S3_ACCESS_MODES = ("managed", "external")


def _s3_access() -> str:
    mode = _env("GOVLAKE_S3_ACCESS", "managed")
    if mode not in S3_ACCESS_MODES:
        from govlake.errors import ConfigError

        raise ConfigError(f"GOVLAKE_S3_ACCESS is {mode!r}: use one of {', '.join(S3_ACCESS_MODES)}")
    return mode
