import datetime as dt

import pytest
from faker import Faker

from masking.checksums import is_valid_resident_id, is_valid_uscc, luhn_valid, resident_id_check_char, uscc_check_char


def test_faker_resident_ids_validate():
    fake = Faker("zh_CN")
    fake.seed_instance(11)
    assert all(is_valid_resident_id(fake.ssn()) for _ in range(500))


@pytest.mark.parametrize("value,expected", [
    ("11010519491231002X", True),          # the standard's own example
    ("11010519491231002x", True),          # lower-case check character
    ("110105194912310021", False),         # wrong check character
    ("110105194913310025", False),         # month 13
    ("123456789012345678", False),         # ticket-number look-alike
    ("91010519491231002X", False),         # no such region prefix
    ("110105491231002", True),             # 15-digit legacy form
    ("110105491331002", False),            # legacy form, month 13
    ("1101051949123100", False),           # wrong length
])
def test_resident_id(value, expected):
    assert is_valid_resident_id(value, today=dt.date(2026, 11, 21)) is expected


def test_resident_id_future_birth_date_rejected():
    first17 = "11010520300101001"
    assert not is_valid_resident_id(first17 + resident_id_check_char(first17), today=dt.date(2026, 11, 21))


@pytest.mark.parametrize("value,expected", [
    ("91350100M000100Y43", True),
    ("91110000802100433B", True),
    ("91110000802100433C", False),
    ("91110000802100433", False),
    ("9111000080210043IB", False),  # I is not in the alphabet
])
def test_uscc(value, expected):
    assert is_valid_uscc(value) is expected


def test_uscc_check_char_round_trip():
    body = "91440300MA5FAKE0"
    body = body + "1"
    assert is_valid_uscc(body + uscc_check_char(body))


@pytest.mark.parametrize("number,expected", [("6222021234567890128", True), ("6222021234567890127", False),
                                             ("4111111111111111", True), ("6212345678901232", True)])
def test_luhn(number, expected):
    assert luhn_valid(number) is expected


def test_region_codes_come_from_stdnum():
    from masking.checksums import known_region

    assert known_region("440304")            # 福田区
    assert known_region("110103")            # 崇文区, abolished in 2010: people still hold such numbers
    assert known_region("620201")            # 嘉峪关市辖区, missing from stdnum's table
    assert known_region("830000")            # Taiwan residents' residence permit
    assert not known_region("999999")
    assert not known_region("000000")
    assert not known_region("440399")


def test_a_region_code_newer_than_the_birth_date_is_accepted():
    """610481 (兴平市) exists since 1993; someone born in 1964 and registered there holds it.
    stdnum's own validate() rejects that; govlake must not, or it would leave such IDs in clear."""
    from stdnum.cn import ric

    first17 = "61048119640616776"
    value = first17 + resident_id_check_char(first17)
    assert not ric.is_valid(value)
    assert is_valid_resident_id(value)


def test_unknown_region_code_is_rejected():
    first17 = "99999919800101123"
    assert not is_valid_resident_id(first17 + resident_id_check_char(first17))


def test_credit_code_from_a_lettered_authority():
    body = "Y1110000" + "MA01F6E8"
    from masking.checksums import org_code_check_char

    body += org_code_check_char(body[8:16])
    assert is_valid_uscc(body + uscc_check_char(body))
