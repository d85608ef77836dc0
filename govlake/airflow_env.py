"""The environment Airflow runs in for the embedded default: everything under ``.govlake/``."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from govlake.config import REPO_ROOT, Settings, settings
from masking.keys import ENV_KEY


def demo_key(cfg: Settings) -> str:
    """The demo's pseudonymisation secret: kept in ``.govlake/secrets`` (outside the lake), made once.

    In production the secret comes from an Airflow connection or a secrets backend instead.
    """
    path = cfg.home / "secrets" / "pseudonym.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


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
    if not env.get(ENV_KEY):
        env[ENV_KEY] = demo_key(cfg)
    return env
