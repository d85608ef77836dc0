"""Dataset contracts: the one place a dataset is described.

A contract is a YAML file in ``contracts/``. Adding a department means adding a contract, a
Great Expectations suite and extracts: no code here names a department or a dataset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govlake.config import settings

LEVELS = ("national", "provincial", "city", "district")
FORMATS = ("csv", "jsonl")
_TYPE_RE = re.compile(r"^(string|int|long|double|boolean|date|timestamp|decimal\(\d+,\s*\d+\))$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class ContractError(ValueError):
    """A contract file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class PersonalData:
    entity: str
    operator: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    aliases: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()  # accepted date/timestamp formats, Spark datetime patterns
    personal: PersonalData | None = None
    description: str = ""


@dataclass(frozen=True)
class FreeText:
    column: str
    operators: dict[str, str]  # entity type -> operator; "DEFAULT" applies to the rest


@dataclass(frozen=True)
class AccessGrant:
    principal: str
    purpose: str
    columns: tuple[str, ...] = ("*",)
    row_filter: str | None = None


@dataclass(frozen=True)
class Discovery:
    """How undeclared personal data is looked for in every batch, and what finding it does."""

    on_undeclared: str = "block"  # or "warn"
    sample_rows: int = 200
    min_fraction: float = 0.1  # share of a column's sampled cells with a finding
    threshold: float = 0.5  # minimum detector score
    ignore_columns: tuple[str, ...] = ()  # reviewed: look personal but are not (e.g. company names)


@dataclass(frozen=True)
class GeneraliseStep:
    column: str
    operator: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RiskPolicy:
    """Re-identification risk gate over the quasi-identifiers."""

    k: int = 5
    l: int | None = None  # noqa: E741 - the l of l-diversity
    sensitive: tuple[str, ...] = ()
    generalise: tuple[GeneraliseStep, ...] = ()
    max_suppression: float = 0.05  # share of rows that may be suppressed to reach k


@dataclass(frozen=True)
class Contract:
    dataset: str
    title: str
    department: str
    level: str
    region_code: str
    source_format: str
    encoding: str
    delimiter: str
    file_pattern: str
    columns: tuple[Column, ...]
    quasi_identifiers: tuple[str, ...]
    free_text: tuple[FreeText, ...]
    suite: str
    pseudonym_domain: str
    access: tuple[AccessGrant, ...]
    schedule: str | None
    path: Path
    discovery: Discovery = field(default_factory=Discovery)
    risk: RiskPolicy = field(default_factory=RiskPolicy)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def personal_columns(self) -> list[Column]:
        return [c for c in self.columns if c.personal is not None]

    @property
    def free_text_columns(self) -> list[str]:
        return [f.column for f in self.free_text]

    @property
    def dag_id(self) -> str:
        return f"govlake__{self.dataset}"

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _require(doc: dict, key: str, where: str) -> Any:
    if key not in doc or doc[key] in (None, ""):
        raise ContractError(f"{where}: missing required field '{key}'")
    return doc[key]


def parse_contract(doc: dict, path: Path) -> Contract:
    where = str(path)
    if not isinstance(doc, dict):
        raise ContractError(f"{where}: a contract must be a mapping")
    dataset = _require(doc, "dataset", where)
    if not _NAME_RE.match(dataset):
        raise ContractError(f"{where}: dataset '{dataset}' must be lower_snake_case")
    owner = _require(doc, "owner", where)
    level = _require(owner, "level", f"{where}: owner")
    if level not in LEVELS:
        raise ContractError(f"{where}: owner.level '{level}' is not one of {LEVELS}")
    source = _require(doc, "source", where)
    fmt = _require(source, "format", f"{where}: source")
    if fmt not in FORMATS:
        raise ContractError(f"{where}: source.format '{fmt}' is not one of {FORMATS}")
    encoding = source.get("encoding", "utf-8")
    try:
        "".encode(encoding)
    except LookupError as exc:
        raise ContractError(f"{where}: source.encoding '{encoding}' is unknown") from exc

    columns = []
    for i, col in enumerate(_require(doc, "schema", where)):
        cwhere = f"{where}: schema[{i}]"
        name = _require(col, "name", cwhere)
        if not _NAME_RE.match(name):
            raise ContractError(f"{cwhere}: column name '{name}' must be lower_snake_case")
        ctype = str(col.get("type", "string")).replace(" ", "")
        if not _TYPE_RE.match(ctype):
            raise ContractError(f"{cwhere}: column '{name}' has unsupported type '{ctype}'")
        personal = None
        if col.get("personal"):
            p = col["personal"]
            personal = PersonalData(
                entity=_require(p, "entity", f"{cwhere}.personal"),
                operator=_require(p, "operator", f"{cwhere}.personal"),
                params=dict(p.get("params") or {}),
            )
        formats = col.get("formats") or ([col["format"]] if col.get("format") else [])
        columns.append(
            Column(
                name=name,
                type=ctype,
                nullable=bool(col.get("nullable", True)),
                aliases=tuple(str(a) for a in col.get("aliases") or ()),
                formats=tuple(formats),
                personal=personal,
                description=str(col.get("description", "")),
            )
        )
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ContractError(f"{where}: duplicate column names in schema")

    free_text = []
    for i, ft in enumerate(doc.get("free_text") or ()):
        col = _require(ft, "column", f"{where}: free_text[{i}]")
        if col not in names:
            raise ContractError(f"{where}: free_text column '{col}' is not in the schema")
        free_text.append(FreeText(col, dict(ft.get("operators") or {"DEFAULT": "redact"})))

    qis = tuple(doc.get("quasi_identifiers") or ())
    for q in qis:
        if q not in names:
            raise ContractError(f"{where}: quasi-identifier '{q}' is not in the schema")

    disc_doc = doc.get("discovery") or {}
    if disc_doc.get("on_undeclared", "block") not in ("block", "warn"):
        raise ContractError(f"{where}: discovery.on_undeclared must be 'block' or 'warn'")
    for col in disc_doc.get("ignore_columns") or ():
        if col not in names:
            raise ContractError(f"{where}: discovery.ignore_columns names '{col}', which is not in the schema")
    discovery = Discovery(
        on_undeclared=disc_doc.get("on_undeclared", "block"),
        sample_rows=int(disc_doc.get("sample_rows", 200)),
        min_fraction=float(disc_doc.get("min_fraction", 0.1)),
        threshold=float(disc_doc.get("threshold", 0.5)),
        ignore_columns=tuple(disc_doc.get("ignore_columns") or ()),
    )
    risk_doc = doc.get("risk") or {}
    steps = []
    for i, step in enumerate(risk_doc.get("generalise") or ()):
        swhere = f"{where}: risk.generalise[{i}]"
        col = _require(step, "column", swhere)
        if col not in qis:
            raise ContractError(f"{swhere}: column '{col}' is not a quasi-identifier")
        steps.append(GeneraliseStep(col, _require(step, "operator", swhere), dict(step.get("params") or {})))
    for col in risk_doc.get("sensitive") or ():
        if col not in names:
            raise ContractError(f"{where}: risk.sensitive names '{col}', which is not in the schema")
    risk = RiskPolicy(
        k=int(risk_doc.get("k", 5)),
        l=int(risk_doc["l"]) if risk_doc.get("l") is not None else None,
        sensitive=tuple(risk_doc.get("sensitive") or ()),
        generalise=tuple(steps),
        max_suppression=float(risk_doc.get("max_suppression", 0.05)),
    )

    access = tuple(
        AccessGrant(
            principal=_require(a, "principal", f"{where}: access[{i}]"),
            purpose=_require(a, "purpose", f"{where}: access[{i}]"),
            columns=tuple(a.get("columns") or ("*",)),
            row_filter=a.get("row_filter"),
        )
        for i, a in enumerate(doc.get("access") or ())
    )
    return Contract(
        dataset=dataset,
        title=str(doc.get("title", dataset)),
        department=_require(owner, "department", f"{where}: owner"),
        level=level,
        region_code=str(_require(owner, "region_code", f"{where}: owner")),
        source_format=fmt,
        encoding=encoding,
        delimiter=source.get("delimiter", ","),
        file_pattern=source.get("file_pattern", "*.csv" if fmt == "csv" else "*.jsonl"),
        columns=tuple(columns),
        quasi_identifiers=qis,
        free_text=tuple(free_text),
        suite=doc.get("expectations", dataset),
        pseudonym_domain=doc.get("pseudonym_domain", "default"),
        access=access,
        schedule=doc.get("schedule"),
        path=path,
        discovery=discovery,
        risk=risk,
    )


def load_contract_file(path: Path) -> Contract:
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML: {exc}") from exc
    return parse_contract(doc, Path(path))


def load_contracts(directory: Path | None = None) -> dict[str, Contract]:
    directory = Path(directory or settings().contracts_dir)
    contracts: dict[str, Contract] = {}
    for path in sorted(directory.glob("*.yaml")):
        contract = load_contract_file(path)
        if contract.dataset in contracts:
            raise ContractError(f"{path}: dataset '{contract.dataset}' is already defined")
        contracts[contract.dataset] = contract
    return contracts


def load_contract(dataset: str, directory: Path | None = None) -> Contract:
    contracts = load_contracts(directory)
    if dataset not in contracts:
        raise ContractError(f"no contract for dataset '{dataset}' (known: {', '.join(sorted(contracts))})")
    return contracts[dataset]
