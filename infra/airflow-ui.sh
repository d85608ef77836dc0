#!/usr/bin/env bash
# Open the Airflow UI on the embedded default: `airflow standalone` on 127.0.0.1:8080 with the
# demo's AIRFLOW_HOME. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(.venv/bin/govlake airflow-env)"
export AIRFLOW__API__PORT="${AIRFLOW__API__PORT:-8080}"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:${AIRFLOW__API__PORT}/execution/"
echo "Airflow UI: http://127.0.0.1:${AIRFLOW__API__PORT}  (users: admin triggers runs; privacy_officer and"
echo "  privacy_officer_gd approve releases in Required Actions; passwords in ${AIRFLOW_HOME}/simple_auth_manager_passwords.json.generated)"
exec airflow standalone
