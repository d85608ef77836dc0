from __future__ import annotations

import re

from masking.operators.base import MaskContext, Operator


class GeneralizeDate(Operator):
    """Coarsen a date: ``year`` (1986), ``month`` (1986-01) or ``band5`` (1985-1989)."""

    name = "generalize_date"

    def output_type(self, input_type: str, params: dict) -> str:
        return "int" if params.get("granularity", "year") == "year" else "string"

    def column(self, col, entity: str, params: dict, ctx: MaskContext):
        from pyspark.sql import functions as F

        granularity = params.get("granularity", "year")
        d = F.to_date(col)
        if granularity == "year":
            return F.year(d)
        if granularity == "month":
            return F.date_format(d, "yyyy-MM")
        if granularity == "band5":
            start = (F.floor(F.year(d) / 5) * 5).cast("int")
            return F.concat(start.cast("string"), F.lit("-"), (start + 4).cast("string"))
        raise ValueError(f"generalize_date: unknown granularity '{granularity}'")

    def span(self, text: str, entity: str, params: dict, ctx: MaskContext) -> str:
        m = re.search(r"(19|20)\d{2}", text)
        return m.group(0) if m else f"<{entity}>"
