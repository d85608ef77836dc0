"""The identifier inventory of a dataset: every column classed as a direct identifier, a
quasi-identifier, a sensitive attribute or other (GB/T 37964), with how that was decided, and how
each column leaves the pipeline.

Three sources decide, in this order: a reviewer's entry in the contract's ``classification``,
the contract's own declarations (``personal``, ``quasi_identifiers``, ``risk.sensitive``,
``free_text``), and the recognizers (undeclared personal data that discovery found and the
contract lets through with ``on_undeclared: warn``, which leaves it in clear).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from govlake.contracts import Contract

# Entities that identify a person on their own (an address counts: it names a household).
PERSON_IDENTIFIERS = frozenset({"CN_RESIDENT_ID", "PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS", "BANK_CARD", "PASSPORT",
                                "HK_ID", "TW_ID", "IP_ADDRESS", "CN_VEHICLE_PLATE", "LOCATION"})
# ... and entities that identify an organisation.
ORGANISATION_IDENTIFIERS = frozenset({"CN_USCC"})

# How an operator leaves a column: what reaches readers.
RELEASED_AS = {"redact": "removed", "suppress": "removed", "pseudonym": "pseudonym", "partial_mask": "partially masked",
               "generalize_date": "generalised", "generalize_address": "generalised", "generalize_number": "generalised",
               "date_shift": "generalised"}

# What a released column is for the risk evaluation.
ROLE_DIRECT = "direct identifier"
ROLE_PSEUDONYM = "pseudonym"
ROLE_QUASI = "quasi-identifier"
ROLE_SENSITIVE = "sensitive"
ROLE_TEXT = "masked text"


@dataclass(frozen=True)
class ColumnClass:
    column: str
    column_class: str  # direct_identifier, quasi_identifier, sensitive, other
    entity: str | None
    released_as: str  # in clear, removed, pseudonym, partially masked, generalised, masked text
    decided_by: str  # contract, recognizer, reviewer
    basis: str  # why, in words

    @property
    def release_role(self) -> str | None:
        """What the released column is to an attacker, or None when it says nothing about anyone."""
        if self.released_as == "removed":
            return None
        if self.released_as == "masked text":
            return ROLE_TEXT
        if self.column_class == "direct_identifier":
            return {"in clear": ROLE_DIRECT, "pseudonym": ROLE_PSEUDONYM}.get(self.released_as, ROLE_QUASI)
        if self.column_class == "quasi_identifier":
            return ROLE_QUASI
        if self.column_class == "sensitive":
            return ROLE_SENSITIVE
        return None

    @property
    def about_a_person(self) -> bool:
        """Whether the column, released, ties its record to a person."""
        if self.release_role in (ROLE_TEXT, ROLE_SENSITIVE):
            return True
        return self.entity in PERSON_IDENTIFIERS and self.release_role is not None

    def as_dict(self) -> dict:
        return {**asdict(self), "release_role": self.release_role}


def inventory(contract: Contract, undeclared: dict[str, list[str]] | None = None) -> list[ColumnClass]:
    """Every column of ``contract`` classed; ``undeclared`` maps columns to the entities discovery
    found in them without a declaration (they are released in clear)."""
    undeclared = undeclared or {}
    reviews = {r.column: r for r in contract.reviews}
    free_text = set(contract.free_text_columns)
    out = []
    for col in contract.columns:
        p = col.personal
        entity = p.entity if p else (sorted(undeclared[col.name])[0] if col.name in undeclared else None)
        released = RELEASED_AS.get(p.operator, "masked") if p else ("masked text" if col.name in free_text else "in clear")
        if col.name in reviews:
            r = reviews[col.name]
            out.append(ColumnClass(col.name, r.column_class, entity, released, f"reviewer: {r.reviewer}", r.reason))
        elif p and p.entity in PERSON_IDENTIFIERS | ORGANISATION_IDENTIFIERS:
            out.append(ColumnClass(col.name, "direct_identifier", entity, released, "contract",
                                   f"declared {p.entity}, masked with {p.operator}"))
        elif p:
            out.append(ColumnClass(col.name, "quasi_identifier", entity, released, "contract",
                                   f"declared {p.entity}, masked with {p.operator}"))
        elif col.name in undeclared:
            out.append(ColumnClass(col.name, "direct_identifier", entity, "in clear", "recognizer",
                                   f"discovery found {', '.join(sorted(undeclared[col.name]))}; not declared, "
                                   "let through by discovery.on_undeclared: warn"))
        elif col.name in contract.quasi_identifiers:
            out.append(ColumnClass(col.name, "quasi_identifier", None, released, "contract", "listed in quasi_identifiers"))
        elif col.name in contract.risk.sensitive:
            out.append(ColumnClass(col.name, "sensitive", None, released, "contract", "listed in risk.sensitive"))
        elif col.name in free_text:
            out.append(ColumnClass(col.name, "other", None, released, "recognizer",
                                   "free text: the recognizers find and mask personal data in it"))
        else:
            out.append(ColumnClass(col.name, "other", None, released, "contract",
                                   "not declared personal, quasi-identifying or sensitive"))
    return out
