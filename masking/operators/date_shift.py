# No `from __future__ import annotations` here: pandas_udf reads the type hints at run time.
import hashlib
import hmac

from masking.keys import DomainKey, normalise
from masking.operators.base import MaskContext, Operator


def shift_days(key: DomainKey, person: str, max_days: int) -> int:
    """A person's own, stable shift in [-max_days, max_days] \\ {0}: intervals between their dates survive."""
    mac = hmac.new(key.secret, f"date_shift\0{normalise('CN_RESIDENT_ID', person)}".encode(), hashlib.sha256).digest()
    shift = int.from_bytes(mac[:4], "big") % (2 * max_days) - max_days
    return shift if shift < 0 else shift + 1


class DateShift(Operator):
    """Shift a date by a keyed, per-person number of days (``person_column`` names who the row is about)."""

    name = "date_shift"
    needs_key = True
    PARAMS = {"person_column": str, "max_days": int}
    REQUIRED = ("person_column",)

    def output_type(self, input_type: str, params: dict) -> str:
        return input_type

    def column(self, col, entity: str, params: dict, ctx: MaskContext):
        import pandas as pd  # here, not at the top: contracts import this module when DAG files are parsed
        from pyspark.sql import functions as F
        from pyspark.sql.functions import pandas_udf

        if ctx.key is None:
            raise ValueError("date_shift needs a domain key")
        if "person_column" not in params:
            raise ValueError("date_shift needs params.person_column")
        key, max_days = ctx.key, int(params.get("max_days", 30))

        @pandas_udf("int")
        def shifts(people: pd.Series) -> pd.Series:
            return people.map(lambda p: 0 if p is None or p != p else shift_days(key, str(p), max_days))

        return F.date_add(col, shifts(F.col(params["person_column"]).cast("string")))

    def span(self, text: str, entity: str, params: dict, ctx: MaskContext) -> str:
        return f"<{entity}>"  # free text has no person column to key the shift on
