"""Shared behaviour for govlake's pattern recognizers: Chinese context words.

Presidio's context enhancer matches context words against spaCy lemmas, which do not exist
for Chinese text (no spaces, no lemmas). Here a context word anywhere in a short window
around the match raises its score, for Chinese and English alike.
"""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

# Labels that say a number is something else: a ticket, an order, a case or a serial number.
OTHER_NUMBER_LABELS = ("订单号", "订单", "单号", "编号", "流水号", "预约号", "工单号", "工单", "受理号", "回执号", "住院号",
                       "票号", "批次号", "序列号", "ticket", "order", "tracking", "invoice", "reference", "ref", "serial")
_LABEL_BEFORE = re.compile("(?:" + "|".join(OTHER_NUMBER_LABELS) + r")(?:\s*(?:no\.?|number|#))?\s*[：:#为是]?\s*$",
                           re.IGNORECASE)


class ContextPatternRecognizer(PatternRecognizer):
    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[list[Pattern]]
    CONTEXT: ClassVar[list[str]] = []
    CONTEXT_BEFORE: ClassVar[int] = 12
    CONTEXT_AFTER: ClassVar[int] = 4
    CONTEXT_BOOST: ClassVar[float] = 0.35
    # Numbers without a checksum (phones) or with a weak one (Luhn) are dropped when the label
    # right before them names another kind of number: "订单13059599184", "order 17061412580".
    YIELDS_TO_OTHER_LABELS: ClassVar[bool] = False

    @staticmethod
    def labelled_as_other(text: str, start: int) -> bool:
        return bool(_LABEL_BEFORE.search(text[max(0, start - 16):start]))

    def __init__(self, supported_language: str = "en"):
        super().__init__(supported_entity=self.ENTITY, patterns=self.PATTERNS, context=self.CONTEXT,
                         supported_language=supported_language, name=type(self).__name__)

    def has_context(self, text: str, start: int, end: int) -> bool:
        window = (text[max(0, start - self.CONTEXT_BEFORE):start] + " " + text[end:end + self.CONTEXT_AFTER]).lower()
        return any(word.lower() in window for word in self.CONTEXT)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        if self.YIELDS_TO_OTHER_LABELS:
            results = [r for r in results if not self.labelled_as_other(text, r.start)]
        for r in results:
            if r.score < 1.0 and self.has_context(text, r.start, r.end):
                r.score = min(1.0, r.score + self.CONTEXT_BOOST)
                if r.analysis_explanation:
                    r.analysis_explanation.set_supportive_context_word("context window")
        return results


class RuleRecognizer(EntityRecognizer):
    """A recognizer for one entity type whose rules need code rather than one regex (names)."""

    ENTITY: ClassVar[str]

    def __init__(self, supported_language: str = "en"):
        super().__init__(supported_entities=[self.ENTITY], supported_language=supported_language,
                         name=type(self).__name__)

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        return self.find(text) if self.ENTITY in entities else []

    def find(self, text: str) -> list[RecognizerResult]:
        raise NotImplementedError
