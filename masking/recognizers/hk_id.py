from __future__ import annotations

from presidio_analyzer import Pattern

from masking.checksums import is_valid_hkid
from masking.recognizers.base import ContextPatternRecognizer


class HkIdRecognizer(ContextPatternRecognizer):
    """Hong Kong identity card numbers (A123456(3)), accepted only with a correct check character."""

    ENTITY = "HK_ID"
    PATTERNS = [Pattern("hkid", r"(?<![0-9A-Za-z])[A-Z]{1,2}\d{6}(?:\([0-9A]\)|[0-9A])(?![0-9A-Za-z])", 0.5)]
    CONTEXT = ["香港身份证", "身份证", "hkid", "hong kong id", "identity card"]

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_hkid(pattern_text)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        # Without the brackets around the check character, the shape is common in codes
        # (M2026001): keep it only next to an identity-card cue.
        return [r for r in results if "(" in text[r.start:r.end] or self.has_context(text, r.start, r.end)]
