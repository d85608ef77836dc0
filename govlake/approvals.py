"""When a release waits for a privacy officer, and the decisions they make (GB/T 37964 section 6:
the executor does not approve their own release).

A release needs approval when
- it is the dataset's first release;
- the contract changed, since the last approved release, in what decides privacy: its personal
  columns and their operators, quasi-identifiers and the risk policy, free text, grants (who reads
  which columns and rows), sharing models, reviewers' classifications, context estimates, or the
  pseudonym domain;
- a batch in it needed suppression beyond the contract's routine limit (``risk.routine_suppression``).

The request is written to ``approvals/<dataset>/<id>.json`` with the reasons and the reports to
review. A privacy officer (``contracts/principals.yaml``) other than the person who ran the pipeline
approves or rejects it, in Airflow's Required Actions or with ``govlake approve``; both outcomes
are audited. Publishing refuses until the release is approved.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import uuid
from dataclasses import asdict

from govlake.config import settings
from govlake.contracts import Contract
from govlake.errors import ApprovalRequired, NotFound, PrivacyGateBlocked, Refusal
from govlake.principals import load_registry
from govlake.records import ApprovalRecord, BatchManifest, audit, iter_approvals, save_approval, utcnow
from govlake.storage import Lake

RUN_BY_ENV = "GOVLAKE_RUN_BY"


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def contract_parts(contract: Contract) -> dict[str, str]:
    """The privacy-relevant parts of a contract, each hashed, so a change can be named."""
    return {
        "personal columns": _digest([(c.name, asdict(c.personal)) for c in contract.columns if c.personal]),
        "quasi-identifiers and risk policy": _digest([contract.quasi_identifiers, asdict(contract.risk)]),
        "free text": _digest([asdict(f) for f in contract.free_text]),
        "grants": _digest([(a.name, a.grantees, a.columns, a.row_filter, a.public, a.aggregate_by, a.min_count)
                           for a in contract.access]),
        "sharing models": _digest([(a.name, a.sharing_model) for a in contract.access]),
        "classification": _digest([asdict(r) for r in contract.reviews]),
        "pseudonym domain": _digest(contract.pseudonym_domain),
    }


def runner() -> str:
    """Who ran the pipeline: the Airflow user who triggered the run, ``govlake run --as``, or the OS user."""
    if os.environ.get(RUN_BY_ENV):
        return os.environ[RUN_BY_ENV]
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def reasons_for(contract: Contract, lake: Lake, batches: list[BatchManifest], has_release: bool) -> list[str]:
    """Why this release needs a privacy officer's approval (empty: it does not)."""
    approved = [r for r in iter_approvals(lake, contract.dataset) if r.status == "approved"]
    reasons = []
    if approved:
        before, now = approved[-1].contract, contract_parts(contract)
        changed = [part for part, digest in now.items() if before.get(part) != digest]
        if changed:
            reasons.append("contract changed since the last approved release: " + ", ".join(changed))
    elif has_release:
        reasons.append("no approved release on record (published before approvals were required)")
    else:
        reasons.append("first release of the dataset")
    limit = contract.risk.routine_suppression
    accepted: dict[str, int] = {}  # what officers have already accepted, per batch
    for r in approved:
        for batch_id, rows in r.suppressed.items():
            accepted[batch_id] = max(rows, accepted.get(batch_id, 0))
    for m in _over_routine(contract, batches):
        if accepted.get(m.batch_id, -1) < m.masking.rows_suppressed:
            rows_in = m.masking.rows + m.masking.rows_suppressed
            reasons.append(f"batch {m.batch_id} suppressed {m.masking.rows_suppressed} of {rows_in} rows "
                           f"({m.masking.rows_suppressed / rows_in:.1%}), above the routine {limit:.0%}")
    return reasons


def _over_routine(contract: Contract, batches: list[BatchManifest]) -> list[BatchManifest]:
    """The batches that needed suppression above the contract's routine share."""
    return [m for m in batches if m.masking and m.masking.rows_suppressed
            and m.masking.rows_suppressed / (m.masking.rows + m.masking.rows_suppressed) > contract.risk.routine_suppression]


def check(contract: Contract, lake: Lake, version: int, release: str, batches: list[BatchManifest],
          has_release: bool, evaluation: str) -> ApprovalRecord | None:
    """Publish's gate: None when no approval is needed; the approved record when one is; else write
    (or keep) the pending request and refuse."""
    parts = contract_parts(contract)
    mine = [r for r in iter_approvals(lake, contract.dataset) if r.release == release and r.contract == parts]
    decided = [r for r in mine if r.status != "pending"]
    if decided and decided[-1].status == "approved":
        return decided[-1]
    if decided:
        r = decided[-1]
        raise PrivacyGateBlocked(f"{contract.dataset}: release v{r.version} was rejected by {r.decided_by} "
                                 f"({r.decided_at}){': ' + r.comment if r.comment else ''}")
    reasons = reasons_for(contract, lake, batches, has_release)
    if not reasons:
        return None
    pending = next((r for r in mine if r.status == "pending"), None)
    if pending is None:
        pending = ApprovalRecord(
            dataset=contract.dataset, request_id=f"{utcnow()[:10].replace('-', '')}-{uuid.uuid4().hex[:8]}",
            version=version, release=release, contract=parts, reasons=reasons, evaluation=evaluation,
            masking_reports=[m.masking.report for m in batches if m.masking], requested_by=runner(),
            suppressed={m.batch_id: m.masking.rows_suppressed for m in _over_routine(contract, batches)},
            requested_at=utcnow())
        rel = save_approval(lake, pending)
        audit(lake, "approval_requested", contract.dataset, request=rel, version=version, reasons=reasons,
              requested_by=pending.requested_by)
    raise ApprovalRequired(
        f"{contract.dataset}: release v{pending.version} waits for a privacy officer's approval "
        f"({'; '.join(pending.reasons)}); request {pending.request_id}: approve in Airflow's Required Actions "
        f"or with `govlake approve {contract.dataset} --as <privacy officer>`")


def record_in_evaluation(lake: Lake, evaluation: str, approved: ApprovalRecord | None, dataset: str) -> None:
    """Put the approval record into the release's risk evaluation (GB/T 37964's evaluation documents
    include it): who decided, when and why it was asked; or why none was needed."""
    doc = lake.read_json(evaluation)
    if approved is not None:
        doc["approval"] = {"needed": True, **approved.model_dump(
            include={"request_id", "reasons", "requested_by", "requested_at", "status", "decided_by", "decided_at",
                     "comment", "channel"})}
    else:
        last = next((r for r in reversed(iter_approvals(lake, dataset)) if r.status == "approved"), None)
        doc["approval"] = {"needed": False, "basis": "no contract part that decides privacy changed since the approved "
                           f"release v{last.version} (request {last.request_id}, {last.decided_by}), and no batch "
                           "needed more than routine suppression" if last else "no approval rule applied"}
    lake.write_json(evaluation, doc)


def pending(lake: Lake, dataset: str) -> ApprovalRecord | None:
    return next((r for r in reversed(iter_approvals(lake, dataset)) if r.status == "pending"), None)


def decided(lake: Lake, dataset: str) -> ApprovalRecord | None:
    """The dataset's newest request once decided (e.g. with ``govlake approve``), else None."""
    records = iter_approvals(lake, dataset)
    return records[-1] if records and records[-1].status != "pending" else None


def decide(lake: Lake, dataset: str, principal: str, approve: bool, comment: str = "",
           channel: str = "cli") -> ApprovalRecord:
    """Record a privacy officer's decision on the dataset's pending request (audited either way)."""
    officers = load_registry(settings().contracts_dir).privacy_officers
    if principal not in officers:
        audit(lake, "approval_refused", dataset, principal=principal, reason="not a privacy officer")
        raise Refusal(f"'{principal}' is not a privacy officer (contracts/principals.yaml lists: "
                      f"{', '.join(sorted(officers)) or 'none'})")
    record = pending(lake, dataset)
    if record is None:
        raise NotFound(f"no release of '{dataset}' waits for approval")
    if principal == record.requested_by:
        audit(lake, "approval_refused", dataset, request=record.request_id, principal=principal,
              reason="the person who ran the pipeline cannot approve its release")
        raise Refusal(f"{principal} ran this release of {dataset} and cannot approve it: another privacy "
                      "officer must decide")
    record.status = "approved" if approve else "rejected"
    record.decided_by, record.decided_at, record.comment, record.channel = principal, utcnow(), comment, channel
    rel = save_approval(lake, record)
    audit(lake, "release_approved" if approve else "release_rejected", dataset, request=rel,
          version=record.version, decided_by=principal, channel=channel, comment=comment)
    return record
