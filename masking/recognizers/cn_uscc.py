from __future__ import annotations

from presidio_analyzer import Pattern

from masking.checksums import is_valid_uscc
from masking.recognizers.base import ContextPatternRecognizer


class CnUsccRecognizer(ContextPatternRecognizer):
    """Unified social credit code (GB 32100), accepted only with a correct check character."""

    ENTITY = "CN_USCC"
    PATTERNS = [
        Pattern("cn_uscc", r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])", 0.6),
    ]
    CONTEXT = ["统一社会信用代码", "信用代码", "纳税人识别号", "社会信用", "credit code", "uscc"]
    CONTEXT_BEFORE = 16


    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_uscc(pattern_text)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        kept = []
        for r in results:
            # An all-digit candidate is far more often a ticket or order number: keep it only
            # when a credit-code cue word stands just before it.
            if text[r.start:r.end].isdigit() and not self.has_context(text, r.start, r.end):
                continue
            kept.append(r)
        return kept
