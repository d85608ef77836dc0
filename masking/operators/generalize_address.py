from __future__ import annotations

import re

from masking.operators.base import MaskContext, Operator

# Province (or municipality), then prefecture-level city, then district/county: everything
# finer (street, number, building, room) is dropped.
DISTRICT_PREFIX = (
    r"^((?:[\u4e00-\u9fa5]{2,7}?(?:省|自治区)|北京市|天津市|上海市|重庆市)?"
    r"(?:[\u4e00-\u9fa5]{1,7}?(?:市|自治州|州|盟|地区))?"
    r"[\u4e00-\u9fa5]{1,7}?(?:区|县|旗|市))"
)
_PREFIX = re.compile(DISTRICT_PREFIX)


class GeneralizeAddress(Operator):
    """Keep an address down to its district (广东省深圳市福田区); drop street, number and room."""

    name = "generalize_address"

    def column(self, col, entity: str, params: dict, ctx: MaskContext):
        from pyspark.sql import functions as F

        prefix = F.regexp_extract(col.cast("string"), DISTRICT_PREFIX, 1)
        return F.when(col.isNull(), F.lit(None).cast("string")).otherwise(
            F.when(prefix == "", F.lit("[REDACTED]")).otherwise(prefix))

    def span(self, text: str, entity: str, params: dict, ctx: MaskContext) -> str:
        m = _PREFIX.match(text)
        return m.group(1) if m else f"<{entity}>"

    def verify_pattern(self, params: dict) -> str | None:
        return DISTRICT_PREFIX + r"$|^\[REDACTED\]$"
