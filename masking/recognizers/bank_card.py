from __future__ import annotations

import re

from presidio_analyzer import Pattern

from masking.checksums import is_valid_resident_id, luhn_valid
from masking.recognizers.base import ContextPatternRecognizer


class BankCardRecognizer(ContextPatternRecognizer):
    """Bank card numbers: UnionPay (62…, 16-19 digits) by Luhn alone; other 13-19 digit Luhn-valid
    numbers only next to a card cue (银行卡, 卡号, 开户 …)."""

    ENTITY = "BANK_CARD"
    PATTERNS = [
        Pattern("unionpay", r"(?<![0-9])62\d{2}(?:[\s\-]?\d{4}){3}(?:[\s\-]?\d{1,3})?(?![0-9])", 0.6),
        Pattern("card_with_cue", r"(?<![0-9])[3-6]\d{3}(?:[\s\-]?\d{4}){2}(?:[\s\-]?\d{1,4})?(?:[\s\-]?\d{1,3})?(?![0-9])", 0.2),
    ]
    CONTEXT = ["银行卡", "卡号", "开户", "账号", "帐号", "储蓄卡", "信用卡", "借记卡", "card", "account"]
    YIELDS_TO_OTHER_LABELS = True

    def validate_result(self, pattern_text: str) -> bool:
        digits = re.sub(r"\D", "", pattern_text)
        return 13 <= len(digits) <= 19 and luhn_valid(digits)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results = super(ContextPatternRecognizer, self).analyze(text, entities, nlp_artifacts, regex_flags)
        kept = {}
        for r in results:
            if self.labelled_as_other(text, r.start):
                continue
            digits = re.sub(r"\D", "", text[r.start:r.end])
            if len(digits) == 18 and is_valid_resident_id(digits) and not self.has_context(text, r.start, r.end):
                continue  # a Gansu resident ID (62…) can pass Luhn too; the ID's own checks decide
            union_pay = digits.startswith("62") and 16 <= len(digits) <= 19
            if not union_pay and not self.has_context(text, r.start, r.end):
                continue
            r.score = 1.0 if union_pay or self.has_context(text, r.start, r.end) else r.score
            kept[(r.start, r.end)] = r
        return list(kept.values())
