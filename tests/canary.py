"""Canary extracts: known personal values planted in realistic department extracts."""

from __future__ import annotations

from collections import Counter

from govlake.contracts import load_contracts
from govlake.storage import Lake
from govlake.synthetic import Population, deliver, hotline_rows, registry_rows, render_csv, render_jsonl, social_rows
from masking.checksums import resident_id_check_char

_ID17 = "44030419800101123"
CANARY_ID = _ID17 + resident_id_check_char(_ID17)
CANARY_NAME = "司马青衫"
CANARY_EN_NAME = "Archibald Fairweather"
CANARY_PHONE = "13700001111"
CANARY_EMAIL = "sima.qingshan@example.org"
CANARY_ADDRESS = "广东省深圳市福田区金田路4018号3栋1201室"
CANARIES = [CANARY_ID, CANARY_NAME, CANARY_EN_NAME, CANARY_PHONE, CANARY_EMAIL, CANARY_ADDRESS,
            "137-0000-1111", "137 0000 1111"]


def _most_common(rows: list[dict], *keys: str) -> dict:
    counts = Counter(tuple(r[k] for k in keys) for r in rows)
    return dict(zip(keys, counts.most_common(1)[0][0]))


def write_canary_extracts(lake: Lake, rows: int = 1000, seed: int = 7) -> dict[str, str]:
    """Extracts large enough for the risk gate (k=5), with the canary people in common classes so
    that suppression of rare rows never removes them."""
    contracts = load_contracts()
    pop = Population(rows, seed)
    social = social_rows(pop, messy=False)
    social[0].update(resident_id=CANARY_ID, name=CANARY_NAME, mobile=CANARY_PHONE, home_address=CANARY_ADDRESS,
                     birth_date="1980-01-01", gender="男", **_most_common(social, "district"))
    registry = registry_rows(pop, messy=False)
    registry[0].update(legal_rep_id=CANARY_ID, legal_rep_name=CANARY_NAME, phone=CANARY_PHONE,
                       registered_address=CANARY_ADDRESS)
    hotline = hotline_rows(pop, messy=False)
    common = _most_common(hotline, "district", "category")
    hotline[0].update(**common, caller_name=CANARY_NAME, caller_phone=CANARY_PHONE, caller_id=CANARY_ID,
                      complaint=f"您好，我是{CANARY_NAME}，身份证号{CANARY_ID}，手机137-0000-1111，住在{CANARY_ADDRESS}，"
                                f"邮箱{CANARY_EMAIL}，反映楼下餐馆油烟扰民。")
    hotline[1].update(**common, caller_name=CANARY_EN_NAME, caller_phone=CANARY_PHONE, caller_id=None,
                      complaint=f"Hello, my name is {CANARY_EN_NAME}. Please call me on +86 137 0000 1111 "
                                f"or write to {CANARY_EMAIL}. I live at {CANARY_ADDRESS}.")
    files = {
        "social_insured": ("canary.csv", render_csv(contracts["social_insured"], social), len(social)),
        "business_registry": ("canary.csv", render_csv(contracts["business_registry"], registry), len(registry)),
        "hotline_tickets": ("canary.jsonl", render_jsonl(contracts["hotline_tickets"], hotline), len(hotline)),
    }
    return {ds: deliver(lake, contracts[ds], name, payload, rows=n) for ds, (name, payload, n) in files.items()}
