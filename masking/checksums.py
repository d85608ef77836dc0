"""Check characters of identifiers (pure functions, shared by recognizers and tests).

- GB 11643-1999: citizen identity number, 17 digits + check character (0-9 or X). python-stdnum's
  ``cn.ric`` computes the check character, reads the birth date and knows the administrative
  region codes, current and abolished.
- GB 32100-2015: unified social credit code, 17 characters + check character from a
  31-character alphabet that leaves out I, O, Z, S and V (python-stdnum's ``cn.uscc``).
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache

from stdnum import numdb as _numdb
from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc
from stdnum.exceptions import ValidationError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def resident_id_check_char(first17: str) -> str:
    return _ric.calc_check_digit(first17 + "0")


def resident_id_birth_date(value: str) -> _dt.date | None:
    """Birth date encoded in an 18- or 15-digit ID, or None if it is not a real date."""
    try:
        if len(value) == 18:
            return _ric.get_birth_date(value)
        if len(value) == 15:
            return _dt.date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    except (ValueError, ValidationError):
        return None
    return None


# Hong Kong, Macao and Taiwan residents' residence permits (GB/T 2260 codes 810000, 820000, 830000).
RESIDENCE_PERMIT_REGIONS = ("810000", "820000", "830000")


@lru_cache(maxsize=8192)
def known_region(code: str) -> bool:
    """A six-digit administrative region code that exists or existed (python-stdnum's table).

    stdnum's own ``cn.ric.validate`` also asks that the county existed in the birth year. That
    rejects real numbers: a code is given when a person is registered, so someone born in 1964
    and registered in 兴平市 (a county-level city since 1993) holds 610481. govlake keeps the
    rest of stdnum's checks and asks only that the code is a real one. stdnum's table leaves out
    the "市辖区" codes of some prefecture cities (620201, 嘉峪关) and the residence permits'
    codes: a code in a known province ending in 00 or 01 is accepted, as are those permits.
    """
    if code in RESIDENCE_PERMIT_REGIONS:
        return True
    parts = _numdb.get("cn/loc").info(code)
    if not parts or "province" not in parts[0][1]:
        return False
    return any("county" in props for _, props in parts) or code[4:] in ("00", "01")


def is_valid_resident_id(value: str, today: _dt.date | None = None) -> bool:
    """An 18-digit ID with a correct check character, or a 15-digit legacy ID (no check character),
    with a known region code and a birth date between 1900 and today."""
    value = value.strip().upper()
    today = today or _dt.date.today()
    if len(value) == 18:
        if not (value[:17].isdigit() and (value[17].isdigit() or value[17] == "X")):
            return False
        if _ric.calc_check_digit(value) != value[17]:
            return False
    elif len(value) == 15:
        if not value.isdigit():
            return False
    else:
        return False
    if not known_region(value[:6]):
        return False
    born = resident_id_birth_date(value)
    return born is not None and _dt.date(1900, 1, 1) <= born <= today


def uscc_check_char(first17: str) -> str:
    return _uscc.calc_check_digit(first17 + "0")


def org_code_check_char(first8: str) -> str:
    """GB 11714 organisation code check character (positions 9-17 of a credit code)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first8, weights))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def is_valid_uscc(value: str) -> bool:
    """A credit code with a correct check character. stdnum's ``cn.uscc.validate`` also asks for
    eight leading digits, but the registering authority (first character) can be a letter, such as
    Y for "other authorities" and N for agriculture; the six region digits must be digits."""
    value = value.strip().upper()
    if len(value) != 18 or any(c not in USCC_ALPHABET for c in value):
        return False
    if not value[2:8].isdigit():
        return False
    return _uscc.calc_check_digit(value) == value[17]


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_HK_LETTER = {c: i + 10 for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


def is_valid_hkid(value: str) -> bool:
    """Hong Kong identity card number: 1-2 letters, 6 digits, check character (0-9 or A), e.g. A123456(3)."""
    v = value.upper().replace("(", "").replace(")", "").replace(" ", "")
    if not (8 <= len(v) <= 9) or not v[-7:-1].isdigit():
        return False
    letters, digits, check = v[:-7], v[-7:-1], v[-1]
    if not letters.isalpha() or not 1 <= len(letters) <= 2 or check not in "0123456789A":
        return False
    values = ([36] if len(letters) == 1 else []) + [_HK_LETTER[c] for c in letters] + [int(d) for d in digits]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1)))
    expected = (11 - total % 11) % 11
    return check == ("A" if expected == 10 else str(expected))


_TW_LETTER = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36)))


def is_valid_taiwan_id(value: str) -> bool:
    """Taiwan national identification number: letter, 1 or 2, eight digits, with a check digit."""
    v = value.upper()
    if len(v) != 10 or v[0] not in _TW_LETTER or v[1] not in "12" or not v[1:].isdigit():
        return False
    code = _TW_LETTER[v[0]]
    total = code // 10 + (code % 10) * 9 + sum(int(d) * w for d, w in zip(v[1:9], range(8, 0, -1))) + int(v[9])
    return total % 10 == 0
