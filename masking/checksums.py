"""Check characters of Chinese identifiers (pure functions, shared by recognizers and tests).

- GB 11643-1999: citizen identity number, 17 digits + check character (0-9 or X).
- GB 32100-2015: unified social credit code, 17 characters + check character from a
  31-character alphabet that leaves out I, O, Z, S and V.
"""

from __future__ import annotations

import datetime as _dt

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def resident_id_birth_date(value: str) -> _dt.date | None:
    """Birth date encoded in an 18- or 15-digit ID, or None if it is not a real date."""
    try:
        if len(value) == 18:
            return _dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        if len(value) == 15:
            return _dt.date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    except ValueError:
        return None
    return None


def is_valid_resident_id(value: str, today: _dt.date | None = None) -> bool:
    """An 18-digit ID with a correct check character and a plausible birth date, or a 15-digit legacy ID."""
    value = value.strip().upper()
    today = today or _dt.date.today()
    if len(value) == 18:
        if not (value[:17].isdigit() and (value[17].isdigit() or value[17] == "X")):
            return False
        if resident_id_check_char(value[:17]) != value[17]:
            return False
    elif len(value) == 15:
        if not value.isdigit():
            return False
    else:
        return False
    if value[0] not in "1234568":  # first digit of the administrative division code
        return False
    born = resident_id_birth_date(value)
    return born is not None and _dt.date(1900, 1, 1) <= born <= today


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    """GB 11714 organisation code check character (positions 9-17 of a credit code)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first8, weights))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def is_valid_uscc(value: str) -> bool:
    value = value.strip().upper()
    if len(value) != 18 or any(c not in USCC_ALPHABET for c in value):
        return False
    if not value[2:8].isdigit():
        return False
    return uscc_check_char(value[:17]) == value[17]


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
