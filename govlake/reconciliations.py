"""Cross-department reconciliations, declared as data in ``contracts/reconciliations/*.yaml``.

A reconciliation joins two curated datasets on a pseudonymised key of the same sharing domain
(so the join links records without anyone seeing an identifier) and reports counts only. Each
file is checked once, when loaded: both datasets exist, both keys are columns masked with a
keyed pseudonym, and both datasets share a pseudonym domain (tokens from different domains never
match).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from govlake.config import settings
from govlake.contracts import Contract, load_contracts
from govlake.errors import ContractError

FOLDER = "reconciliations"


@dataclass(frozen=True)
class Side:
    dataset: str
    key: str


@dataclass(frozen=True)
class Reconciliation:
    name: str
    title: str
    owner: str
    left: Side
    right: Side
    path: Path

    @property
    def dag_id(self) -> str:
        return f"govlake_reconcile__{self.name}"


def _side(doc, where: str, contracts: dict[str, Contract]) -> Side:
    if not isinstance(doc, dict) or set(doc) != {"dataset", "key"}:
        raise ContractError(f"{where}: give exactly 'dataset' and 'key'")
    contract = contracts.get(doc["dataset"])
    if contract is None:
        raise ContractError(f"{where}.dataset: no contract for dataset '{doc['dataset']}'")
    column = next((c for c in contract.columns if c.name == doc["key"]), None)
    if column is None:
        raise ContractError(f"{where}.key: {doc['dataset']} has no column '{doc['key']}'")
    if column.personal is None or column.personal.operator != "pseudonym":
        raise ContractError(f"{where}.key: {doc['dataset']}.{doc['key']} is not a pseudonymised column: "
                            "reconciliations join on keyed pseudonyms only")
    return Side(doc["dataset"], doc["key"])


def load_reconciliation_file(path: Path, contracts: dict[str, Contract]) -> Reconciliation:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    allowed = {"name", "title", "owner", "left", "right"}
    if not isinstance(doc, dict) or set(doc) - allowed or not {"name", "left", "right"} <= set(doc):
        raise ContractError(f"{path}: expected keys {', '.join(sorted(allowed))} (name, left and right required)")
    left, right = _side(doc["left"], f"{path}: left", contracts), _side(doc["right"], f"{path}: right", contracts)
    domains = {contracts[s.dataset].pseudonym_domain for s in (left, right)}
    if len(domains) != 1:
        raise ContractError(f"{path}: {left.dataset} and {right.dataset} are in different pseudonym domains "
                            f"({', '.join(sorted(domains))}): their tokens never match")
    name = str(doc["name"])
    if not name.replace("_", "").isalnum():
        raise ContractError(f"{path}: name '{name}' must be letters, digits and underscores")
    return Reconciliation(name=name, title=str(doc.get("title", name)),
                          owner=str(doc.get("owner", contracts[left.dataset].department)), left=left, right=right,
                          path=path)


def load_reconciliations(directory: Path | None = None) -> dict[str, Reconciliation]:
    directory = Path(directory or settings().contracts_dir)
    contracts = load_contracts(directory)
    found: dict[str, Reconciliation] = {}
    for path in sorted((directory / FOLDER).glob("*.yaml")):
        rec = load_reconciliation_file(path, contracts)
        if rec.name in found:
            raise ContractError(f"{path}: reconciliation '{rec.name}' is already defined")
        found[rec.name] = rec
    return found
