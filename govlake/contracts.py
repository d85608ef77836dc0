"""Dataset contracts: the one place a dataset is described.

A contract is a YAML file in ``contracts/``. Adding a department means adding a contract, a
Great Expectations suite and extracts: no code here names a department or a dataset.

A contract is checked once, here, when it is loaded: unknown keys, unknown masking operators
and parameters an operator does not take are refused with the file and the key named. Nothing
downstream re-checks it.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govlake.config import settings
from govlake.errors import ContractError
from govlake.principals import REGISTRY_FILE, load_registry
from masking.operators import OPERATORS
from masking.risk import SHARING_MODELS as _RISK_MODELS

LEVELS = ("national", "provincial", "city", "district")
FORMATS = ("csv", "jsonl")
MODES = ("snapshot", "increment")
SIGNATURE_POLICIES = ("required", "optional")
DRIFT_POLICIES = ("reject", "allow")
DEFAULT_MAX_RECORD_BYTES = 1 << 20
# GB/T 42460's sharing models, named where their thresholds are defined.
SHARING_MODELS = tuple(_RISK_MODELS)
CONTEXT_RISKS = ("deliberate_attack", "inadvertent_recognition", "breach")
COLUMN_CLASSES = ("direct_identifier", "quasi_identifier", "sensitive", "other")
_TYPE_RE = re.compile(r"^(string|int|long|double|boolean|date|timestamp|decimal\(\d+,\s*\d+\))$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

# The keys each part of a contract may hold; anything else is a typo or a misunderstanding.
KEYS = {
    "": {"dataset", "title", "owner", "schedule", "source", "delivery", "schema", "quasi_identifiers", "free_text",
         "risk", "discovery", "expectations", "pseudonym_domain", "access", "region", "classification"},
    "owner": {"department", "level", "region_code", "contact"},
    "source": {"format", "encoding", "delimiter", "file_pattern", "missing_columns", "extra_columns",
               "max_record_bytes"},
    "delivery": {"mode", "signature", "max_signature_age_days"},
    "schema[]": {"name", "type", "nullable", "aliases", "formats", "format", "personal", "description"},
    "personal": {"entity", "operator", "params"},
    "free_text[]": {"column", "operators"},
    "risk": {"k", "l", "sensitive", "generalise", "max_suppression", "routine_suppression", "context"},
    "risk.context": set(CONTEXT_RISKS),
    "risk.context.*": {"value", "set_by", "reason"},
    "classification.*": {"class", "reviewer", "reason"},
    "risk.generalise[]": {"column", "operator", "params"},
    "discovery": {"on_undeclared", "sample_rows", "min_fraction", "threshold", "ignore_columns"},
    "access[]": {"audience", "grantees", "purpose", "columns", "row_filter", "expires", "public", "aggregate",
                 "sharing_model"},
    "aggregate": {"by", "min_count"},
    "region": {"column", "codes"},
}


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
class Audience:
    """A grant: who may read which columns and rows of a dataset, for what, until when.

    Publishing materialises one view per audience and administrative scope of its grantees;
    a public audience gets aggregates only, with cells under ``min_count`` people suppressed.
    """

    name: str
    purpose: str
    grantees: tuple[str, ...] = ()  # analysts or groups (contracts/principals.yaml)
    columns: tuple[str, ...] = ("*",)
    row_filter: str | None = None  # Spark SQL over the curated columns
    expires: dt.date | None = None
    public: bool = False
    aggregate_by: tuple[str, ...] = ()
    min_count: int = 20
    # public: open release (aggregates only); controlled: sharing between departments under an
    # agreement (the default for grantees); enclave: data never leaves a controlled environment.
    sharing_model: str = "controlled"

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires


@dataclass(frozen=True)
class Region:
    """Where each row belongs (its GB/T 2260 region code), for scoping audiences by administrative level.

    ``column`` holds either codes or names mapped by ``codes``; with no column every row belongs
    to the owner's region.
    """

    column: str | None = None
    codes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """How the department's files look: format, encoding, and what drift is tolerated."""

    format: str
    encoding: str = "utf-8"
    delimiter: str = ","
    file_pattern: str = "*.csv"
    missing_columns: str = "reject"  # a contract column absent from a file's header: reject or allow (null)
    extra_columns: str = "allow"  # a header column the contract does not know: allow (recorded) or reject
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries accumulate and whether they must be signed."""

    mode: str  # snapshot: the newest delivery replaces the dataset; increment: deliveries add up
    signature: str = "required"  # required: unsigned deliveries are refused; optional: accepted with a warning
    max_signature_age_days: int | None = 30  # a signed manifest older than this is stale


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
class ContextRisk:
    """One estimated probability behind the context risk of a non-public release, with who set it and why."""

    name: str  # deliberate_attack, inadvertent_recognition or breach
    value: float
    set_by: str
    reason: str


@dataclass(frozen=True)
class RiskPolicy:
    """Re-identification risk gate over the quasi-identifiers."""

    k: int = 5
    l: int | None = None
    sensitive: tuple[str, ...] = ()
    generalise: tuple[GeneraliseStep, ...] = ()
    max_suppression: float = 0.05  # share of rows that may be suppressed to reach k
    routine_suppression: float = 0.01  # above this share a release waits for a privacy officer
    context: tuple[ContextRisk, ...] = ()  # none: a non-public release's context risk is taken as 1


@dataclass(frozen=True)
class ColumnReview:
    """A reviewer's classification of a column, overriding what the contract's other parts imply."""

    column: str
    column_class: str  # one of COLUMN_CLASSES
    reviewer: str
    reason: str


@dataclass(frozen=True)
class Contract:
    dataset: str
    title: str
    department: str
    level: str
    region_code: str
    source: Source
    delivery: DeliveryPolicy
    columns: tuple[Column, ...]
    quasi_identifiers: tuple[str, ...]
    free_text: tuple[FreeText, ...]
    suite: str
    pseudonym_domain: str
    access: tuple[Audience, ...]
    schedule: str | None
    path: Path
    sha256: str  # of the contract file: what a release or a refusal was decided under
    discovery: Discovery = field(default_factory=Discovery)
    risk: RiskPolicy = field(default_factory=RiskPolicy)
    region: Region = field(default_factory=Region)
    reviews: tuple[ColumnReview, ...] = ()

    # The source settings most code needs, by their old names.
    @property
    def source_format(self) -> str:
        return self.source.format

    @property
    def encoding(self) -> str:
        return self.source.encoding

    @property
    def delimiter(self) -> str:
        return self.source.delimiter

    @property
    def file_pattern(self) -> str:
        return self.source.file_pattern

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
    def subject_column(self) -> Column | None:
        """The column that says whom a row is about: the first pseudonymised identifier (contracts list
        the subject's identifier before identifiers of others, such as an employer or a legal
        representative). Erasing a subject removes the rows about them; elsewhere their pseudonym is cleared."""
        return next((c for c in self.personal_columns if c.personal.operator == "pseudonym"), None)

    @property
    def dag_id(self) -> str:
        return f"govlake__{self.dataset}"

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


class _Checker:
    """Reads one contract document, naming the file and the key in every complaint."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, message: str) -> ContractError:
        return ContractError(f"{self.path}: {where + ': ' if where else ''}{message}")

    def mapping(self, doc: Any, where: str, kind: str) -> dict:
        if doc is None:
            return {}
        if not isinstance(doc, dict):
            raise self.fail(where, "must be a mapping of keys to values")
        unknown = sorted(str(k) for k in doc if k not in KEYS[kind])
        if unknown:
            raise self.fail(where, f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(repr(k) for k in unknown)} "
                                   f"(known: {', '.join(sorted(KEYS[kind]))})")
        return doc

    def columns_mapping(self, doc: Any, where: str) -> dict:
        """A mapping keyed by column names (checked by the caller)."""
        if doc is None:
            return {}
        if not isinstance(doc, dict):
            raise self.fail(where, "must be a mapping of column names to values")
        return doc

    def sequence(self, doc: Any, where: str) -> list:
        if doc is None:
            return []
        if not isinstance(doc, list):
            raise self.fail(where, "must be a list")
        return doc

    def require(self, doc: dict, key: str, where: str) -> Any:
        if key not in doc or doc[key] in (None, ""):
            raise self.fail(where, f"missing required field '{key}'")
        return doc[key]

    def choice(self, doc: dict, key: str, where: str, options: tuple[str, ...], default: str | None = None) -> str:
        value = doc.get(key, default)
        if value not in options:
            name = f"{where}.{key}" if where else key
            raise self.fail("", f"{name} '{value}' is not one of {', '.join(options)}")
        return value

    def operator(self, name: Any, params: Any, where: str, columns: list[str]) -> dict:
        if name not in OPERATORS:
            raise self.fail(where, f"unknown masking operator '{name}' (known: {', '.join(sorted(OPERATORS))})")
        if params is not None and not isinstance(params, dict):
            raise self.fail(f"{where}.params", "must be a mapping")
        params = dict(params or {})
        problems = OPERATORS[name].check_params(params)
        if problems:
            raise self.fail(f"{where}.params", f"{name}: {'; '.join(problems)}")
        if "person_column" in params and params["person_column"] not in columns:
            raise self.fail(f"{where}.params", f"person_column '{params['person_column']}' is not in the schema")
        return params


def parse_contract(doc: Any, path: Path, sha256: str = "") -> Contract:
    check = _Checker(path)
    if not isinstance(doc, dict):
        raise check.fail("", "a contract must be a mapping")
    check.mapping(doc, "", "")
    dataset = check.require(doc, "dataset", "")
    if not isinstance(dataset, str) or not _NAME_RE.match(dataset):
        raise check.fail("", f"dataset '{dataset}' must be lower_snake_case")
    owner = check.mapping(check.require(doc, "owner", ""), "owner", "owner")
    level = check.choice(owner, "level", "owner", LEVELS)
    check.require(owner, "department", "owner")
    check.require(owner, "region_code", "owner")

    source_doc = check.mapping(check.require(doc, "source", ""), "source", "source")
    fmt = check.choice(source_doc, "format", "source", FORMATS)
    encoding = source_doc.get("encoding", "utf-8")
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise check.fail("", f"source.encoding '{encoding}' is unknown") from None
    delimiter = source_doc.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise check.fail("source", "delimiter must be one character other than a quote or a line break")
    max_record = source_doc.get("max_record_bytes", DEFAULT_MAX_RECORD_BYTES)
    if not isinstance(max_record, int) or max_record < 1024:
        raise check.fail("source", "max_record_bytes must be a whole number of at least 1024")
    source = Source(
        format=fmt, encoding=encoding, delimiter=delimiter,
        file_pattern=str(source_doc.get("file_pattern", "*.csv" if fmt == "csv" else "*.jsonl")),
        missing_columns=check.choice(source_doc, "missing_columns", "source", DRIFT_POLICIES, "reject"),
        extra_columns=check.choice(source_doc, "extra_columns", "source", DRIFT_POLICIES, "allow"),
        max_record_bytes=max_record,
    )
    delivery_doc = check.mapping(check.require(doc, "delivery", ""), "delivery", "delivery")
    max_age = delivery_doc.get("max_signature_age_days", 30)
    if max_age is not None and (not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 1):
        raise check.fail("delivery", "max_signature_age_days must be a whole number of days, or null for no limit")
    delivery = DeliveryPolicy(mode=check.choice(delivery_doc, "mode", "delivery", MODES),
                              signature=check.choice(delivery_doc, "signature", "delivery", SIGNATURE_POLICIES,
                                                     "required"),
                              max_signature_age_days=max_age)

    columns = []
    for i, col in enumerate(check.sequence(check.require(doc, "schema", ""), "schema")):
        cwhere = f"schema[{i}]"
        col = check.mapping(col, cwhere, "schema[]")
        name = check.require(col, "name", cwhere)
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise check.fail(cwhere, f"column name '{name}' must be lower_snake_case")
        ctype = str(col.get("type", "string")).replace(" ", "")
        if not _TYPE_RE.match(ctype):
            raise check.fail(cwhere, f"column '{name}' has unsupported type '{ctype}'")
        personal = None
        if col.get("personal"):
            p = check.mapping(col["personal"], f"{cwhere}.personal", "personal")
            personal = PersonalData(entity=check.require(p, "entity", f"{cwhere}.personal"),
                                    operator=check.require(p, "operator", f"{cwhere}.personal"),
                                    params=dict(p.get("params") or {}))
        formats = col.get("formats") or ([col["format"]] if col.get("format") else [])
        columns.append(Column(name=name, type=ctype, nullable=bool(col.get("nullable", True)),
                              aliases=tuple(str(a) for a in check.sequence(col.get("aliases"), f"{cwhere}.aliases")),
                              formats=tuple(formats), personal=personal,
                              description=str(col.get("description", ""))))
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise check.fail("schema", "duplicate column names")
    for i, col in enumerate(columns):
        if col.personal:
            check.operator(col.personal.operator, col.personal.params, f"schema[{i}].personal", names)

    free_text = []
    for i, ft in enumerate(check.sequence(doc.get("free_text"), "free_text")):
        fwhere = f"free_text[{i}]"
        ft = check.mapping(ft, fwhere, "free_text[]")
        col = check.require(ft, "column", fwhere)
        if col not in names:
            raise check.fail("", f"free_text column '{col}' is not in the schema")
        operators = dict(ft.get("operators") or {"DEFAULT": "redact"})
        for entity, op in operators.items():
            check.operator(op, None, f"{fwhere}.operators.{entity}", names)
        free_text.append(FreeText(col, operators))

    qis = tuple(check.sequence(doc.get("quasi_identifiers"), "quasi_identifiers"))
    for q in qis:
        if q not in names:
            raise check.fail("", f"quasi-identifier '{q}' is not in the schema")

    disc_doc = check.mapping(doc.get("discovery"), "discovery", "discovery")
    on_undeclared = check.choice(disc_doc, "on_undeclared", "discovery", ("block", "warn"), "block")
    for col in check.sequence(disc_doc.get("ignore_columns"), "discovery.ignore_columns"):
        if col not in names:
            raise check.fail("", f"discovery.ignore_columns names '{col}', which is not in the schema")
    discovery = Discovery(
        on_undeclared=on_undeclared,
        sample_rows=int(disc_doc.get("sample_rows", 200)),
        min_fraction=float(disc_doc.get("min_fraction", 0.1)),
        threshold=float(disc_doc.get("threshold", 0.5)),
        ignore_columns=tuple(disc_doc.get("ignore_columns") or ()),
    )
    risk_doc = check.mapping(doc.get("risk"), "risk", "risk")
    steps = []
    for i, step in enumerate(check.sequence(risk_doc.get("generalise"), "risk.generalise")):
        swhere = f"risk.generalise[{i}]"
        step = check.mapping(step, swhere, "risk.generalise[]")
        col = check.require(step, "column", swhere)
        if col not in qis:
            raise check.fail(swhere, f"column '{col}' is not a quasi-identifier")
        op = check.require(step, "operator", swhere)
        steps.append(GeneraliseStep(col, op, check.operator(op, step.get("params"), swhere, names)))
    for col in check.sequence(risk_doc.get("sensitive"), "risk.sensitive"):
        if col not in names:
            raise check.fail("", f"risk.sensitive names '{col}', which is not in the schema")
    context = []
    context_doc = check.mapping(risk_doc.get("context"), "risk.context", "risk.context")
    for name, item in context_doc.items():
        cwhere = f"risk.context.{name}"
        item = check.mapping(item, cwhere, "risk.context.*")
        value = check.require(item, "value", cwhere)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise check.fail(cwhere, "value must be a probability between 0 and 1")
        set_by, reason = check.require(item, "set_by", cwhere), check.require(item, "reason", cwhere)
        if not str(set_by).strip() or not str(reason).strip():
            raise check.fail(cwhere, "set_by and reason must say who estimated the probability and why")
        context.append(ContextRisk(name, float(value), str(set_by), str(reason)))
    shares: dict[str, float] = {}
    for key, default in (("max_suppression", 0.05), ("routine_suppression", None)):
        value = risk_doc.get(key, default)
        if value is None:  # 1% by default, or less when the contract allows less suppression than that
            value = min(0.01, shares["max_suppression"])
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise check.fail(f"risk.{key}", "must be a share of rows between 0 and 1")
        shares[key] = float(value)
    if shares["routine_suppression"] > shares["max_suppression"]:
        raise check.fail("risk.routine_suppression", f"{shares['routine_suppression']} is above max_suppression "
                         f"{shares['max_suppression']}: no batch could need an approval for suppressing more")
    risk = RiskPolicy(
        context=tuple(context),
        k=int(risk_doc.get("k", 5)),
        l=int(risk_doc["l"]) if risk_doc.get("l") is not None else None,
        sensitive=tuple(risk_doc.get("sensitive") or ()),
        generalise=tuple(steps),
        max_suppression=shares["max_suppression"],
        routine_suppression=shares["routine_suppression"],
    )

    access = []
    personal = {c.name for c in columns if c.personal}
    for i, a in enumerate(check.sequence(doc.get("access"), "access")):
        awhere = f"access[{i}]"
        a = check.mapping(a, awhere, "access[]")
        name = check.require(a, "audience", awhere)
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise check.fail(awhere, f"audience '{name}' must be lower_snake_case")
        if name in {x.name for x in access}:
            raise check.fail(awhere, f"audience '{name}' is defined twice")
        cols = tuple(a.get("columns") or ("*",))
        for col in cols:
            if col != "*" and col not in names:
                raise check.fail(awhere, f"column '{col}' is not in the schema")
        expires = a.get("expires")
        if expires is not None:
            try:
                expires = expires if isinstance(expires, dt.date) else dt.date.fromisoformat(str(expires))
            except ValueError:
                raise check.fail(awhere, f"expires '{expires}' is not a date (YYYY-MM-DD)") from None
        public = bool(a.get("public", False))
        agg = check.mapping(a.get("aggregate"), f"{awhere}.aggregate", "aggregate")
        by = tuple(check.sequence(agg.get("by"), f"{awhere}.aggregate.by"))
        for col in by:
            if col not in names:
                raise check.fail(f"{awhere}.aggregate", f"column '{col}' is not in the schema")
            if col in personal:
                raise check.fail(f"{awhere}.aggregate", f"'{col}' is personal data: a public table cannot be "
                                                        "broken down by it")
        grantees = tuple(str(g) for g in check.sequence(a.get("grantees"), f"{awhere}.grantees"))
        if public and (grantees or not by):
            raise check.fail(awhere, "a public audience names no grantees and needs aggregate.by columns")
        if not public and (not grantees or by):
            raise check.fail(awhere, "an audience names its grantees (analysts or groups); aggregate is for public "
                                     "audiences only")
        min_count = agg.get("min_count", 20)
        if not isinstance(min_count, int) or isinstance(min_count, bool) or min_count < 1:
            raise check.fail(f"{awhere}.aggregate", "min_count must be a whole number of people, at least 1")
        model = check.choice(a, "sharing_model", awhere, SHARING_MODELS, "public" if public else "controlled")
        if public != (model == "public"):
            raise check.fail(awhere, "a public audience is a public release (sharing_model: public), and only a "
                                     "public audience is")
        access.append(Audience(name=name, purpose=check.require(a, "purpose", awhere), grantees=grantees,
                               columns=cols, row_filter=a.get("row_filter"), expires=expires, public=public,
                               aggregate_by=by, min_count=min_count, sharing_model=model))
    region_doc = check.mapping(doc.get("region"), "region", "region")
    region = Region(column=region_doc.get("column"), codes={str(k): str(v) for k, v in
                                                             (region_doc.get("codes") or {}).items()})
    if region.column is not None and region.column not in names:
        raise check.fail("region", f"column '{region.column}' is not in the schema")
    for k, v in region.codes.items():
        if not re.match(r"^[0-9]{6}$", v):
            raise check.fail("region.codes", f"'{k}' maps to '{v}', which is not a six-digit region code")
    reviews = []
    for col, item in check.columns_mapping(doc.get("classification"), "classification").items():
        rwhere = f"classification.{col}"
        if col not in names:
            raise check.fail("classification", f"column '{col}' is not in the schema")
        item = check.mapping(item, rwhere, "classification.*")
        reviews.append(ColumnReview(col, check.choice(item, "class", rwhere, COLUMN_CLASSES),
                                    str(check.require(item, "reviewer", rwhere)), str(check.require(item, "reason", rwhere))))
    return Contract(
        dataset=dataset,
        title=str(doc.get("title", dataset)),
        department=str(owner["department"]),
        level=level,
        region_code=str(owner["region_code"]),
        source=source,
        delivery=delivery,
        columns=tuple(columns),
        quasi_identifiers=qis,
        free_text=tuple(free_text),
        suite=doc.get("expectations", dataset),
        pseudonym_domain=doc.get("pseudonym_domain", "default"),
        access=tuple(access),
        schedule=doc.get("schedule"),
        path=path,
        sha256=sha256,
        discovery=discovery,
        risk=risk,
        region=region,
        reviews=tuple(reviews),
    )


def load_contract_file(path: Path) -> Contract:
    path = Path(path)
    raw = path.read_bytes()
    try:
        doc = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ContractError(f"{path}: not valid UTF-8 YAML: {exc}") from None
    return parse_contract(doc, path, hashlib.sha256(raw).hexdigest())


def load_contracts(directory: Path | None = None) -> dict[str, Contract]:
    """Every contract in the folder, checked, with their grantees checked against the principals registry."""
    directory = Path(directory or settings().contracts_dir)
    contracts: dict[str, Contract] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == REGISTRY_FILE:
            continue
        contract = load_contract_file(path)
        if contract.dataset in contracts:
            raise ContractError(f"{path}: dataset '{contract.dataset}' is already defined")
        contracts[contract.dataset] = contract
    registry = load_registry(directory)
    for c in contracts.values():
        for i, audience in enumerate(c.access):
            unknown = [g for g in audience.grantees if not registry.knows(g)]
            if unknown:
                raise ContractError(f"{c.path}: access[{i}]: grantee(s) {', '.join(unknown)} are neither analysts nor "
                                    f"groups in {directory / REGISTRY_FILE}")
    return contracts


def load_contract(dataset: str, directory: Path | None = None) -> Contract:
    contracts = load_contracts(directory)
    if dataset not in contracts:
        raise ContractError(f"no contract for dataset '{dataset}' (known: {', '.join(sorted(contracts))})")
    return contracts[dataset]
