from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from masking.recognizers.base import RuleRecognizer

try:  # the USPS street suffixes (Faker carries the list): Road, Avenue, Lane, Circle, Trafficway ...
    from faker.providers.address.en_US import Provider as _UsAddress

    _USPS_SUFFIXES = set(_UsAddress.street_suffixes)
except Exception:  # pragma: no cover - Faker is a dependency; keep the recognizer usable without it
    _USPS_SUFFIXES = set()
# ... with the abbreviations people write, and the kinds of way common in Commonwealth and Chinese
# addresses written in English.
STREET_SUFFIXES = _USPS_SUFFIXES | {
    "Road", "Street", "Avenue", "Lane", "Boulevard", "Drive", "Way", "Court", "Place", "Terrace", "Crescent", "Close",
    "Highway", "Square", "Alley", "Hutong", "Parade", "Quay", "Mews", "Row", "Rise", "Walk", "Grove", "Gardens",
    "Esplanade", "Expressway",
}
ABBREVIATIONS = {"Rd", "St", "Ave", "Ln", "Blvd", "Dr", "Ct", "Pl", "Hwy", "Sq", "Expy"}
_WORD = r"(?:Mc|Mac|O')?[A-Z][a-z]+(?:['\-][A-Za-z]+)*"
_SUFFIX = ("(?:" + "|".join(sorted(STREET_SUFFIXES, key=len, reverse=True)) + "|(?:" +
           "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")\.?)")
_UNIT = r"(?:Room|Rm\.?|Flat|Apt\.?|Apartment|Unit|Suite|Studio|Shop)\s*#?[A-Za-z]?\d{1,5}[A-Za-z]?"
# [unit,] [No.] number [/number] words ... suffix [unit] [, one-word district or city]
_NUMBER = r"(?:No\.?\s*)?\d{1,6}[A-Za-z]?(?:[/\-]\d{1,5}[A-Za-z]?)?,?\s+"
# [unit,] [No.] number [/number] words ... suffix [unit] [, one-word district or city]; a unit
# can stand for the number ("Studio 52, Burns Fort").
_ADDRESS = re.compile(
    rf"(?:{_UNIT},?\s+(?:{_NUMBER})?|{_NUMBER})"
    rf"(?:{_WORD}\s+){{0,3}}{_SUFFIX}(?![A-Za-z])"
    rf"(?:,?\s+{_UNIT})?"
    rf"(?:,\s*{_WORD}(?:\s+(?:District|City|County|Province|Town|Village))?(?=\s*(?:[.;:!?),]|$|\s+[a-z])))?"
)


class EnAddressRecognizer(RuleRecognizer):
    """Street addresses written in English: "<number> <name> Road / Street / Avenue / Lane ...",
    with a unit before or after ("Room 1203," / "Apt. 290") and a one-word district or city at the
    end of a clause ("..., Shenzhen.").

    The street kind must be one of the recognised suffixes, which is what tells "447 Xinhua Rd"
    from "order 447 New Items"; a street name can be one to three capitalised words, pinyin
    included ("Yan'an", "Huaqiang North").
    """

    ENTITY = "LOCATION"
    SCORE = 0.75

    def find(self, text: str) -> list[RecognizerResult]:
        if not any(ch.isdigit() for ch in text):
            return []
        return [RecognizerResult(self.ENTITY, m.start(), m.end(), self.SCORE) for m in _ADDRESS.finditer(text)]
