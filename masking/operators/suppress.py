from __future__ import annotations

from masking.operators.base import MaskContext, Operator


class Suppress(Operator):
    """Remove the value entirely (null), keeping the column and its type."""

    name = "suppress"

    def output_type(self, input_type: str, params: dict) -> str:
        return input_type

    def column(self, col, entity: str, params: dict, ctx: MaskContext):
        from pyspark.sql import functions as F

        return F.when(F.lit(False), col)  # always null, same type as the column

    def span(self, text: str, entity: str, params: dict, ctx: MaskContext) -> str:
        return ""

    def verify_pattern(self, params: dict) -> str | None:
        return "^$"  # no value may remain
