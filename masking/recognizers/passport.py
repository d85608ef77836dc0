from __future__ import annotations

from presidio_analyzer import Pattern

from masking.recognizers.base import ContextPatternRecognizer


class PassportRecognizer(ContextPatternRecognizer):
    """Passport numbers (mainland E/G series and the common 1-2 letter + 7-8 digit forms).

    The shape alone matches too many codes, so a passport cue must stand nearby.
    """

    ENTITY = "PASSPORT"
    PATTERNS = [
        Pattern("cn_passport", r"(?<![0-9A-Za-z])(?:[EG]\d{8}|E[A-HJ-NP-Z]\d{7}|[DPS]E?\d{7})(?![0-9A-Za-z])", 0.3),
        Pattern("generic_passport", r"(?<![0-9A-Za-z])[A-Z]{1,2}\d{7,8}(?![0-9A-Za-z])", 0.1),
    ]
    CONTEXT = ["护照", "passport", "旅行证件", "证件号"]
    CONTEXT_BEFORE = 16
    CONTEXT_BOOST = 0.45
