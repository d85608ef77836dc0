from __future__ import annotations

from presidio_analyzer import Pattern

from masking.recognizers.base import ContextPatternRecognizer


class CnMobileRecognizer(ContextPatternRecognizer):
    """Mainland mobile numbers as people write them: 13812345678, 138-1234-5678, 138 1234 5678,
    +86 138 1234 5678, (+86)13812345678."""

    ENTITY = "PHONE_NUMBER"
    PATTERNS = [
        Pattern("cn_mobile",
                r"(?<![0-9])(?:(?:\+|00)?86[\s\-]?|[(（]\+?86[)）]\s?)?1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}(?![0-9])",
                0.7),
    ]
    CONTEXT = ["手机", "电话", "联系电话", "回电", "致电", "phone", "mobile", "call", "tel"]
    YIELDS_TO_OTHER_LABELS = True

