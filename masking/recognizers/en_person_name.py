from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from masking.recognizers.base import RuleRecognizer

_CUES = r"(?i:my name is|name is|I am|I'm|this is|colleague|complaint from|called|caller|call back|contact person|" \
        r"applicant|resident|tenant|Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.?)"
_CUED = re.compile(_CUES + r"\s+((?:[A-Z][a-z'\-]+)(?:\s+[A-Z][a-z'\-]+){1,2})\b")
# ... or a name opening a sentence before a reporting verb: "Leah Jones says ...".
_SUBJECT = re.compile(r"(?:^|[.!?]\s+)((?:[A-Z][a-z'\-]+)(?:\s+[A-Z][a-z'\-]+){1,2})\s+"
                      r"(?:says|said|reports|reported|complains|complained|called|asks|asked|wants|lives)\b")
_NOT_NAMES = {"Please", "The", "Street", "Road", "District", "Office", "Bureau", "Hotline", "Team", "Service",
              "Department", "Company", "Ltd", "China", "Shenzhen", "Beijing", "Guangdong"}


class EnPersonNameRecognizer(RuleRecognizer):
    """English names after a cue ("my name is", "Mr", "complaint from" …): two or three capitalised words.

    Complements the statistical NER model, which misses names in short, formulaic complaints.
    """

    ENTITY = "PERSON"

    def find(self, text: str) -> list[RecognizerResult]:
        results = []
        for m in [*_CUED.finditer(text), *_SUBJECT.finditer(text)]:
            words = m.group(1).split()
            if any(w in _NOT_NAMES for w in words):
                continue
            results.append(RecognizerResult(self.ENTITY, m.start(1), m.end(1), 0.75))
        return results
