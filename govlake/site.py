"""The oversight site: one self-contained static site per lake (``govlake site``, in ``reports/site/``).

What a privacy officer and a supervising office look at: the catalog, every dataset's risk
evaluation with its grade and approval, its batches with their masking reports and validation
results, the releases waiting for approval, and a per-department scorecard (the "qualification
rate" an inspection uses) as a table and a chart over time.

Pages are rendered from Jinja2 templates (``govlake/templates/site/``) with autoescaping; they
load nothing from the network (styles inline, charts inline SVG, no scripts), and are built only
from records and reports that hold no raw personal value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from govlake import paths
from govlake.contracts import Contract, load_contracts
from govlake.records import (
    BatchManifest,
    DeliveryManifest,
    Status,
    iter_approvals,
    iter_manifests,
    parse_delivery_manifest,
    read_catalog_entry,
)
from govlake.storage import Lake

SITE = "reports/site"
ON_TIME_HOURS = 24  # the platform's service standard: a delivery lands within a day of being issued
ACCEPTED = (Status.MASKED, Status.PUBLISHED, Status.SUPERSEDED)
REJECTED = (Status.REJECTED, Status.QUARANTINED, Status.BLOCKED)


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates" / "site"),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.1f}%"
    return env


@dataclass
class PeriodScore:
    """One department's deliveries in one month."""

    department: str
    period: str
    deliveries: int = 0
    on_time: int = 0
    timed: int = 0  # deliveries whose issue time is known (signed manifests)
    rows_delivered: int = 0
    rows_quarantined: int = 0
    batches_rejected: int = 0
    expectations: int = 0
    expectations_passed: int = 0
    releases: int = 0
    releases_l3_l4: int = 0
    datasets: set[str] = field(default_factory=set)

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.timed if self.timed else None

    @property
    def accepted_rate(self) -> float | None:
        return (self.deliveries - self.batches_rejected) / self.deliveries if self.deliveries else None

    @property
    def expectations_rate(self) -> float | None:
        return self.expectations_passed / self.expectations if self.expectations else None

    @property
    def release_rate(self) -> float | None:
        return self.releases_l3_l4 / self.releases if self.releases else None


def _landed_at(m: BatchManifest) -> dt.datetime:
    return dt.datetime.fromisoformat(m.history[0].at)


def _issued_at(lake: Lake, m: BatchManifest) -> dt.datetime | None:
    if not m.delivery.manifest or not lake.exists(m.delivery.manifest):
        return None
    issued: DeliveryManifest = parse_delivery_manifest(lake.read_bytes(m.delivery.manifest), m.delivery.manifest)
    return issued.created_at if issued.created_at.tzinfo else issued.created_at.replace(tzinfo=dt.UTC)


def _evaluations(lake: Lake, dataset: str) -> list[dict]:
    """Every risk evaluation of the dataset, blocked ones (kept in the history) included."""
    return [{**lake.read_json(f.path), "_path": f.path}
            for f in lake.list_files(paths.risk_evaluations(dataset), "*.json")]


def scorecard(lake: Lake, datasets: list[dict]) -> list[PeriodScore]:
    """Per department and month, from each dataset's manifests and risk evaluations (``_dataset_view``)."""
    scores: dict[tuple[str, str], PeriodScore] = {}

    def score(department: str, period: str) -> PeriodScore:
        return scores.setdefault((department, period), PeriodScore(department, period))

    for d in datasets:
        contract = d["contract"]
        ds = contract.dataset
        for m in d["manifests"]:
            landed = _landed_at(m)
            s = score(contract.department, landed.strftime("%Y-%m"))
            s.datasets.add(ds)
            s.deliveries += 1
            issued = _issued_at(lake, m)
            if issued is not None:
                s.timed += 1
                s.on_time += (landed - issued) <= dt.timedelta(hours=ON_TIME_HOURS)
            s.rows_delivered += m.rows_landed
            s.rows_quarantined += m.rows_quarantined if m.status != Status.QUARANTINED else m.rows_landed
            s.batches_rejected += m.status in REJECTED
            if m.validation and lake.exists(m.validation.report):
                stats = lake.read_json(m.validation.report).get("statistics") or {}
                s.expectations += int(stats.get("evaluated_expectations") or 0)
                s.expectations_passed += int(stats.get("successful_expectations") or 0)
        for ev in d["evaluations"]:
            s = score(contract.department, ev["evaluated_at"][:7])
            s.datasets.add(ds)
            s.releases += 1
            s.releases_l3_l4 += ev["grade"] in ("L3", "L4")
    return sorted(scores.values(), key=lambda s: (s.department, s.period))


def chart(scores: list[PeriodScore], width: int = 640, height: int = 220) -> dict:
    """A line per department: the share of its deliveries accepted, per month (inline SVG geometry)."""
    periods = sorted({s.period for s in scores})
    departments = sorted({s.department for s in scores})
    left, right, top, bottom = 48, 150, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    x = {p: left + (plot_w * i / (len(periods) - 1) if len(periods) > 1 else plot_w / 2) for i, p in enumerate(periods)}
    colours = ["#3b7dd8", "#d8573b", "#2e9d5b", "#8e44ad", "#c99a00", "#16a0a0"]
    lines = []
    for i, d in enumerate(departments):
        points = [(x[s.period], top + plot_h * (1 - s.accepted_rate)) for s in scores
                  if s.department == d and s.accepted_rate is not None]
        lines.append({"department": d, "colour": colours[i % len(colours)], "points": points,
                      "path": " ".join(f"{px:.1f},{py:.1f}" for px, py in points), "legend_y": top + 14 + 16 * i})
    return {"width": width, "height": height, "left": left, "top": top, "plot_w": plot_w, "plot_h": plot_h,
            "periods": [{"label": p, "x": x[p]} for p in periods], "lines": lines,
            "ticks": [{"label": f"{v}%", "y": top + plot_h * (1 - v / 100)} for v in (0, 50, 100)],
            "legend_x": width - right + 12}


def _relative(from_rel: str, to_rel: str) -> str:
    """A link from one lake page to another lake file, relative, so the site works wherever it is copied."""
    return Path(*[".."] * (len(Path(from_rel).parent.parts))).joinpath(to_rel).as_posix()


def _dataset_view(lake: Lake, contract: Contract) -> dict:
    page = f"{SITE}/dataset-{contract.dataset}.html"
    entry = read_catalog_entry(lake, contract.dataset)
    evaluations = sorted(_evaluations(lake, contract.dataset), key=lambda e: e["evaluated_at"])
    manifests = iter_manifests(lake, contract.dataset)
    batches = []
    for m in manifests:
        reason = m.refused_reason or m.rejected_reason or m.blocked_reason
        batches.append({
            "batch_id": m.batch_id, "delivery": m.delivery.delivery_id, "signed": m.delivery.signed,
            "landed": m.history[0].at[:16].replace("T", " "), "status": m.status.value, "reason": reason,
            "rows": m.rows_landed, "quarantined": m.rows_quarantined,
            "suppressed": m.masking.rows_suppressed if m.masking else 0,
            "level": m.masking.generalisation_level if m.masking else None,
            "masking": _relative(page, m.masking.report_html) if m.masking and lake.exists(m.masking.report_html) else None,
            "validation": _relative(page, m.validation.data_docs)
            if m.validation and lake.exists(m.validation.data_docs) else None,
        })
    return {"contract": contract, "entry": entry, "evaluation": evaluations[-1] if evaluations else None,
            "evaluations": evaluations, "manifests": manifests, "batches": batches,
            "approvals": iter_approvals(lake, contract.dataset),
            "risk_json": _relative(page, evaluations[-1]["_path"]) if evaluations else None}


def build(lake: Lake, contracts: dict[str, Contract] | None = None, now: dt.datetime | None = None) -> list[str]:
    """Write the site; returns the lake paths of its pages (``reports/site/index.html`` first)."""
    contracts = contracts if contracts is not None else load_contracts()
    env = _environment()
    generated = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    datasets = [_dataset_view(lake, c) for c in sorted(contracts.values(), key=lambda c: c.dataset)]
    pending = [(d["contract"], r) for d in datasets for r in d["approvals"] if r.status == "pending"]
    decided = sorted([(d["contract"], r) for d in datasets for r in d["approvals"] if r.status != "pending"],
                     key=lambda cr: cr[1].decided_at or "", reverse=True)
    scores = scorecard(lake, datasets)
    common = {"generated": generated, "lake": lake.uri(""), "pending_count": len(pending)}
    pages = {
        "index.html": env.get_template("index.html").render(datasets=datasets, pending=pending, **common),
        "approvals.html": env.get_template("approvals.html").render(pending=pending, decided=decided, **common),
        "scorecard.html": env.get_template("scorecard.html").render(scores=scores, chart=chart(scores),
                                                                    on_time_hours=ON_TIME_HOURS, **common),
    }
    for d in datasets:
        pages[f"dataset-{d['contract'].dataset}.html"] = env.get_template("dataset.html").render(d=d, **common)
    written = []
    for name, text in pages.items():
        rel = f"{SITE}/{name}"
        lake.write_text(rel, _no_blank_lines(text))
        written.append(rel)
    return written


def _no_blank_lines(text: str) -> str:
    return re.sub(r"\n\s*\n+", "\n", text)
