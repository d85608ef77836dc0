from __future__ import annotations

from presidio_analyzer import Pattern

from masking.checksums import is_valid_resident_id
from masking.recognizers.base import ContextPatternRecognizer


class CnResidentIdRecognizer(ContextPatternRecognizer):
    """Mainland resident identity number (GB 11643): 18 digits with check character, or 15 legacy digits.

    The check character and a plausible birth date decide; 18-digit ticket or order numbers
    that fail them are not reported.
    """

    ENTITY = "CN_RESIDENT_ID"
    PATTERNS = [
        Pattern("cn_resident_id_18",
                r"(?<![0-9A-Za-z])[1-8]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])",
                0.6),
        Pattern("cn_resident_id_15", r"(?<![0-9A-Za-z])[1-8]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])", 0.3),
    ]
    CONTEXT = ["身份证", "身份证号", "证件", "公民身份号码", "id", "identity"]


    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_resident_id(pattern_text)
