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
    # pinyin: 路 lu, 街 jie, 大街 dajie, 大道 dadao, 巷 xiang, 胡同 hutong, 弄 nong, 村 cun
    "Lu", "Jie", "Dajie", "Dadao", "Xiang", "Nong", "Cun",
}
ABBREVIATIONS = {"Rd", "St", "Ave", "Ln", "Blvd", "Dr", "Ct", "Pl", "Hwy", "Sq", "Expy"}
_WORD = r"(?:Mc|Mac|O')?[A-Z][a-z]+(?:['\-][A-Za-z]+)*"
_SUFFIX = ("(?:" + "|".join(sorted(STREET_SUFFIXES, key=len, reverse=True)) + "|(?:" +
           "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")\.?)")
_UNIT = (r"(?:Room|Rm\.?|Flat|Apt\.?|Apartment|Unit|Suite|Studio|Shop|Level|Floor|Block|Building|Bldg\.?|Tower)"
         r"\s*#?[A-Za-z]?\d{1,5}[A-Za-z]?")
# House-number prefixes: "No. 88", "H.No. 17", "House No. 5", "Plot 9".
_NUMBER_PREFIX = r"(?:(?:H\.\s?|House\s|Plot\s)?No\.?\s*|Plot\s+)?"
# Trailing delivery parts: "RD 6" (rural delivery), "PO Box 12".
_DELIVERY = r"(?:,?\s+(?:RD|R\.D\.|PO Box|P\.O\. Box)\s*\d{1,5})?"
# [unit,] [No.] number [/number] words ... suffix [unit] [, one-word district or city]
_NUMBER = _NUMBER_PREFIX + r"\d{1,6}[A-Za-z]?(?:[/\-]\d{1,5}[A-Za-z]?)?,?\s+"
# [unit,] [No.] number [/number] words ... suffix [unit] [, one-word district or city]; a unit
# can stand for the number ("Studio 52, Burns Fort").
_ADDRESS = re.compile(
    rf"(?:{_UNIT},?\s+(?:{_NUMBER})?|{_NUMBER})"
    rf"(?:{_WORD}\s+){{0,3}}{_SUFFIX}(?![A-Za-z])"
    rf"(?:,?\s+{_UNIT})?{_DELIVERY}"
    rf"(?:,\s*{_WORD}(?:\s+(?:District|City|County|Province|Town|Village))?(?=\s*(?:[.;:!?),]|$|\s+[a-z])))?"
)

# After a word that says a place follows, a house number and capitalised words are an address
# even when the kind of way is unfamiliar ("lives at 490 Martin Basin", "sent to 12 Lychee Villa").
_LOCATIVE = re.compile(
    rf"\b(?i:at|to|address(?:\s+is)?:?|located at|near|find|reach)\s+"
    rf"((?:{_UNIT},?\s+)?{_NUMBER}"
    rf"{_WORD}(?:\s+{_WORD}){{0,2}}{_DELIVERY}"
    rf"(?:,\s*{_WORD}(?:\s+(?:District|City|County|Province|Town|Village))?(?=\s*(?:[.;:!?),]|$|\s+[a-z])))?)"
)

_PO_BOX = re.compile(r"\b(?:PO|P\.O\.)\s?Box\s*\d{1,6}\b")


class EnAddressRecognizer(RuleRecognizer):
    """Street addresses written in English: "<number> <name> Road / Street / Avenue / Lane ...",
    with a unit before or after ("Room 1203," / "Apt. 290") and a one-word district or city at the
    end of a clause ("..., Shenzhen.").

    The street kind must be one of the recognised suffixes, which is what tells "447 Xinhua Rd"
    from "order 447 New Items"; a street name can be one to three capitalised words, pinyin
    included ("Yan'an", "Huaqiang North"). After a locative word ("at", "to", "address") any kind
    of way will do.
    """

    ENTITY = "LOCATION"
    SCORE = 0.75

    def find(self, text: str) -> list[RecognizerResult]:
        if not any(ch.isdigit() for ch in text):
            return []
        spans = {m.span() for m in _ADDRESS.finditer(text)} | {m.span(1) for m in _LOCATIVE.finditer(text)}
        spans |= {m.span() for m in _PO_BOX.finditer(text)}
        return [RecognizerResult(self.ENTITY, start, end, self.SCORE) for start, end in sorted(spans)
                if not any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans)]
