"""Run one cross-department reconciliation (``contracts/reconciliations/``) on the current
curated versions of its two datasets; the report holds counts only, never a key."""

from __future__ import annotations

import logging

import pyarrow.compute as pc

from govlake import tables
from govlake.errors import NotFound
from govlake.reconciliations import Reconciliation
from govlake.records import audit, read_report, write_report
from govlake.storage import Lake

log = logging.getLogger("govlake")


def report_path(rec: Reconciliation, left_version: str, right_version: str) -> str:
    return f"reports/_reconciliation/{rec.name}/{rec.left.dataset}@{left_version}-{rec.right.dataset}@{right_version}.json"


def reconcile(rec: Reconciliation, lake: Lake) -> dict:
    # Each table is loaded once: the version in the report's name is the one whose rows are counted.
    loaded = {s.dataset: tables.load(lake, tables.curated_name(s.dataset)) for s in (rec.left, rec.right)}
    current = {ds: tables.current_version(t) for ds, t in loaded.items()}
    missing = [ds for ds, v in current.items() if v is None]
    if missing:
        raise NotFound(f"reconciliation {rec.name}: {', '.join(missing)} not published yet")
    lv, rv = current[rec.left.dataset].label, current[rec.right.dataset].label
    rel = report_path(rec, lv, rv)
    if lake.exists(rel):  # these two versions were reconciled already
        return read_report(lake, rel)
    left = tables.read(loaded[rec.left.dataset], current[rec.left.dataset]).column(rec.left.key)
    right = tables.read(loaded[rec.right.dataset], current[rec.right.dataset]).column(rec.right.key)
    left_keys, right_keys = pc.unique(left.drop_null()), pc.unique(right.drop_null())
    matched = pc.sum(pc.is_in(left_keys, value_set=right_keys)).as_py() or 0
    rows_matched = pc.sum(pc.fill_null(pc.is_in(left, value_set=right_keys), False)).as_py() or 0
    report = {
        "reconciliation": rec.name, "title": rec.title,
        "left": {"dataset": rec.left.dataset, "key": rec.left.key, "version": lv, "rows": len(left),
                 "rows_without_key": left.null_count, "distinct_keys": len(left_keys)},
        "right": {"dataset": rec.right.dataset, "key": rec.right.key, "version": rv, "rows": len(right),
                  "rows_without_key": right.null_count, "distinct_keys": len(right_keys)},
        "matched_keys": matched,
        "left_keys_without_match": len(left_keys) - matched,
        "right_keys_without_match": len(right_keys) - matched,
        "left_rows_matched": rows_matched,
        "left_rows_without_match": len(left) - left.null_count - rows_matched,
    }
    write_report(lake, rel, report)
    audit(lake, "reconcile", f"{rec.left.dataset},{rec.right.dataset}", reconciliation=rec.name,
          versions={rec.left.dataset: lv, rec.right.dataset: rv}, report=rel)
    log.info("reconcile %s: %d of %d %s keys match %s (%s@%s, %s@%s), report %s", rec.name, matched, len(left_keys),
             rec.left.key, rec.right.key, rec.left.dataset, lv, rec.right.dataset, rv, lake.uri(rel))
    return report
