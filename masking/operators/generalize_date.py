from __future__ import annotations

import re

from masking.operators.base import MaskContext, Operator


class GeneralizeDate(Operator):
    """Coarsen a date: ``year`` (1986), ``month`` (1986-01), or a band of years: ``band`` with
    ``width`` (``width: 10`` gives 1980-1989; ``band5`` is ``band`` of width 5)."""

    name = "generalize_date"
    PARAMS = {"granularity": str, "width": int}
    GRANULARITIES = ("year", "month", "band", "band5")

    def check_params(self, params: dict) -> list[str]:
        problems = super().check_params(params)
        if params.get("granularity", "year") not in self.GRANULARITIES:
            problems.append(f"granularity must be one of {', '.join(self.GRANULARITIES)}")
        if not problems and int(params.get("width", 5)) < 1:
            problems.append("width must be at least 1")
        return problems

    def output_type(self, input_type: str, params: dict) -> str:
        # Always text: a dataset whose years later become bands keeps one column type.
        return "string"

    def column(self, col, entity: str, params: dict, ctx: MaskContext):
        from pyspark.sql import functions as F

        granularity = params.get("granularity", "year")
        d = F.to_date(col)
        if granularity == "year":
            return F.year(d).cast("string")
        if granularity == "month":
            return F.date_format(d, "yyyy-MM")
        if granularity in ("band", "band5"):
            width = 5 if granularity == "band5" else int(params.get("width", 5))
            start = (F.floor(F.year(d) / width) * width).cast("int")
            return F.concat(start.cast("string"), F.lit("-"), (start + width - 1).cast("string"))
        raise ValueError(f"generalize_date: unknown granularity '{granularity}'")

    def span(self, text: str, entity: str, params: dict, ctx: MaskContext) -> str:
        m = re.search(r"(19|20)\d{2}", text)
        return m.group(0) if m else f"<{entity}>"

    def verify_pattern(self, params: dict) -> str | None:
        return r"^\d{4}$" if params.get("granularity", "year") == "year" else r"^\d{4}(-\d{2}|-\d{4})$"
