from __future__ import annotations

from masking.operators.base import MaskContext, Operator

DEFAULT_BANDS = (0, 1000, 5000, 10000, 20000, 50000, 100000, 1000000)


def band_label(lower, upper) -> str:
    fmt = lambda v: f"{v:g}" if isinstance(v, float) else str(v)  # noqa: E731
    return f"{fmt(lower)}-{fmt(upper)}" if upper is not None else f">={fmt(lower)}"


class GeneralizeNumber(Operator):
    """Replace an amount by its band: 23456.00 -> "20000-50000" (bands are the contract's ``bands``)."""

    name = "generalize_number"
    PARAMS = {"bands": list}

    def check_params(self, params: dict) -> list[str]:
        problems = super().check_params(params)
        bands = params.get("bands", DEFAULT_BANDS)
        if not problems and (not bands or not all(isinstance(b, (int, float)) and not isinstance(b, bool)
                                                  for b in bands) or list(bands) != sorted(set(bands))):
            problems.append("bands must be a non-empty list of increasing numbers")
        return problems

    def output_type(self, input_type: str, params: dict) -> str:
        return "string"

    def column(self, col, entity: str, params: dict, ctx: MaskContext):
        from pyspark.sql import functions as F

        bands = list(params.get("bands", DEFAULT_BANDS))
        value = col.cast("double")
        expr = F.when(value < bands[0], F.lit(f"<{bands[0]}"))
        for lower, upper in zip(bands, bands[1:]):
            expr = expr.when(value < upper, F.lit(band_label(lower, upper)))
        return F.when(col.isNull(), F.lit(None).cast("string")).otherwise(expr.otherwise(F.lit(band_label(bands[-1], None))))

    def span(self, text: str, entity: str, params: dict, ctx: MaskContext) -> str:
        try:
            value = float(text.replace(",", ""))
        except ValueError:
            return f"<{entity}>"
        bands = list(params.get("bands", DEFAULT_BANDS))
        if value < bands[0]:
            return f"<{bands[0]}"
        for lower, upper in zip(bands, bands[1:]):
            if value < upper:
                return band_label(lower, upper)
        return band_label(bands[-1], None)

    def verify_pattern(self, params: dict) -> str | None:
        return r"^(<|>=)?[0-9.]+(-[0-9.]+)?$"
