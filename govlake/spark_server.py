"""The shared Spark engine: one Spark Connect server on loopback that every task attaches to.

Starting a JVM costs a task 10-20 s; under the scheduler every task is its own process, so
without a shared engine each would pay it. ``govlake spark up`` (``make spark-up``) starts the
server with pyspark's own script (``sbin/start-connect-server.sh``) and the same settings a local
engine gets (govlake.spark.session_options); ``govlake spark down`` stops it with
``stop-connect-server.sh``. Its pid, log and a record of what it was started for live in
``$GOVLAKE_HOME/spark-connect/``; govlake.spark.get_spark attaches to it when it is running and
was started for the same lake, and falls back to a local engine otherwise.

``GOVLAKE_SPARK_REMOTE`` names a server explicitly (``sc://host:port``), or ``local`` to never attach.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from govlake.config import REPO_ROOT, Settings, settings
from govlake.errors import InfrastructureError

log = logging.getLogger("govlake")

REMOTE_ENV = "GOVLAKE_SPARK_REMOTE"
PORT_ENV = "GOVLAKE_SPARK_CONNECT_PORT"
DEFAULT_PORT = 15002
_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


class EngineUnavailable(InfrastructureError):
    """The shared Spark engine could not be started or reached."""


@dataclass
class ServerRecord:
    url: str
    pid: int
    port: int
    lake_root: str
    s3_endpoint: str | None
    master: str
    started_at: str
    log: str


def state_dir(cfg: Settings) -> Path:
    return cfg.home / "spark-connect"


def _record_path(cfg: Settings) -> Path:
    return state_dir(cfg) / "server.json"


def _pid_file(cfg: Settings) -> Path:
    """Where spark-daemon.sh (run by the start and stop scripts) keeps the server's pid."""
    return state_dir(cfg) / f"spark-govlake-{_CLASS}-1.pid"


def _spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def _script_env(cfg: Settings) -> dict[str, str]:
    folder = state_dir(cfg)
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(_spark_home()),
        SPARK_PID_DIR=str(folder),
        SPARK_LOG_DIR=str(folder / "log"),
        SPARK_IDENT_STRING="govlake",
        SPARK_LOCAL_IP="127.0.0.1",
        # The server runs govlake's Python functions (UDFs) in its own Python workers: they need
        # this environment's interpreter and the project's modules.
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p),
        PATH=os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", ""))),
    )
    env.pop("SPARK_CONF_DIR", None)
    return env


def _answers(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        pass
    return True


def running(cfg: Settings | None = None) -> ServerRecord | None:
    """The server started for this GOVLAKE_HOME, if it is up and answering."""
    cfg = cfg or settings()
    try:
        record = ServerRecord(**json.loads(_record_path(cfg).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return record if _alive(record.pid) and _answers(record.port) else None


def attachable_url(cfg: Settings) -> str | None:
    """The Spark Connect URL a session should attach to, or None for a local engine."""
    explicit = os.environ.get(REMOTE_ENV, "").strip()
    if explicit:
        return None if explicit == "local" else explicit
    record = running(cfg)
    if record is None:
        return None
    # A server reads and writes the lake it was configured for: an S3 lake needs its S3A settings.
    if cfg.is_s3 and (not record.lake_root.startswith("s3://") or record.s3_endpoint != cfg.s3_endpoint):
        log.info("the Spark Connect server at %s was started for %s, not this lake: using a local engine",
                 record.url, record.lake_root)
        return None
    return record.url


def start(cfg: Settings | None = None, port: int | None = None, wait: float = 180) -> ServerRecord:
    """Start the server for this GOVLAKE_HOME unless it is already running; wait until it answers."""
    from govlake.spark import session_options

    cfg = cfg or settings()
    current = running(cfg)
    if current:
        return current
    port = port or int(os.environ.get(PORT_ENV, DEFAULT_PORT))
    if _answers(port):
        raise EngineUnavailable(f"port {port} on 127.0.0.1 is already in use: set {PORT_ENV} to a free port")
    folder = state_dir(cfg)
    (folder / "log").mkdir(parents=True, exist_ok=True)
    options = session_options(cfg)
    options.update({
        "spark.app.name": "govlake-connect",
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
    })
    args = [str(_spark_home() / "sbin" / "start-connect-server.sh")]
    for key, value in options.items():
        args += ["--conf", f"{key}={value}"]
    env = _script_env(cfg)
    started = time.monotonic()
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise EngineUnavailable(f"start-connect-server.sh failed: {(out.stderr or out.stdout).strip()[-400:]}")
    pid_file = _pid_file(cfg)
    log_file = folder / "log" / f"spark-govlake-{_CLASS}-1-{socket.gethostname()}.out"
    while time.monotonic() - started < wait:
        pid = _read_pid(pid_file)
        if pid and not _alive(pid):
            break
        if pid and _answers(port):
            record = ServerRecord(
                url=f"sc://127.0.0.1:{port}", pid=pid, port=port, lake_root=cfg.lake_root,
                s3_endpoint=cfg.s3_endpoint if cfg.is_s3 else None, master=cfg.spark_master,
                started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), log=str(log_file))
            _record_path(cfg).write_text(json.dumps(asdict(record), indent=2), encoding="utf-8")
            log.info("Spark Connect server up at %s in %.0f s (pid %d, log %s)", record.url,
                     time.monotonic() - started, pid, log_file)
            return record
        time.sleep(0.5)
    tail = _tail(log_file)
    stop(cfg)
    raise EngineUnavailable(f"the Spark Connect server did not start within {wait:.0f} s; its log ({log_file}) ends:\n{tail}")


def ensure(cfg: Settings | None = None) -> ServerRecord:
    """A server this home's runs attach to: started if none runs, restarted if it runs for another lake."""
    cfg = cfg or settings()
    current = running(cfg)
    if current and not attachable_url(cfg):
        log.info("restarting the Spark Connect server for %s", cfg.lake_root)
        stop(cfg)
    return start(cfg)


def stop(cfg: Settings | None = None, wait: float = 60) -> bool:
    """Stop the server of this GOVLAKE_HOME (with stop-connect-server.sh). True if one was running."""
    cfg = cfg or settings()
    pid = _read_pid(_pid_file(cfg))
    if not pid or not _alive(pid):
        _record_path(cfg).unlink(missing_ok=True)
        return False
    subprocess.run([str(_spark_home() / "sbin" / "stop-connect-server.sh")], env=_script_env(cfg),
                   capture_output=True, text=True, timeout=60)
    deadline = time.monotonic() + wait
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.3)
    if _alive(pid):
        os.kill(pid, 9)
    _record_path(cfg).unlink(missing_ok=True)
    return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
