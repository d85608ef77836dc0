"""The masking operators, registered in one place: add one file and one line here."""

from __future__ import annotations

from masking.operators.base import MaskContext, Operator
from masking.operators.date_shift import DateShift
from masking.operators.generalize_address import GeneralizeAddress
from masking.operators.generalize_date import GeneralizeDate
from masking.operators.generalize_number import GeneralizeNumber
from masking.operators.partial_mask import PartialMask
from masking.operators.pseudonym import Pseudonym
from masking.operators.redact import Redact
from masking.operators.suppress import Suppress

OPERATORS: dict[str, Operator] = {op.name: op for op in (
    Redact(), PartialMask(), GeneralizeDate(), GeneralizeAddress(), GeneralizeNumber(), Pseudonym(), Suppress(),
    DateShift(),
)}


def get_operator(name: str) -> Operator:
    try:
        return OPERATORS[name]
    except KeyError:
        raise KeyError(f"unknown masking operator '{name}' (known: {', '.join(sorted(OPERATORS))})") from None


__all__ = ["OPERATORS", "MaskContext", "Operator", "get_operator"]
