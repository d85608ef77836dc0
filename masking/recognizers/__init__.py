"""The recognizers govlake adds to Presidio, registered in one place: add a file and a line here."""

from __future__ import annotations

from masking.recognizers.bank_card import BankCardRecognizer
from masking.recognizers.cn_address import CnAddressRecognizer
from masking.recognizers.cn_mobile import CnMobileRecognizer
from masking.recognizers.cn_person_name import CnPersonNameRecognizer
from masking.recognizers.cn_resident_id import CnResidentIdRecognizer
from masking.recognizers.cn_uscc import CnUsccRecognizer
from masking.recognizers.email import EmailRecognizer
from masking.recognizers.en_address import EnAddressRecognizer
from masking.recognizers.en_person_name import EnPersonNameRecognizer
from masking.recognizers.hk_id import HkIdRecognizer
from masking.recognizers.ip_address import IpAddressRecognizer
from masking.recognizers.known_values import KnownValuesRecognizer
from masking.recognizers.passport import PassportRecognizer
from masking.recognizers.tw_id import TaiwanIdRecognizer
from masking.recognizers.vehicle_plate import VehiclePlateRecognizer

RECOGNIZERS = (
    CnResidentIdRecognizer,
    CnUsccRecognizer,
    CnMobileRecognizer,
    BankCardRecognizer,
    PassportRecognizer,
    HkIdRecognizer,
    TaiwanIdRecognizer,
    EmailRecognizer,
    IpAddressRecognizer,
    VehiclePlateRecognizer,
    CnAddressRecognizer,
    EnAddressRecognizer,
    CnPersonNameRecognizer,
    EnPersonNameRecognizer,
)


def default_recognizers(language: str = "en") -> list:
    return [cls(supported_language=language) for cls in RECOGNIZERS]


__all__ = ["RECOGNIZERS", "BankCardRecognizer", "CnAddressRecognizer", "CnMobileRecognizer", "CnPersonNameRecognizer",
           "CnResidentIdRecognizer", "CnUsccRecognizer", "EmailRecognizer", "EnAddressRecognizer", "EnPersonNameRecognizer", "HkIdRecognizer", "IpAddressRecognizer",
           "KnownValuesRecognizer", "PassportRecognizer", "TaiwanIdRecognizer", "VehiclePlateRecognizer",
           "default_recognizers"]
