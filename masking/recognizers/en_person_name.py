from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from masking.recognizers.base import RuleRecognizer

try:  # given names from the US and UK lists Faker carries (about 900)
    from faker.providers.person.en_GB import Provider as _GbPerson
    from faker.providers.person.en_US import Provider as _UsPerson

    GIVEN_NAMES = {n for p in (_UsPerson, _GbPerson) for n in (*p.first_names_male, *p.first_names_female)}
except Exception:  # pragma: no cover - Faker is a dependency
    GIVEN_NAMES = set()

# A capitalised name word: Smith, O'Brien, McKelvey, Davies-Quinn, Gray-O'Donohoe.
NAME_WORD = r"(?:Mc|Mac|O')?[A-Z][a-z]+(?:['\-](?:Mc|Mac|O')?[A-Z]?[a-z]+)*"
_FULL_NAME = rf"({NAME_WORD}(?:\s+{NAME_WORD}){{1,2}})"
_CUES = r"(?i:my name is|name is|I am|I'm|this is|colleague|complaint from|called|caller|call back|contact person|" \
        r"applicant|resident|tenant|contact|thanks|regards|sincerely|signed|from|by|Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.?)"
_CUED = re.compile(r"\b" + _CUES + r",?\s+" + _FULL_NAME + r"\b")
# ... or a name opening a sentence before a reporting verb: "Leah Jones says ...".
_SUBJECT = re.compile(r"(?:^|[.!?]\s+)" + _FULL_NAME + r"\s+"
                      r"(?:says|said|reports|reported|complains|complained|called|asks|asked|wants|lives)\b")
# ... or a known given name followed by one or two name words, wherever it stands.
_GIVEN_FIRST = re.compile(r"(?<![A-Za-z'\-])" + _FULL_NAME + r"\b")
# ... or capitalised words set in Chinese text, which writes its own names in characters:
# "外籍人士William Daniels（护照…".
_IN_CHINESE = re.compile(r"(?<=[\u4e00-\u9fa5：:])\s?(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)?" + _FULL_NAME +
                         r"(?=\s?[\u4e00-\u9fa5（(，,。；;、])")
# ... or two or three name words in the middle of a sentence, after a lower-case word: English
# capitalises proper names there, and those that are not people are told by their words (below).
_MID_SENTENCE = re.compile(r"(?<=[a-z,])\s+" + _FULL_NAME + r"(?=[\s.,;:!?)]|$)")
# Words of organisations and places, which are proper names but not people.
_PLACE_AND_ORGANISATION_WORDS = {
    "Bank", "Hospital", "University", "College", "School", "Bureau", "Office", "Centre", "Center", "Station", "Airport",
    "Hotel", "Mall", "Plaza", "Park", "Market", "Group", "Inc", "Co", "Corporation", "Limited", "Committee",
    "Government", "Ministry", "Court", "Police", "Embassy", "Consulate", "Province", "City", "County", "Town", "Village",
    "Kong", "Macau", "Macao", "Taiwan", "Mongolia", "York", "Zealand", "Kingdom", "States", "Republic", "Island",
    "Islands", "River", "Lake", "Mountain", "Bay", "Card", "App", "Pay", "Wallet", "Airlines", "Railway",
}
_NOT_NAMES = _PLACE_AND_ORGANISATION_WORDS | {"Please", "The", "District", "Hotline", "Team", "Service", "Department",
                                              "Company", "Ltd", "China", "Shenzhen", "Beijing", "Guangdong", "Room",
                                              "Flat", "Apt", "Suite", "Unit"}
_HOUSE_NUMBER_BEFORE = re.compile(r"\d[A-Za-z]?,?\s+$")


def after_house_number(text: str, start: int) -> bool:
    """Words after a house number are a street, whatever they look like ("12 Grace Fields")."""
    return bool(_HOUSE_NUMBER_BEFORE.search(text[max(0, start - 4):start]))


class EnPersonNameRecognizer(RuleRecognizer):
    """English names the statistical model misses in short, formulaic complaints: two or three
    capitalised words after a cue ("my name is", "Mr", "complaint from", "thanks,") or before a
    reporting verb, or starting with a known given name ("... thanks, Tanner Contreras."), or in
    the middle of a sentence ("the parcel for Reuben Evans was ..."), or set in Chinese text.

    Words that name places or offices are never part of a name, and words after a house number
    are a street ("12 Grace Fields").
    """

    ENTITY = "PERSON"

    def find(self, text: str) -> list[RecognizerResult]:
        results = []
        spans = [m.span(1) for pattern in (_CUED, _SUBJECT, _IN_CHINESE) for m in pattern.finditer(text)]
        spans += [m.span(1) for m in _GIVEN_FIRST.finditer(text) if m.group(1).split()[0] in GIVEN_NAMES]
        spans += [m.span(1) for m in _MID_SENTENCE.finditer(text)]
        for start, end in sorted(set(spans)):
            if any(w in _NOT_NAMES for w in text[start:end].split()) or after_house_number(text, start):
                continue
            results.append(RecognizerResult(self.ENTITY, start, end, 0.75))
        return results
