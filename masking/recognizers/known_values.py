from __future__ import annotations

import re
from typing import Iterable, List, Optional

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts


class KnownValuesRecognizer(EntityRecognizer):
    """Finds the values a row already declares as personal (its caller's name, phone, ID) in the
    row's own free text, however they are spaced. Built per row as an ad-hoc recognizer.

    Presidio's deny lists need word boundaries, which Chinese text does not have.
    """

    def __init__(self, values: Iterable[tuple[str, str]], supported_language: str = "en"):
        self._patterns = []
        entities = set()
        for entity, value in values:
            value = (value or "").strip()
            if len(value) < 2:
                continue
            digits = re.sub(r"\D", "", value)
            if len(digits) >= 7 and len(digits) >= len(value) - 2:
                pattern = r"(?<!\d)" + r"[\s\-]?".join(map(re.escape, digits)) + r"(?!\d)"
            else:
                pattern = re.escape(value)
            self._patterns.append((entity, re.compile(pattern, re.IGNORECASE)))
            entities.add(entity)
        super().__init__(supported_entities=sorted(entities) or ["PERSON"], supported_language=supported_language,
                         name="KnownValuesRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: List[str], nlp_artifacts: Optional[NlpArtifacts] = None) -> List[RecognizerResult]:
        results = []
        for entity, pattern in self._patterns:
            for m in pattern.finditer(text):
                results.append(RecognizerResult(entity, m.start(), m.end(), 1.0))
        return results
