"""Subject erasure: ``govlake erase --resident-id ID`` (or ``--credit-code``).

1. The identifier becomes the subject's pseudonym in every sharing domain and is then forgotten:
   it is never written anywhere (not in the register, the audit log, reports or logs).
2. The pseudonyms join the erasure register, so no later publish brings the subject back.
3. Every curated dataset holding the subject gets a new version: each data file that mentions the
   subject is rewritten by the rule in :mod:`jobs.erasures` (one Iceberg commit); the audience
   views are derived again from it (public aggregates counted without the subject).
4. History goes: older snapshots of the dataset and its views are expired, and the data files,
   manifests and metadata no live snapshot needs are physically deleted (time travel to before the
   erasure ends here, on purpose).
5. Every current data file of every curated dataset and view is read again to prove that the
   subject's pseudonym appears in none; the erasure is audited with counts only.

The raw zone keeps the delivered extracts as the departments' evidence; erasing there is the
owning department's decision, taken at its source.
"""

from __future__ import annotations

import io
import logging
import re
import uuid
from dataclasses import dataclass, field

import pyarrow.parquet as pq

from govlake import paths, tables
from govlake.access import AccessModel
from govlake.contracts import Contract, load_contracts
from govlake.errors import Refusal
from govlake.locks import dataset_lock
from govlake.records import audit, iter_manifests
from govlake.storage import Lake
from jobs import erasures
from masking.keys import domain_key, normalise, token

log = logging.getLogger("govlake")

_FORMATS = {"CN_RESIDENT_ID": re.compile(r"^\d{17}[\dX]$"), "CN_USCC": re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")}


class ErasureRefused(Refusal):
    """The erasure cannot be carried out as asked (the message never repeats the identifier)."""


@dataclass
class ErasureReport:
    erasure_id: str
    subject_kind: str
    datasets: list[dict] = field(default_factory=list)
    rescanned_files: int = 0
    residual_mentions: int = 0

    def lines(self) -> list[str]:
        out = [f"erasure {self.erasure_id} ({self.subject_kind}): the identifier was turned into pseudonyms and "
               "not kept; the pseudonyms joined the erasure register"]
        touched = [d for d in self.datasets if d["rows_removed"] or d["cells_cleared"]]
        if not touched:
            out.append("no curated dataset held this subject; a later publish will not bring them in either")
        for d in touched:
            out.append(f"{d['dataset']}: version {d['version']}: {d['rows_removed']} row(s) removed, "
                       f"{d['cells_cleared']} mention(s) cleared, {d['files_rewritten']} file(s) rewritten; "
                       f"{d['views']} view(s) derived again; {d['files_deleted']} old file(s) and "
                       f"{d['snapshots_expired']} old snapshot(s) deleted")
        out.append(f"re-scan: {self.rescanned_files} current data file(s) of every curated dataset and view read: "
                   + ("the subject's pseudonym appears in none" if not self.residual_mentions
                      else f"{self.residual_mentions} mention(s) remain"))
        return out


def _tokens(kind: str, identifier: str, contracts: dict[str, Contract]) -> dict[str, str]:
    entity = erasures.SUBJECT_KINDS.get(kind)
    if entity is None:
        raise ErasureRefused(f"cannot erase by {kind}: use one of {', '.join(erasures.SUBJECT_KINDS)}")
    if not _FORMATS[entity].match(normalise(entity, identifier)):
        what = "an 18-character resident ID" if entity == "CN_RESIDENT_ID" else "an 18-character unified credit code"
        raise ErasureRefused(f"the {kind.replace('_', ' ')} given is not {what}; nothing was erased")
    return {d: token(domain_key(d), entity, identifier) for d in sorted({c.pseudonym_domain for c in contracts.values()})}


def erase(kind: str, identifier: str, lake: Lake, spark, reason: str = "") -> ErasureReport:
    """``spark`` is a session, or a function that makes one (started only if a dataset holds the subject)."""
    contracts = load_contracts()
    by_domain = _tokens(kind, identifier, contracts)
    del identifier  # from here on only pseudonyms
    entity = erasures.SUBJECT_KINDS[kind]
    report = ErasureReport(erasure_id=uuid.uuid4().hex[:12], subject_kind=kind)
    with dataset_lock(lake, "_erasures", "erase"):
        register = erasures.load_register(lake)
        for domain, tk in by_domain.items():
            register.add(report.erasure_id, domain, entity, tk)
        erasures.save_register(lake, register)
    mine = erasures.Register([e for e in register.entries if e["token"] in set(by_domain.values())])
    for ds, contract in sorted(contracts.items()):
        with dataset_lock(lake, ds, "erase"):
            done = _erase_dataset(contract, lake, spark, mine, report.erasure_id)
        if done:
            report.datasets.append(done)
    report.rescanned_files, report.residual_mentions = rescan(lake, contracts, by_domain)
    audit(lake, "erasure", ",".join(d["dataset"] for d in report.datasets) or "-", erasure_id=report.erasure_id,
          subject_kind=kind, reason=reason, datasets=report.datasets, rescanned_files=report.rescanned_files,
          residual_mentions=report.residual_mentions)
    for line in report.lines():
        log.info("erase: %s", line)
    return report


def _write_parquet(lake: Lake, rel: str, table) -> None:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    lake.write_bytes(rel, buf.getvalue())


def _erase_dataset(contract: Contract, lake: Lake, spark, register: erasures.Register, erasure_id: str) -> dict | None:
    from jobs.publish import describe_file, finish_version, publishable_batches, release_files, write_release

    ds = contract.dataset
    table = tables.load(lake, tables.curated_name(ds))
    current = tables.current_version(table)
    if current is None:
        return None
    t = erasures.targets(contract, register)
    summary = {"dataset": ds, "version": current.label, "rows_removed": 0, "cells_cleared": 0, "files_rewritten": 0,
               "files_deleted": 0, "snapshots_expired": 0, "views": 0}
    if t.empty:
        return summary
    number = max(v.number for v in tables.versions(table)) + 1
    files = tables.data_files(table)
    removed, written = [], []
    for f in files:
        rel = lake.rel(f.file_path)
        with lake.open_random(rel) as fh:
            data = pq.read_table(fh)
        kept, rows, cells = erasures.apply_arrow(data, t)
        if not rows and not cells:
            continue
        removed.append(f)
        summary["rows_removed"] += rows
        summary["cells_cleared"] += cells
        if kept.num_rows:
            batch = next((p for p in rel.split("/") if p.startswith("batch_id=")), "batch_id=erased")[len("batch_id="):]
            out = f"{paths.curated_batch_data(ds, batch, number)}/{rel.rsplit('/', 1)[1]}"
            _write_parquet(lake, out, kept)
            written.append(out)
    if not removed:
        return summary
    summary["files_rewritten"] = len(removed)
    manifests = iter_manifests(lake, ds)
    batches = publishable_batches(contract, manifests)
    gone = {f.file_path for f in removed}
    kept_files = [f for f in files if f.file_path not in gone]
    release_rel = write_release(contract, lake, number, batches, table,
                                release_files(lake, ds, current, kept_files) + [describe_file(lake, ds, r) for r in written])
    props = {k: v for k, v in current.properties.items() if k.startswith("govlake.")}
    table = tables.commit(table, [tables.file_uri(lake, r) for r in written], tuple(sorted(gone)), False,
                          {**props, tables.VERSION: str(number), "govlake.release": release_rel,
                           "govlake.erasure": erasure_id})
    summary["version"] = str(number)
    spark = spark() if callable(spark) else spark
    # Versions from before the erasure still hold the subject: they go, with their files.
    summary["snapshots_expired"] = len(tables.expire(table, 1))
    version = tables.current_version(table)
    finish_version(contract, lake, spark, manifests, batches, table, version)
    views = AccessModel.load().views(ds)
    summary["views"] = len(views)
    deleted = tables.purge_history(lake, table, paths.curated(ds))
    for view in views:
        vt = tables.load(lake, tables.view_name(ds, view.name))
        if vt is not None:
            summary["snapshots_expired"] += len(tables.expire(vt, 1))
            deleted += tables.remove_unreferenced(lake, vt.refresh(), f"{paths.view(ds, view.name)}/data")
            deleted += tables.purge_history(lake, vt.refresh(), paths.view(ds, view.name))
    summary["files_deleted"] = len(deleted)
    finish_version(contract, lake, spark, manifests, batches, table.refresh(), version)  # the catalog, after the purge
    return summary


def rescan(lake: Lake, contracts: dict[str, Contract], by_domain: dict[str, str]) -> tuple[int, int]:
    """Read every current data file of every curated dataset and view; count mentions of the tokens."""
    files = found = 0
    model = AccessModel.load()
    for ds, contract in contracts.items():
        tokens = {by_domain[contract.pseudonym_domain]}
        names = [tables.curated_name(ds)] + [tables.view_name(ds, v.name) for v in model.views(ds)]
        for name in names:
            table = tables.load(lake, name)
            if table is None:
                continue
            for f in tables.data_files(table):
                with lake.open_random(lake.rel(f.file_path)) as fh:
                    found += erasures.mentions(pq.read_table(fh), tokens)
                files += 1
    return files, found
