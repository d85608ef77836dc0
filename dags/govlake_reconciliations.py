"""
### govlake cross-department reconciliation

One DAG per file in `contracts/reconciliations/`, scheduled on the Airflow assets of its two
curated datasets: it runs once both have published a new version. **reconcile** joins them on a
pseudonymised key of one sharing domain (no identifier is ever seen) and writes a report of
counts only to `reports/_reconciliation/<name>/`. The work lives in `jobs/reconcile.py`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, task

from entrypoints.airflow_tasks import RETRY_POLICY, curated_asset, run_reconciliation
from govlake.reconciliations import Reconciliation, load_reconciliations


def build_dag(rec: Reconciliation) -> DAG:
    with DAG(
        dag_id=rec.dag_id,
        description=rec.title,
        doc_md=(__doc__ or "") + f"\n\n#### {rec.title}\n\n- `{rec.left.dataset}.{rec.left.key}` against "
                                 f"`{rec.right.dataset}.{rec.right.key}` (file `{rec.path.name}`)\n",
        schedule=[curated_asset(rec.left.dataset), curated_asset(rec.right.dataset)],
        start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
        catchup=False,
        max_active_runs=1,
        default_args={"owner": rec.owner, "retries": 2, "retry_delay": timedelta(minutes=2),
                      "retry_policy": RETRY_POLICY},
        tags=["govlake", "reconciliation", rec.left.dataset, rec.right.dataset],
    ) as dag:

        @task(task_id="reconcile")
        def reconcile(name: str) -> dict:
            return run_reconciliation(name)

        reconcile(rec.name)
    return dag


for _rec in load_reconciliations().values():
    globals()[_rec.dag_id] = build_dag(_rec)
