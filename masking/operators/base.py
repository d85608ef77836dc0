"""What a masking operator is: one way to transform a declared column or a span of free text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from masking.keys import DomainKey


@dataclass(frozen=True)
class MaskContext:
    """Everything an operator may need besides the value: the sharing domain's key."""

    key: DomainKey | None = None
    params: dict = field(default_factory=dict)


class Operator:
    """A masking operator.

    ``column`` masks a whole declared column as one Spark expression (vectorised, no per-row
    Python); ``span`` replaces one entity found in free text. ``PARAMS`` names the parameters a
    contract may give, with their types; :meth:`check_params` refuses anything else, so a
    contract is checked when it is loaded rather than when a batch is masked.
    """

    name: ClassVar[str]
    needs_key: ClassVar[bool] = False
    PARAMS: ClassVar[dict[str, type | tuple[type, ...]]] = {}
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    # What ``span`` writes into free text, as a regular expression, when that output has a shape
    # of its own (``<PERSON>``, a token): a second analysis of masked text can tell it apart.
    SPAN_PATTERN: ClassVar[str | None] = None

    def check_params(self, params: dict) -> list[str]:
        """Problems with a contract's ``params`` for this operator (empty when they are fine)."""
        problems = [f"unknown parameter '{k}' (known: {', '.join(sorted(self.PARAMS)) or 'none'})"
                    for k in params if k not in self.PARAMS]
        problems += [f"parameter '{k}' is required" for k in self.REQUIRED if k not in params]
        for key, kind in self.PARAMS.items():
            kinds = kind if isinstance(kind, tuple) else (kind,)
            value = params.get(key)
            # YAML's true/false are ints to isinstance; a flag is never a count.
            if key in params and (not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)):
                problems.append(f"parameter '{key}' must be {_kind_name(kinds)}")
        return problems

    def output_type(self, input_type: str, params: dict) -> str:
        return "string" if input_type != "string" else input_type

    def column(self, col, entity: str, params: dict, ctx: MaskContext):
        raise NotImplementedError

    def span(self, text: str, entity: str, params: dict, ctx: MaskContext) -> str:
        raise NotImplementedError

    def verify_pattern(self, params: dict) -> str | None:
        """A regex every masked (string) value must match; None when the output is not text."""
        return None


def _kind_name(kinds: tuple[type, ...]) -> str:
    return " or ".join({str: "text", int: "a whole number", float: "a number", list: "a list",
                        bool: "true or false"}.get(k, k.__name__) for k in kinds)
