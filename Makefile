# govlake: `make demo` and `make test` set everything up on first use.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
# Spark's JVM starts about twice as fast with these; right for the demo and the tests.
export GOVLAKE_SPARK_JAVA_OPTIONS ?= -XX:TieredStopAtLevel=1 -XX:+UseSerialGC

.PHONY: setup demo demo-s3 test test-fast lint clean distclean airflow-ui s3-jars s3-packages s3-up s3-down spark-up spark-down bench lock browser-packages

setup: .venv/.synced

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

s3-jars:
	infra/get-s3a-jars.sh .cache/jars

# A local S3 server that enforces users and bucket policies (Ceph RADOS Gateway, loopback only).
s3-packages:
	infra/rgw.sh install

s3-up:
	infra/rgw.sh up

s3-down:
	infra/rgw.sh down

# The shared Spark engine (a Spark Connect server on 127.0.0.1:15002) that every task attaches to;
# without it each task starts a local engine of its own. The demo starts it and leaves it up.
spark-up: setup
	.venv/bin/govlake spark up

spark-down: setup
	.venv/bin/govlake spark down

demo: setup
	.venv/bin/govlake demo

# The whole demo on the local RADOS Gateway: departments deliver with their own keys, the pipeline
# runs as the service, analysts query with theirs. `source .govlake/s3.env` points later commands at it.
demo-s3: setup s3-jars s3-packages
	infra/rgw.sh up
	@mkdir -p .govlake && printf 'export GOVLAKE_LAKE_ROOT=s3://govlake-demo/lake\nexport GOVLAKE_S3_ENDPOINT=http://127.0.0.1:%s\nexport GOVLAKE_S3A_SIGNER=S3SignerType\n' "$${GOVLAKE_RGW_PORT:-7480}" > .govlake/s3.env
	. .govlake/s3.env && .venv/bin/govlake demo

lint: setup
	.venv/bin/ruff check .

# Headless Chromium and a CJK font, to check the oversight pages render offline (tests/govlake/test_site.py).
browser-packages:
	infra/browser.sh install

test: setup s3-jars s3-packages browser-packages lint
	.venv/bin/pytest

test-fast: setup
	.venv/bin/pytest -m "not e2e and not s3 and not rgw"

bench: setup
	.venv/bin/python bench/pipeline_bench.py

airflow-ui: setup
	infra/airflow-ui.sh

lock: $(UV)
	$(UV) lock --python $(PYTHON)

clean:
	-[ -x .venv/bin/govlake ] && .venv/bin/govlake spark down
	rm -rf .govlake

distclean: clean
	rm -rf .venv .tools .cache
