"""The erasure register and the rule that applies it, in Spark (at publish) and in Arrow (at erasure).

A subject is found by pseudonym, never by identifier: the identifier given to ``govlake erase`` is
turned into the keyed token of every sharing domain and then forgotten. The register
(``work/_erasures/register.json``, readable by the service only) keeps those tokens, so a later
publish, a re-masked batch or tomorrow's full snapshot from the department cannot bring the
subject back.

The rule, for one dataset: rows whose subject column (:attr:`Contract.subject_column`) holds an
erased token are removed; another pseudonymised column holding one (an erased person as a
company's legal representative) is cleared to null; a token inside free text becomes ``[erased]``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from govlake import paths
from govlake.contracts import Contract
from govlake.storage import Lake

ERASED_TEXT = "[erased]"
SUBJECT_KINDS = {"resident_id": "CN_RESIDENT_ID", "credit_code": "CN_USCC"}


@dataclass
class Register:
    entries: list[dict] = field(default_factory=list)  # {erasure_id, domain, entity, token, at}

    def tokens(self, domain: str, entity: str | None = None) -> set[str]:
        return {e["token"] for e in self.entries if e["domain"] == domain and (entity is None or e["entity"] == entity)}

    def add(self, erasure_id: str, domain: str, entity: str, token: str) -> None:
        if token not in self.tokens(domain, entity):
            self.entries.append({"erasure_id": erasure_id, "domain": domain, "entity": entity, "token": token,
                                 "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})


def load_register(lake: Lake) -> Register:
    rel = paths.erasure_register()
    return Register(lake.read_json(rel)["entries"]) if lake.exists(rel) else Register()


def save_register(lake: Lake, register: Register) -> None:
    lake.write_json(paths.erasure_register(), {"entries": register.entries})


@dataclass(frozen=True)
class Targets:
    """What to look for in one dataset: the subject's tokens, by column."""

    subject: str | None
    subject_tokens: frozenset[str]
    cleared: dict[str, frozenset[str]]  # other pseudonymised column -> tokens to clear
    text: tuple[str, ...]  # free-text columns
    text_tokens: frozenset[str]

    @property
    def empty(self) -> bool:
        return not (self.subject_tokens or any(self.cleared.values()) or self.text_tokens)


def targets(contract: Contract, register: Register) -> Targets:
    domain = contract.pseudonym_domain
    subject = contract.subject_column
    cleared = {c.name: frozenset(register.tokens(domain, c.personal.entity)) for c in contract.personal_columns
               if c.personal.operator == "pseudonym" and (subject is None or c.name != subject.name)}
    return Targets(subject=subject.name if subject else None,
                   subject_tokens=frozenset(register.tokens(domain, subject.personal.entity)) if subject else frozenset(),
                   cleared={k: v for k, v in cleared.items() if v},
                   text=tuple(contract.free_text_columns), text_tokens=frozenset(register.tokens(domain)))


def without_erased(df, contract: Contract, register: Register):
    """A Spark DataFrame with the register applied (at publish)."""
    from pyspark.sql import functions as F

    t = targets(contract, register)
    if t.empty:
        return df
    if t.subject and t.subject_tokens:
        df = df.where(F.col(t.subject).isNull() | ~F.col(t.subject).isin(*sorted(t.subject_tokens)))
    for column, tokens in t.cleared.items():
        df = df.withColumn(column, F.when(F.col(column).isin(*sorted(tokens)), F.lit(None)).otherwise(F.col(column)))
    if t.text_tokens:
        pattern = "|".join(sorted(t.text_tokens))  # tokens are [A-Za-z0-9_] only: no escaping needed
        for column in t.text:
            df = df.withColumn(column, F.regexp_replace(F.col(column), pattern, ERASED_TEXT))
    return df


def apply_arrow(table, t: Targets):
    """An Arrow table with the rule applied; returns (table, rows removed, cells changed)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    before = table.num_rows
    changed = 0
    if t.subject and t.subject_tokens and t.subject in table.column_names:
        hit = pc.fill_null(pc.is_in(table[t.subject], pa.array(sorted(t.subject_tokens))), False)
        table = table.filter(pc.invert(hit))
    for column, tokens in t.cleared.items():
        if column in table.column_names:
            hit = pc.fill_null(pc.is_in(table[column], pa.array(sorted(tokens))), False)
            changed += pc.sum(hit).as_py() or 0
            table = table.set_column(table.column_names.index(column), column,
                                     pc.if_else(hit, pa.scalar(None, table[column].type), table[column]))
    if t.text_tokens:
        pattern = "|".join(sorted(t.text_tokens))
        for column in t.text:
            if column in table.column_names:
                hit = pc.fill_null(pc.match_substring_regex(table[column], pattern), False)
                changed += pc.sum(hit).as_py() or 0
                table = table.set_column(table.column_names.index(column), column,
                                         pc.replace_substring_regex(table[column], pattern, ERASED_TEXT))
    return table, before - table.num_rows, changed


def mentions(table, tokens: set[str]) -> int:
    """How many cells of any string column hold or contain one of ``tokens`` (the re-scan)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not tokens:
        return 0
    pattern = "|".join(sorted(tokens))
    found = 0
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            found += pc.sum(pc.fill_null(pc.match_substring_regex(column, pattern), False)).as_py() or 0
    return found
