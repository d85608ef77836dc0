"""The access model, computed from the contracts and the principals registry.

One place answers "who may read or write what": the principals, their grants (which audience
view of which dataset, which columns, for what purpose, until when) and the views publication
materialises. ``govlake policy sync`` turns the same answers into object-store users and bucket
policies, so what govlake says and what the store enforces cannot drift apart.

A view is one audience of one dataset for one administrative scope: every grantee of the
audience whose scope is the same reads the same view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from govlake.config import settings
from govlake.contracts import Audience, Contract, load_contracts
from govlake.principals import PUBLIC, SERVICE, Principal, Registry, load_registry

ALL_REGIONS = "all"


@dataclass(frozen=True)
class View:
    """What one audience of one dataset sees, for one administrative scope."""

    dataset: str
    audience: Audience
    scope: str  # region-code prefix; "" means every row

    @property
    def name(self) -> str:
        """``<audience>`` for the public, else ``<audience>__<scope>`` (``all`` for every region)."""
        if self.audience.public:
            return self.audience.name
        return f"{self.audience.name}__{self.scope or ALL_REGIONS}"


@dataclass(frozen=True)
class Grant:
    dataset: str
    audience: str
    view: str
    columns: tuple[str, ...]
    purpose: str
    expires: dt.date | None
    scope: str

    def as_dict(self) -> dict:
        return {"dataset": self.dataset, "audience": self.audience, "view": self.view, "columns": list(self.columns),
                "purpose": self.purpose, "expires": self.expires.isoformat() if self.expires else None,
                "scope": self.scope or ALL_REGIONS}


@dataclass
class AccessModel:
    contracts: dict[str, Contract]
    registry: Registry
    today: dt.date = field(default_factory=dt.date.today)

    @classmethod
    def load(cls, today: dt.date | None = None) -> AccessModel:
        contracts = load_contracts()
        return cls(contracts, load_registry(settings().contracts_dir), today or dt.date.today())

    # -- principals -----------------------------------------------------------------------------
    def departments(self) -> dict[str, list[str]]:
        """Department -> the datasets it delivers."""
        out: dict[str, list[str]] = {}
        for c in self.contracts.values():
            out.setdefault(c.department, []).append(c.dataset)
        return out

    def principals(self) -> list[Principal]:
        found = [Principal(d, "department") for d in sorted(self.departments())]
        found.append(Principal(SERVICE, "service"))
        found += sorted(self.registry.analysts.values(), key=lambda p: p.name)
        found += sorted(self.registry.privacy_officers.values(), key=lambda p: p.name)
        found.append(Principal(PUBLIC, "public"))
        return found

    def principal(self, name: str) -> Principal | None:
        return next((p for p in self.principals() if p.name == name), None)

    # -- views and grants -------------------------------------------------------------------------
    def views(self, dataset: str) -> list[View]:
        """Every view a publication of ``dataset`` materialises (expired audiences included: a view
        is withdrawn by revoking access to it, and published again if the grant is renewed)."""
        c = self.contracts[dataset]
        out = []
        for audience in c.access:
            if audience.public:
                out.append(View(dataset, audience, ""))
                continue
            scopes = sorted({p.scope for p in self.registry.expand(audience.grantees)})
            out += [View(dataset, audience, s) for s in scopes]
        return out

    def grants(self, principal: Principal, include_expired: bool = False) -> list[Grant]:
        out = []
        for c in self.contracts.values():
            for view in self.views(c.dataset):
                a = view.audience
                if a.expired(self.today) and not include_expired:
                    continue
                public = principal.kind == "public" and a.public
                granted = principal.kind == "analyst" and not a.public and principal.scope == view.scope and \
                    principal.name in {p.name for p in self.registry.expand(a.grantees)}
                if public or granted:
                    out.append(Grant(c.dataset, a.name, view.name, a.columns if not a.public else
                                     (*a.aggregate_by, "people"), a.purpose, a.expires, view.scope))
        return out

    def readers(self, view: View) -> list[Principal]:
        """Who may read a view today (the public view: everyone)."""
        a = view.audience
        if a.expired(self.today):
            return []
        if a.public:
            return [Principal(PUBLIC, "public")]
        return [p for p in self.registry.expand(a.grantees) if p.scope == view.scope]

    def describe(self) -> list[dict]:
        """``govlake principals --format json``: every principal, its kind and its grants."""
        out = []
        for p in self.principals():
            grants = [g.as_dict() for g in self.grants(p, include_expired=True)]
            for g in grants:
                g["expired"] = bool(g["expires"]) and dt.date.fromisoformat(g["expires"]) < self.today
            entry = {"principal": p.name, "kind": p.kind, "grants": grants}
            if p.kind == "department":
                entry["writes"] = [f"landing/{d}/" for d in self.departments()[p.name]]
            if p.kind == "analyst":
                entry["level"], entry["region_code"], entry["groups"] = p.level, p.region_code, list(p.groups)
            if p.kind == "privacy_officer":
                entry["reads"] = ["reports/", "catalog/", "audit/"]
            if p.kind == "service":
                entry["reads"] = entry["writes"] = ["the whole lake"]
            out.append(entry)
        return out
