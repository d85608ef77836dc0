from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

from masking.checksums import is_valid_uscc


class CnUsccRecognizer(PatternRecognizer):
    """Unified social credit code (GB 32100), accepted only with a correct check character."""

    ENTITY = "CN_USCC"
    PATTERNS = [
        Pattern("cn_uscc", r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])", 0.6),
    ]
    CONTEXT = ["统一社会信用代码", "信用代码", "纳税人识别号", "credit code"]

    def __init__(self, supported_language: str = "en"):
        super().__init__(supported_entity=self.ENTITY, patterns=self.PATTERNS, context=self.CONTEXT,
                         supported_language=supported_language)

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_uscc(pattern_text)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        kept = []
        for r in results:
            # An all-digit candidate is far more often a ticket or order number: keep it only
            # when a credit-code cue word stands just before it.
            if text[r.start:r.end].isdigit():
                window = text[max(0, r.start - 16):r.start].lower()
                if not any(cue.lower() in window for cue in self.CONTEXT):
                    continue
            kept.append(r)
        return kept
