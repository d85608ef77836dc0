from __future__ import annotations

from presidio_analyzer import Pattern

from masking.checksums import is_valid_taiwan_id
from masking.recognizers.base import ContextPatternRecognizer


class TaiwanIdRecognizer(ContextPatternRecognizer):
    """Taiwan national identification numbers (A123456789), accepted only with a correct check digit."""

    ENTITY = "TW_ID"
    PATTERNS = [Pattern("twid", r"(?<![0-9A-Za-z])[A-Z][12]\d{8}(?![0-9A-Za-z])", 0.5)]
    CONTEXT = ["台湾身份证", "身份证", "台胞证", "身分證", "id"]

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_taiwan_id(pattern_text)
