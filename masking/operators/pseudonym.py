# No `from __future__ import annotations` here: pandas_udf reads the type hints at run time.
from masking.keys import TOKEN_SHAPE, token
from masking.operators.base import MaskContext, Operator


class Pseudonym(Operator):
    """Keyed pseudonym (HMAC-SHA256 with the sharing domain's key): same input, same token.

    Computed in an Arrow-batched pandas UDF rather than Spark SQL so that no key material
    ever appears in a query plan (Spark prints plans in its error messages).
    """

    name = "pseudonym"
    needs_key = True
    SPAN_PATTERN = TOKEN_SHAPE

    def output_type(self, input_type: str, params: dict) -> str:
        return "string"

    def column(self, col, entity: str, params: dict, ctx: MaskContext):
        import pandas as pd  # here, not at the top: contracts import this module when DAG files are parsed
        from pyspark.sql.functions import pandas_udf

        key = ctx.key
        if key is None:
            raise ValueError("pseudonym needs a domain key")

        @pandas_udf("string")
        def pseudonymise(values: pd.Series) -> pd.Series:
            return values.map(lambda v: None if v is None or v != v or str(v).strip() == "" else token(key, entity, str(v)))

        return pseudonymise(col.cast("string"))

    def span(self, text: str, entity: str, params: dict, ctx: MaskContext) -> str:
        if ctx.key is None:
            raise ValueError("pseudonym needs a domain key")
        return token(ctx.key, entity, text)

    def verify_pattern(self, params: dict) -> str | None:
        return f"^{self.SPAN_PATTERN}$"
