from __future__ import annotations

from masking.operators.base import MaskContext, Operator


class Redact(Operator):
    """Replace the value entirely. Columns get ``[REDACTED]`` (null stays null); text spans get ``<ENTITY>``."""

    name = "redact"
    PARAMS = {"replacement": str}
    SPAN_PATTERN = r"<[A-Z][A-Z_]*>"

    def output_type(self, input_type: str, params: dict) -> str:
        return "string"

    def column(self, col, entity: str, params: dict, ctx: MaskContext):
        from pyspark.sql import functions as F

        return F.when(col.isNull(), F.lit(None).cast("string")).otherwise(F.lit(params.get("replacement", "[REDACTED]")))

    def span(self, text: str, entity: str, params: dict, ctx: MaskContext) -> str:
        return params.get("replacement", f"<{entity}>")

    def verify_pattern(self, params: dict) -> str | None:
        import re

        return "^" + re.escape(params.get("replacement", "[REDACTED]")) + "$"
