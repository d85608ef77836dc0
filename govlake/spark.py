"""One Spark session per process, configured from settings (local mode by default)."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from govlake.config import REPO_ROOT, settings
from govlake.errors import StorageUnavailable

S3A_SIGNER_ENV = "GOVLAKE_S3A_SIGNER"
log = logging.getLogger("govlake")
jvm_log = logging.getLogger("govlake.spark.jvm")
_JVM_LEVEL = re.compile(r"^\S+ \S+ (ERROR|WARN|INFO|DEBUG) ")
_lock = threading.Lock()
_session = None


def s3a_jars() -> list[str]:
    """Hadoop S3A connector jars installed by ``make s3-jars`` (see infra/), if any."""
    folder = Path(os.environ.get("GOVLAKE_SPARK_JARS_DIR", REPO_ROOT / ".cache" / "jars"))
    return sorted(str(p) for p in folder.glob("*.jar")) if folder.is_dir() else []


def session_options(cfg) -> dict[str, str]:
    """Spark settings of every govlake engine: the local one a process starts, or the shared
    Spark Connect server (govlake/spark_server.py), so both behave the same."""
    local_dir = cfg.home / "spark"
    local_dir.mkdir(parents=True, exist_ok=True)
    options = {
        "spark.app.name": "govlake",
        "spark.master": cfg.spark_master,
        "spark.driver.memory": cfg.spark_driver_memory,
        "spark.ui.enabled": os.environ.get("GOVLAKE_SPARK_UI", "false"),
        "spark.ui.showConsoleProgress": "false",
        "spark.local.dir": str(local_dir),
        "spark.sql.warehouse.dir": str(local_dir / "warehouse"),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.python.worker.reuse": "true",
        **session_conf(cfg),
    }
    if cfg.spark_java_options:
        options["spark.driver.extraJavaOptions"] = cfg.spark_java_options
    if cfg.is_s3:
        options.update(_s3a_options(cfg))
    return options


def session_conf(cfg) -> dict[str, str]:
    """SQL settings a session sets for itself (also on a shared server, where each client session has its own)."""
    return {
        "spark.sql.shuffle.partitions": str(cfg.spark_shuffle_partitions),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "Asia/Shanghai",
        # Partition values such as batch ids must stay strings.
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
        "spark.sql.parquet.compression.codec": "zstd",
        # Row groups of 16 MiB (not 128): a batch written by one task is still read back by every
        # core, since a reader splits a Parquet file only between row groups.
        "parquet.block.size": str(16 << 20),
        # Casts must never raise with the offending (possibly personal) value in the message:
        # jobs use try_* functions and report failures by file, row and column instead.
        "spark.sql.ansi.enabled": "false",
        "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    }


def get_spark():
    """The process's shared SparkSession.

    Attached to the Spark Connect server when one is configured (``GOVLAKE_SPARK_REMOTE``) or
    running for this GOVLAKE_HOME (``govlake spark up``), so a task pays no JVM start; otherwise
    a local engine in this process (``GOVLAKE_SPARK_MASTER``, local mode by default), started once
    (~10-20 s) and reused.
    """
    global _session
    with _lock:
        if _session is not None and not _stopped(_session):
            return _session
        cfg = settings()
        from pyspark.sql import SparkSession

        from govlake.spark_server import attachable_url

        url = attachable_url(cfg)
        if url:
            session = SparkSession.builder.remote(url).getOrCreate()
            for key, value in session_conf(cfg).items():
                session.conf.set(key, value)
            log.info("attached to the Spark Connect server at %s", url)
            _session = session
            return _session
        # pyspark marks a process that attached to a server; a child process inherits the mark and would
        # otherwise try to start an in-process Connect server instead of a plain engine.
        os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = SparkSession.builder
        for key, value in session_options(cfg).items():
            builder = builder.config(key, value)
        _launch_jvm(builder)
        _session = builder.getOrCreate()
        _session.sparkContext.setLogLevel("ERROR")
        log.info("started a local Spark engine (%s)", cfg.spark_master)
        return _session


def is_connect(session) -> bool:
    return type(session).__module__.startswith("pyspark.sql.connect")


def _stopped(session) -> bool:
    if is_connect(session):
        return bool(session.is_stopped)
    return session._jsc.sc().isStopped()


def _launch_jvm(builder) -> None:
    """Start Spark's JVM with its output through Python logging rather than straight to stderr, so
    that a task log's error level means an error: the JVM's start-up chatter ("Using incubator
    modules", WARN lines of log4j) goes to INFO/DEBUG, and only log4j ERROR lines to ERROR."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    with SparkContext._lock:
        if SparkContext._gateway is not None:
            return
        conf = SparkConf(loadDefaults=False)
        for key, value in builder._options.items():
            conf.set(key, value)
        gateway = launch_gateway(conf, popen_kwargs={"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT})
        threading.Thread(target=_pump, args=(gateway.proc.stdout,), name="spark-jvm-log", daemon=True).start()
        SparkContext._gateway = gateway
        SparkContext._jvm = gateway.jvm


def _pump(stream) -> None:
    level = logging.DEBUG
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip()
        if not line:
            continue
        found = _JVM_LEVEL.match(line)
        if found:  # a log4j line; its continuation lines (stack frames) follow at its level
            level = {"ERROR": logging.ERROR, "WARN": logging.INFO}.get(found.group(1), logging.DEBUG)
        elif not line[0].isspace():
            level = logging.DEBUG
        jvm_log.log(level, "%s", line)


def _s3a_options(cfg) -> dict[str, str]:
    from govlake.storage import S3_ATTEMPTS_ENV, S3_TIMEOUT_ENV, Lake

    attempts = int(os.environ.get(S3_ATTEMPTS_ENV, "4"))
    timeout = float(os.environ.get(S3_TIMEOUT_ENV, "20"))
    jars = s3a_jars()
    if not jars:
        raise RuntimeError(
            "GOVLAKE_LAKE_ROOT is on S3 but no S3A connector jars were found; run `make s3-jars` (infra/get-s3a-jars.sh)"
        )
    h = "spark.hadoop.fs.s3a."
    key, secret = Lake.open(cfg.lake_root, cfg.s3_endpoint, cfg.s3_region).access_keys()
    settings_ = {
        "impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "path.style.access": "true",
        "aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "access.key": key,  # the environment's, or on the operator's host the service's stored keys
        "secret.key": secret,
        "connection.ssl.enabled": "true" if (cfg.s3_endpoint or "").startswith("https") else "false",
        # The bundled connector predates Hadoop's duration suffixes: give plain numbers.
        "threads.keepalivetime": "60",
        "multipart.purge.age": "86400",
        # Bounded retries with backoff, then a clear failure (the defaults retry for many minutes).
        "connection.establish.timeout": str(int(1000 * min(timeout, 10))),
        "connection.timeout": str(int(1000 * timeout)),
        "attempts.maximum": str(attempts),
        "retry.limit": str(attempts),
        "retry.interval": "500ms",
        "retry.throttle.limit": str(attempts),
    }
    if cfg.s3_endpoint:
        settings_["endpoint"] = cfg.s3_endpoint
    signer = os.environ.get(S3A_SIGNER_ENV)
    if signer:
        # The bundled connector (AWS SDK 1.11) signs empty uploads in a way Ceph RGW 16 rejects
        # (XAmzContentSHA256Mismatch); S3SignerType (V2 signatures) works with RGW.
        settings_["signing-algorithm"] = signer
    return {"spark.jars": ",".join(jars), **{h + key: value for key, value in settings_.items()}}


_STORAGE_CAUSES = ("java.io.IOException", "java.nio.file.AccessDeniedException", "AmazonClientException",
                   "SdkClientException", "AmazonS3Exception", "java.net.ConnectException",
                   "SocketTimeoutException", "ConnectTimeoutException", "UnknownHostException",
                   "java.nio.file.FileSystemException")


def storage_error_from_spark(exc: BaseException) -> StorageUnavailable | None:
    """A Spark failure caused by the lake's storage, as a plain StorageUnavailable (else None).

    Spark wraps the storage's complaint in several layers of Java exceptions; the innermost
    cause that names an I/O problem is what the user needs (it names paths and hosts, not data).
    """
    from govlake.storage import describe_os_error

    if type(exc).__module__.split(".")[0] not in ("py4j", "pyspark"):
        return None
    text = str(exc)
    causes = [line.split("Caused by: ", 1)[1].strip() for line in text.splitlines() if "Caused by: " in line]
    storage = [c for c in causes if c.startswith(_STORAGE_CAUSES)] or \
        [line.strip() for line in text.splitlines() if line.strip().startswith(_STORAGE_CAUSES)]
    if not storage:
        return None
    cause = storage[-1]
    message = cause.partition(": ")[2]
    plain = describe_os_error(OSError(cause))
    known = plain in ("permission denied", "no space left on the device", "the file system is read-only",
                      "the object store did not answer",
                      "a folder could not be created (no permission, or a read-only or immutable file system)")
    detail = f"{plain} ({message[:200]})" if known and message else cause[:240]
    return StorageUnavailable(f"Spark could not read or write the lake: {detail}")


def stop_spark() -> None:
    global _session
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None
