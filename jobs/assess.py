"""Assess: the re-identification risk of a release, per audience and across datasets, graded as
GB/T 42460 describes, before anything is published.

For each audience, on exactly what it receives (its columns of the whole dataset, all batches):
the equivalence classes over the released quasi-identifiers, θ = 1/f per record, the share of
classes over the sharing model's threshold (R_a), the maximum and mean θ, the context risk and
the grade:

- L1: a direct identifier is released in clear;
- L2: quasi-identifiers remain and the risk is at or above the threshold (R_a > 0, or the
  overall risk over masking.risk.OVERALL_RISK_LIMIT);
- L3: quasi-identifiers remain and the risk is below the threshold;
- L4: nothing identifies anyone (no identifiers at all, or records that are not about persons,
  or aggregates whose smallest cell is at least the model's class size).

A pseudonym identifies no one outside its domain; it counts as an identifier for the grade (a
release with pseudonyms is at best L3) and as a link for accumulation.

Accumulation (GB/T 37964 4.1: risk must not grow when recipients collude): recipients in one
pseudonym domain can pool what they receive. For every other dataset of the domain that is
published, the releases are joined on pseudonyms of the same kind of person identifier, and
the persons of this dataset are graded over the quasi-identifiers both sides release, at the
strictest threshold among the audiences involved.

Anything below L3 blocks the release (PrivacyGateBlocked), with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

from govlake import paths, tables
from govlake.classification import (
    PERSON_IDENTIFIERS,
    ROLE_DIRECT,
    ROLE_PSEUDONYM,
    ROLE_QUASI,
    ColumnClass,
    inventory,
)
from govlake.contracts import Audience, Contract, load_contracts
from govlake.errors import PrivacyGateBlocked
from govlake.records import audit
from govlake.storage import Lake
from masking.risk import GRADES, OVERALL_RISK_LIMIT, RELEASABLE_GRADES, SHARING_MODELS, release_risk

log = logging.getLogger(__name__)

METHOD = ("GB/T 42460-2023: equivalence classes over the released quasi-identifiers, per-record risk 1/f; "
          "R_a = share of classes with 1/f > τ (a class exactly at the minimum size passes); dataset risk = "
          "max 1/f (public) or mean 1/f (controlled, enclave); overall = dataset risk × context risk "
          f"(1 for public), at most {OVERALL_RISK_LIMIT}. People are counted once per class by their pseudonym.")


def context_risk(contract: Contract, audience: Audience) -> tuple[float, str]:
    """The context risk of a release: 1 for a public one; otherwise the largest estimated probability
    (deliberate attack, inadvertent recognition, breach), or 1 when none was estimated."""
    if audience.sharing_model == "public":
        return 1.0, "public release: context risk is 1"
    if not contract.risk.context:
        return 1.0, "not estimated in the contract (risk.context): taken as 1"
    top = max(contract.risk.context, key=lambda c: c.value)
    return top.value, f"largest estimate: {top.name} = {top.value} (set by {top.set_by})"


def released_columns(contract: Contract, audience: Audience) -> list[str]:
    if audience.public:
        return list(audience.aggregate_by)
    return contract.column_names if "*" in audience.columns else list(audience.columns)


def _pseudonym_person(classes: dict[str, ColumnClass], columns: list[str]) -> str | None:
    """The released pseudonym that counts people: the contract's first pseudonymised person identifier."""
    return next((c for c in columns if classes[c].release_role == ROLE_PSEUDONYM
                 and classes[c].entity in PERSON_IDENTIFIERS), None)


def assess_audience(contract: Contract, audience: Audience, frame, classes: dict[str, ColumnClass],
                    views: list | None = None) -> dict:
    """Grade what one audience receives of ``frame`` (the whole dataset after this publish): each of
    its ``views`` (one per administrative scope of its readers, with its row filter), or the whole
    frame when none is given. A scope or a filter can split a class, so the worst view decides."""
    model = SHARING_MODELS[audience.sharing_model]
    columns = released_columns(contract, audience)
    roles = {c: classes[c].release_role for c in columns}
    qis = [c for c in columns if roles[c] == ROLE_QUASI]
    context, context_note = context_risk(contract, audience)
    out = {"audience": audience.name, "sharing_model": model.name, "threshold": model.threshold,
           "min_class_size": model.min_class_size, "dataset_risk_used": model.dataset_risk,
           "columns": columns, "quasi_identifiers": qis, "context_risk": context, "context_note": context_note,
           "risk": None, "overall_risk": None}
    direct = [c for c in columns if roles[c] == ROLE_DIRECT]
    if direct:
        return {**out, "grade": "L1", "reason": f"direct identifier(s) released in clear: {', '.join(direct)}"}
    if audience.public:
        if audience.min_count >= model.min_class_size:
            return {**out, "grade": "L4", "reason": f"aggregates only; every published cell counts at least "
                                                    f"{audience.min_count} people (≥ {model.min_class_size})"}
        return {**out, "grade": "L2", "reason": f"aggregate cells may count {audience.min_count} people, fewer than the "
                                                f"public threshold's {model.min_class_size}"}
    if not any(classes[c].about_a_person for c in columns):
        return {**out, "grade": "L4", "reason": "no released column ties a record to a person"}
    pseudonyms = [c for c in columns if roles[c] == ROLE_PSEUDONYM]
    if not qis:
        if pseudonyms:
            return {**out, "grade": "L3", "reason": "no quasi-identifiers released; pseudonyms only link records within "
                                                    "their domain (see accumulation)"}
        return {**out, "grade": "L4", "reason": "no identifiers or quasi-identifiers released"}
    if views:
        from jobs.publish import view_frame

        targets = [(v.name, view_frame(contract, v, frame)) for v in views]
    else:
        targets = [(audience.name, frame.select(*columns))]
    person = _pseudonym_person(classes, columns)
    per_view = []
    for name, df in targets:
        measured = release_risk(df, qis, model, person=person)
        view_risk = measured.max_risk if model.dataset_risk == "max" else measured.mean_risk
        per_view.append((name, measured, view_risk))
    name, risk, dataset_risk = max(per_view, key=lambda v: (v[1].classes_over_threshold > 0, v[2]))
    overall = dataset_risk * context
    out.update(risk=risk.as_dict(), dataset_risk=dataset_risk, overall_risk=overall, worst_view=name,
               views=[{"view": n, "risk": r.as_dict(), "dataset_risk": d} for n, r, d in per_view])
    if risk.classes_over_threshold:
        return {**out, "grade": "L2", "reason": f"{risk.classes_over_threshold} of {risk.classes} classes "
                f"({risk.records_over_threshold} people) are smaller than {model.min_class_size}: R_a = "
                f"{risk.ratio_over_threshold():.4f} > 0 over {', '.join(qis)}"}
    if overall > OVERALL_RISK_LIMIT:
        return {**out, "grade": "L2", "reason": f"overall risk {overall:.4f} ({model.dataset_risk} θ {dataset_risk:.4f} × "
                                                f"context {context}) exceeds {OVERALL_RISK_LIMIT}"}
    return {**out, "grade": "L3", "reason": f"R_a = 0 and overall risk {overall:.4f} ≤ {OVERALL_RISK_LIMIT}"}


def _pooled(contract: Contract, classes: dict[str, ColumnClass]) -> dict:
    """What the recipients of a dataset's row-level audiences can pool: the union of their columns,
    its quasi-identifiers, and its pseudonymised person identifiers (the links to other datasets;
    the first also counts the people)."""
    audiences = [a for a in contract.access if not a.public]
    columns = list(dict.fromkeys(c for a in audiences for c in released_columns(contract, a)))
    links = {c: classes[c].entity for c in columns if classes[c].release_role == ROLE_PSEUDONYM
             and classes[c].entity in PERSON_IDENTIFIERS}
    return {"dataset": contract.dataset, "columns": columns, "audiences": audiences, "links": links,
            "person": next(iter(links), None),
            "qis": [c for c in columns if classes[c].release_role == ROLE_QUASI]}


def _joined_risk(left: dict, left_frame, left_link: str, right: dict, right_frame, right_link: str, model) -> dict:
    """The people of ``left`` graded over both sides' quasi-identifiers once joined on the pseudonyms."""
    from pyspark.sql import functions as F

    theirs = {q: f"{right['dataset']}__{q}" for q in right["qis"]}
    person = left["person"] or left_link
    r = right_frame.select(F.col(right_link).alias("_link"), *[F.col(q).alias(a) for q, a in theirs.items()]).dropDuplicates()
    lf = left_frame.select(*dict.fromkeys([left_link, person, *left["qis"]]))
    joined = lf.join(r, lf[left_link] == r["_link"], "left")
    qis = [*left["qis"], *theirs.values()]
    risk = release_risk(joined, qis, model, person=person)
    linked = joined.where(F.col("_link").isNotNull()).select(person).distinct().count()
    passed = risk.classes_over_threshold == 0
    return {"people_of": left["dataset"], "quasi_identifiers": qis, "people": risk.records, "people_linked": linked,
            "people_singled_out": risk.records_over_threshold, "risk": risk.as_dict(), "passed": passed,
            "reason": (f"{risk.records_over_threshold} of {risk.records} people of {left['dataset']} fall in classes "
                       f"smaller than {model.min_class_size} once joined with {right['dataset']}" if not passed
                       else f"no class of {left['dataset']}'s people smaller than {model.min_class_size} after the join")}


def accumulation_between(contract: Contract, frame, other: Contract, other_frame) -> list[dict]:
    """Join what ``contract``'s recipients can pool with what ``other``'s can, on pseudonyms of the
    same person-identifier kind, and grade the people of each side over the quasi-identifiers both
    sides release. Datasets of different pseudonym domains are never joined: their pseudonyms of the
    same person differ (tests/jobs/test_assess.py shows it)."""
    if other.pseudonym_domain != contract.pseudonym_domain:
        return []
    mine = _pooled(contract, {c.column: c for c in inventory(contract)})
    theirs = _pooled(other, {c.column: c for c in inventory(other)})
    joins = [(m, t, e) for m, e in mine["links"].items() for t, te in theirs["links"].items() if te == e]
    if not joins:
        return []
    model = max((SHARING_MODELS[a.sharing_model] for a in [*mine["audiences"], *theirs["audiences"]]),
                key=lambda m: m.min_class_size)
    out = []
    for my_link, their_link, entity in joins:
        for result in (_joined_risk(mine, frame, my_link, theirs, other_frame, their_link, model),
                       _joined_risk(theirs, other_frame, their_link, mine, frame, my_link, model)):
            out.append({"with": other.dataset, "sharing_model": model.name, "min_class_size": model.min_class_size,
                        "join": f"{contract.dataset}.{my_link} = {other.dataset}.{their_link} ({entity})", **result})
    return out


def assess_accumulation(contract: Contract, frame, lake: Lake, spark, contracts: dict[str, Contract]) -> list[dict]:
    """``accumulation_between`` this release and every published dataset of its pseudonym domain."""
    out = []
    for other in sorted(contracts.values(), key=lambda c: c.dataset):
        if other.dataset == contract.dataset or other.pseudonym_domain != contract.pseudonym_domain:
            continue
        table = tables.load(lake, tables.curated_name(other.dataset))
        files = tables.data_files(table) if table is not None and tables.current_version(table) else []
        if files:
            other_frame = spark.read.option("mergeSchema", "true").parquet(
                *[lake.spark_uri(lake.rel(f.file_path)) for f in files])
            out += accumulation_between(contract, frame, other, other_frame)
    return out


def _views(contract: Contract) -> list:
    """The views a publication materialises (govlake.access), or none for a dataset the access model
    does not know (a contract evaluated on its own)."""
    from govlake.access import AccessModel

    model = AccessModel.load()
    return model.views(contract.dataset) if contract.dataset in model.contracts else []


def undeclared_columns(lake: Lake, dataset: str, batch_ids: list[str]) -> dict[str, list[str]]:
    """Columns discovery found personal data in without a declaration, from the batches' masking reports."""
    found: dict[str, set] = {}
    for batch_id in batch_ids:
        rel = paths.masking_report(dataset, batch_id)
        if lake.exists(rel):
            for u in (lake.read_json(rel).get("discovery") or {}).get("undeclared", []):
                found.setdefault(u["column"], set()).update(u["entities"])
    return {k: sorted(v) for k, v in found.items()}


def _inputs(contract: Contract, lake: Lake, contracts: dict[str, Contract], batch_ids: list[str], release: str) -> str:
    """A digest of everything an evaluation depends on: the release, the contracts and principals (they
    decide columns, grants and views) and the published versions of the datasets it can be joined with."""
    from govlake.config import settings
    from govlake.principals import REGISTRY_FILE

    registry = settings().contracts_dir / REGISTRY_FILE
    domain = {c.dataset: getattr(tables.read_current(lake, c.dataset), "version", None)
              for c in contracts.values() if c.pseudonym_domain == contract.pseudonym_domain and c.dataset != contract.dataset}
    shas = sorted((c.dataset, c.sha256) for c in contracts.values())
    parts = [release, batch_ids, contract.sha256, shas, registry.read_text() if registry.exists() else "", domain]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def assess(contract: Contract, lake: Lake, spark, frame, version: int, batch_ids: list[str],
           contracts: dict[str, Contract] | None = None, release: str = "") -> dict:
    """The risk evaluation of the release about to be published; PrivacyGateBlocked when it must not be."""
    contracts = contracts if contracts is not None else load_contracts()
    rel = paths.risk_evaluation(contract.dataset, version)
    inputs = _inputs(contract, lake, contracts, batch_ids, release)
    earlier = lake.read_json(rel) if lake.exists(rel) else None
    if earlier and earlier.get("inputs") == inputs:  # e.g. evaluated once already, then approved
        log.info("assess %s v%s: inputs unchanged since %s; the evaluation stands", contract.dataset, version,
                 earlier["evaluated_at"])
        if not earlier["passed"]:
            raise PrivacyGateBlocked(f"{contract.dataset}: release v{version} blocked by the risk evaluation: "
                                     + "; ".join(earlier["blocked"]))
        return earlier
    cols = inventory(contract, undeclared_columns(lake, contract.dataset, batch_ids))
    classes = {c.column: c for c in cols}
    views = _views(contract)
    audiences = [assess_audience(contract, a, frame, classes, [v for v in views if v.audience.name == a.name])
                 for a in contract.access]
    accumulation = assess_accumulation(contract, frame, lake, spark, contracts)
    grade = min((a["grade"] for a in audiences), key=list(GRADES).index, default="L4")
    blocked = [f"audience {a['audience']}: {a['grade']} ({GRADES[a['grade']]}): {a['reason']}"
               for a in audiences if a["grade"] not in RELEASABLE_GRADES]
    blocked += [f"accumulation with {x['with']} ({x['join']}): {x['reason']}" for x in accumulation if not x["passed"]]
    evaluation = {
        "dataset": contract.dataset, "version": version, "contract_sha256": contract.sha256,
        "evaluated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scope": {"batches": batch_ids, "audiences": [a.name for a in contract.access],
                  "pseudonym_domain": contract.pseudonym_domain,
                  "plan": "evaluated on every publish, on the whole dataset each audience receives, and across the "
                          "datasets of its pseudonym domain; re-evaluated whenever the data, the contract's columns, "
                          "quasi-identifiers, grants, sharing models or context estimates change"},
        "inventory": [{**c.as_dict(), "received_by": [a["audience"] for a in audiences if c.column in a["columns"]]}
                      for c in cols],
        "method": METHOD,
        "context_inputs": [{"name": c.name, "value": c.value, "set_by": c.set_by, "reason": c.reason}
                           for c in contract.risk.context],
        "audiences": audiences, "accumulation": accumulation,
        "grade": grade, "grade_meaning": GRADES[grade], "passed": not blocked, "blocked": blocked,
        "inputs": inputs,
    }
    if earlier:  # evidence is kept: an earlier evaluation of this version moves to the history
        lake.write_json(paths.risk_evaluation_history(contract.dataset, version, earlier["evaluated_at"]), earlier)
    lake.write_json(rel, evaluation)
    audit(lake, "release_blocked" if blocked else "release_assessed", contract.dataset, version=version, grade=grade,
          report=lake.uri(rel), reasons=blocked)
    if blocked:
        raise PrivacyGateBlocked(f"{contract.dataset}: release v{version} blocked by the risk evaluation: " + "; ".join(blocked))
    log.info("assess %s v%s: grade %s (%s)", contract.dataset, version, grade,
             ", ".join(f"{a['audience']} {a['grade']}" for a in audiences))
    return evaluation
