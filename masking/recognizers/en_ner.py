from __future__ import annotations

import re

from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from masking.recognizers.en_person_name import after_house_number

# Two or more capitalised words ("John Smith", "Richard Lewis Jr.").
ENGLISH_NAME = re.compile(r"[A-Z][A-Za-z'\-]+(?:[ .]+[A-Z][A-Za-z'\-]*)*\.?")
# Where such a name can start: a text without one holds no finding this recognizer keeps.
NAME_START = re.compile(r"[A-Z][A-Za-z'\-]")


class EnglishNerRecognizer(SpacyRecognizer):
    """English person names from the spaCy model, keeping only spans shaped like a name.

    The English model sometimes labels a whole mixed Chinese/English sentence as one PERSON.
    Dropping such spans here, before Presidio merges results, matters: Presidio discards
    findings contained in a larger one, so a bogus sentence-long span would erase the precise
    Chinese names found inside it. A span after a house number ("334 Jiefang Avenue") is a street.
    """

    def __init__(self, supported_language: str = "en"):
        super().__init__(supported_language=supported_language, supported_entities=["PERSON"],
                         name="EnglishNerRecognizer")

    def analyze(self, text, entities, nlp_artifacts=None):
        return [r for r in super().analyze(text, entities, nlp_artifacts)
                if ENGLISH_NAME.fullmatch(text[r.start:r.end]) and not after_house_number(text, r.start)]
