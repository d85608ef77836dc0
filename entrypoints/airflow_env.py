"""The environment Airflow (and ``govlake run``) runs in for the embedded default: all under ``.govlake/``.

The demo's secrets live in ``.govlake/secrets/`` (outside the lake, readable by their owner only)
and are made on first use: the pseudonymisation key and the release signing key. In production
they come from Airflow connections or a secrets backend instead.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from govlake.config import REPO_ROOT, Settings, settings
from govlake.principals import load_registry
from govlake.signing import RELEASE_KEY_ENV, ensure_private_key
from masking.keys import ENV_KEY

# What `govlake airflow-env` prints as exports (never a secret itself: the key is read from its file).
EXPORTED = ("AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__LOAD_EXAMPLES", "AIRFLOW__CORE__PARALLELISM",
            "AIRFLOW__API__HOST", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS",
            "GOVLAKE_HOME", "GOVLAKE_LAKE_ROOT", RELEASE_KEY_ENV, "PYTHONPATH")


def demo_key_path(cfg: Settings) -> Path:
    return cfg.home / "secrets" / "pseudonym.key"


def demo_key(cfg: Settings) -> str:
    """The demo's pseudonymisation secret, made once."""
    path = demo_key_path(cfg)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def demo_release_key(cfg: Settings) -> str:
    """The demo's release signing key (an Ed25519 PEM file), made once; returns its path."""
    path = cfg.home / "secrets" / "release-signing.pem"
    ensure_private_key(path)
    return str(path)


def airflow_environ(cfg: Settings | None = None, base: dict | None = None) -> dict[str, str]:
    cfg = cfg or settings()
    env = dict(os.environ if base is None else base)
    home = cfg.home / "airflow"
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "GOVLAKE_HOME": str(cfg.home),
        "GOVLAKE_LAKE_ROOT": cfg.lake_root,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        "PYTHONPATH": str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
        "GX_ANALYTICS_ENABLED": "false",
    })
    # The UI's users: an admin (who triggers runs) and each privacy officer, who may answer the
    # approvals in Required Actions ("user" is the least role that may respond).
    env.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", ",".join(
        ["admin:admin"] + [f"{name}:user" for name in sorted(load_registry(cfg.contracts_dir).privacy_officers)]))
    if not env.get(ENV_KEY):
        env[ENV_KEY] = demo_key(cfg)
    if not env.get(RELEASE_KEY_ENV):
        env[RELEASE_KEY_ENV] = demo_release_key(cfg)
    return env


def key_export_line(cfg: Settings | None = None) -> str:
    """A shell line that exports the demo's pseudonymisation key from its file (not the key itself)."""
    cfg = cfg or settings()
    demo_key(cfg)
    return f'export {ENV_KEY}="$(cat {demo_key_path(cfg)})"'
