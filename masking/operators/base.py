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
    Python); ``span`` replaces one entity found in free text.
    """

    name: ClassVar[str]
    needs_key: ClassVar[bool] = False

    def output_type(self, input_type: str, params: dict) -> str:
        return "string" if input_type != "string" else input_type

    def column(self, col, entity: str, params: dict, ctx: MaskContext):
        raise NotImplementedError

    def span(self, text: str, entity: str, params: dict, ctx: MaskContext) -> str:
        raise NotImplementedError

    def verify_pattern(self, params: dict) -> str | None:
        """A regex every masked (string) value must match; None when the output is not text."""
        return None
