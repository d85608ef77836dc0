from __future__ import annotations

from masking.operators.base import MaskContext, Operator


class PartialMask(Operator):
    """Keep the first and last characters, mask the middle: 138****5678."""

    name = "partial_mask"
    PARAMS = {"keep_first": int, "keep_last": int, "mask_char": str}

    def check_params(self, params: dict) -> list[str]:
        problems = super().check_params(params)
        if not problems and any(int(params.get(k, 0)) < 0 for k in ("keep_first", "keep_last")):
            problems.append("keep_first and keep_last must not be negative")
        if not problems and len(params.get("mask_char", "*")) != 1:
            problems.append("mask_char must be one character")
        return problems

    def column(self, col, entity: str, params: dict, ctx: MaskContext):
        from pyspark.sql import functions as F

        first, last = int(params.get("keep_first", 3)), int(params.get("keep_last", 4))
        char = params.get("mask_char", "*")
        text = F.regexp_replace(col.cast("string"), r"[\s\-]", "")
        n = F.length(text)
        masked = F.concat(F.substring(text, 1, first), F.repeat(F.lit(char), n - first - last),
                          F.substring(text, -last, last) if last else F.lit(""))
        # Too short to keep anything without revealing most of it: mask it all.
        return F.when(n > first + last + 1, masked).otherwise(F.repeat(F.lit(char), n))

    def span(self, text: str, entity: str, params: dict, ctx: MaskContext) -> str:
        first, last = int(params.get("keep_first", 3)), int(params.get("keep_last", 4))
        char = params.get("mask_char", "*")
        compact = "".join(c for c in text if not c.isspace() and c != "-")
        if len(compact) <= first + last + 1:
            return char * len(compact)
        return compact[:first] + char * (len(compact) - first - last) + (compact[-last:] if last else "")

    def verify_pattern(self, params: dict) -> str | None:
        import re

        first, last = int(params.get("keep_first", 3)), int(params.get("keep_last", 4))
        char = re.escape(params.get("mask_char", "*"))
        return f"^(.{{0,{first}}}{char}+.{{0,{last}}}|{char}*)$"
