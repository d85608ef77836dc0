"""The recognizers govlake adds to Presidio, registered in one place: add a file and a line here."""

from __future__ import annotations

from masking.recognizers.cn_address import CnAddressRecognizer
from masking.recognizers.cn_mobile import CnMobileRecognizer
from masking.recognizers.cn_person_name import CnPersonNameRecognizer
from masking.recognizers.cn_resident_id import CnResidentIdRecognizer
from masking.recognizers.cn_uscc import CnUsccRecognizer
from masking.recognizers.email import EmailRecognizer
from masking.recognizers.known_values import KnownValuesRecognizer

RECOGNIZERS = (
    CnResidentIdRecognizer,
    CnUsccRecognizer,
    CnMobileRecognizer,
    EmailRecognizer,
    CnAddressRecognizer,
    CnPersonNameRecognizer,
)


def default_recognizers(language: str = "en") -> list:
    return [cls(supported_language=language) for cls in RECOGNIZERS]


__all__ = ["RECOGNIZERS", "KnownValuesRecognizer", "default_recognizers"]
