"""A labelled evaluation set for the detectors and the metrics computed on it.

The set is built from templates and values that differ from the demo generator's: other
phrasings, every province, names from another seed and from random surname/given-name
combinations, every mobile spelling, and look-alike numbers (ticket and order numbers,
amounts, times, version strings) labelled as decoys that must not be flagged.
"""

from __future__ import annotations

import random
import string
from collections import defaultdict
from dataclasses import dataclass, field

from faker import Faker

from masking.checksums import USCC_ALPHABET, luhn_valid, org_code_check_char, uscc_check_char

ZH = [
    "尊敬的工作人员：本人{PERSON}，证件号码{CN_RESIDENT_ID}，上周在{LOCATION}附近丢失钱包，请联系{PHONE_NUMBER}。",
    "{PERSON}女士反映其名下银行卡{BANK_CARD}被冻结，工单编号{DECOY_TICKET}。",
    "企业（统一社会信用代码{CN_USCC}）的法人{PERSON}称，开户行退回了{DECOY_AMOUNT}元。",
    "举报车牌{CN_VEHICLE_PLATE}的车辆长期占用消防通道，举报人{PERSON}，电话{PHONE_NUMBER}。",
    "来访者持护照{PASSPORT}办理居住登记，联系邮箱{EMAIL_ADDRESS}，预约号{DECOY_ORDER}。",
    "港澳居民{PERSON}，香港身份证{HK_ID}，咨询社保关系转移，回电{PHONE_NUMBER}。",
    "台胞{PERSON}（身份证{TW_ID}）反映网上办事系统无法登录，登录IP为{IP_ADDRESS}。",
    "订单{DECOY_ORDER}的快递至今未到，收件地址{LOCATION}，收件人{PERSON}。",
    "投诉编号{DECOY_TICKET}：{PERSON}家住{LOCATION}，楼上{DECOY_TIME}后仍有装修噪音。",
    "经办人{PERSON}于{DECOY_DATE}提交材料，纳税人识别号{CN_USCC}，申报金额{DECOY_AMOUNT}元。",
    "患者家属{PERSON}来电，身份证{CN_RESIDENT_ID}，住院号{DECOY_TICKET}，请医保中心核查。",
    "系统版本{DECOY_VERSION}升级后，用户{PERSON}的手机号{PHONE_NUMBER}收不到验证码。",
]
EN = [
    "My colleague {EN_PERSON} lost his passport {PASSPORT}; reach him at {EMAIL_ADDRESS} or {PHONE_NUMBER}.",
    "Complaint from {EN_PERSON}: the card {BANK_CARD} was charged twice, order {DECOY_ORDER}.",
    "{EN_PERSON} says the server at {IP_ADDRESS} blocked her login at {DECOY_TIME}.",
    "Please call back {EN_PERSON} on {PHONE_NUMBER} about ticket {DECOY_TICKET}, amount {DECOY_AMOUNT} yuan.",
]
ENTITY_OF = {"EN_PERSON": "PERSON"}
DISTRICT_SUFFIX = ("区", "县")


@dataclass
class Example:
    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # gold entities
    decoys: list[tuple[int, int, str]] = field(default_factory=list)  # look-alikes


class ValueFactory:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed + 1)
        self.fake_en = Faker(["en_US", "en_GB"])
        self.fake_en.seed_instance(seed + 2)

    def PERSON(self):
        if self.rng.random() < 0.5:
            return self.fake.name()
        from masking.recognizers.cn_person_name import SURNAMES

        given = "".join(self.rng.choice("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红建国文斌佳怡子涵宇轩浩然欣悦梓")
                        for _ in range(self.rng.choice((1, 2))))
        return self.rng.choice(sorted(SURNAMES)[:120]) + given

    def EN_PERSON(self):
        return self.fake_en.name()

    def CN_RESIDENT_ID(self):
        ssn = self.fake.ssn()
        return ssn if self.rng.random() < 0.9 else ssn[:17] + ("x" if ssn[17] == "X" else ssn[17])

    def PHONE_NUMBER(self):
        n = self.rng.choice("3456789")
        m = f"1{n}{self.rng.randrange(10**9):09d}"
        forms = [m, f"{m[:3]}-{m[3:7]}-{m[7:]}", f"{m[:3]} {m[3:7]} {m[7:]}", f"+86 {m[:3]} {m[3:7]} {m[7:]}",
                 f"(+86){m}", f"+86{m}"]
        return self.rng.choice(forms)

    def CN_USCC(self):
        org = "".join(self.rng.choice(USCC_ALPHABET) for _ in range(8))
        body = self.rng.choice(("91", "92", "12", "52", "93")) + f"{self.rng.randrange(110000, 659999)}" + org + \
            org_code_check_char(org)
        return body + uscc_check_char(body) if all(c in USCC_ALPHABET for c in body) else self.CN_USCC()

    def BANK_CARD(self):
        body = "62" + "".join(str(self.rng.randrange(10)) for _ in range(self.rng.choice((13, 14, 16))))
        check = next(d for d in "0123456789" if luhn_valid(body + d))
        card = body + check
        return " ".join(card[i:i + 4] for i in range(0, len(card), 4)) if self.rng.random() < 0.4 else card

    def PASSPORT(self):
        return self.rng.choice("EG") + f"{self.rng.randrange(10**8):08d}"

    def EMAIL_ADDRESS(self):
        return self.fake_en.email() if self.rng.random() < 0.5 else self.fake.email()

    def IP_ADDRESS(self):
        return self.fake_en.ipv4() if self.rng.random() < 0.7 else self.fake_en.ipv6()

    def HK_ID(self):
        from masking.checksums import is_valid_hkid

        while True:
            letters = "".join(self.rng.choice(string.ascii_uppercase) for _ in range(self.rng.choice((1, 1, 2))))
            digits = f"{self.rng.randrange(10**6):06d}"
            for c in "0123456789A":
                if is_valid_hkid(letters + digits + c):
                    return f"{letters}{digits}({c})"

    def TW_ID(self):
        from masking.checksums import is_valid_taiwan_id

        while True:
            candidate = self.rng.choice("ABCDEFGHJKLMNPQRSTUVXYWZIO") + self.rng.choice("12") + \
                f"{self.rng.randrange(10**7):07d}"
            for d in "0123456789":
                if is_valid_taiwan_id(candidate + d):
                    return candidate + d

    def CN_VEHICLE_PLATE(self):
        from masking.recognizers.vehicle_plate import PROVINCE_ABBREVIATIONS

        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        tail = "".join(self.rng.choice(letters + "0123456789") for _ in range(5)) if self.rng.random() < 0.7 \
            else self.rng.choice("DF") + self.rng.choice(letters) + f"{self.rng.randrange(10**4):04d}"
        return self.rng.choice(PROVINCE_ABBREVIATIONS) + self.rng.choice(letters) + tail

    def LOCATION(self):
        f = self.fake
        district = f.district() + self.rng.choice(DISTRICT_SUFFIX)
        street = f.street_name() + self.rng.choice(("路", "街", "大道", "巷"))
        number = f"{self.rng.randrange(1, 999)}号"
        extra = self.rng.choice(("", f"{self.rng.randrange(1, 30)}栋{self.rng.randrange(101, 2500)}室",
                                 f"{self.rng.randrange(1, 9)}单元"))
        prefix = self.rng.choice((f.province() + f.city(), f.city(), ""))
        return prefix + district + street.rstrip("路街") + street[-1] + number + extra

    # -- look-alikes ------------------------------------------------------------------------
    def DECOY_TICKET(self):
        return f"{self.rng.randrange(10**17, 10**18)}"

    def DECOY_ORDER(self):
        return self.rng.choice((f"{self.rng.randrange(10**15, 10**16)}", f"SO{self.rng.randrange(10**11, 10**12)}",
                                f"{self.rng.randrange(10**10, 10**11)}"))

    def DECOY_AMOUNT(self):
        return self.rng.choice((f"{self.rng.randrange(10**6, 10**9)}", f"{self.rng.randrange(10**4, 10**8)}.00"))

    def DECOY_TIME(self):
        return f"{self.rng.randrange(24):02d}:{self.rng.randrange(60):02d}:{self.rng.randrange(60):02d}"

    def DECOY_DATE(self):
        return f"20{self.rng.randrange(10, 27)}-{self.rng.randrange(1, 13):02d}-{self.rng.randrange(1, 29):02d}"

    def DECOY_VERSION(self):
        return f"{self.rng.randrange(1, 20)}.{self.rng.randrange(10)}.{self.rng.randrange(30)}"


def build(n: int = 600, seed: int = 4242) -> list[Example]:
    values = ValueFactory(seed)
    rng = values.rng
    examples = []
    for i in range(n):
        template = rng.choice(EN if i % 4 == 3 else ZH)
        text, spans, decoys = "", [], []
        rest = template
        while "{" in rest:
            before, _, after = rest.partition("{")
            name, _, rest = after.partition("}")
            text += before
            value = getattr(values, name)()
            start, end = len(text), len(text) + len(value)
            text += value
            if name.startswith("DECOY_"):
                decoys.append((start, end, name))
            else:
                spans.append((start, end, ENTITY_OF.get(name, name)))
        text += rest
        examples.append(Example(text, spans, decoys))
    return examples


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def evaluate(examples: list[Example], analyze) -> dict:
    """Precision and recall per entity type (a prediction counts when it overlaps a gold span of
    the same type), and the share of decoys that any prediction touched."""
    tp, fn, fp = defaultdict(int), defaultdict(int), defaultdict(int)
    decoys_hit = decoys = 0
    for ex in examples:
        predicted = [(r.start, r.end, r.entity_type) for r in analyze(ex.text)]
        for s, e, t in ex.spans:
            if any(pt == t and _overlaps((s, e), (ps, pe)) for ps, pe, pt in predicted):
                tp[t] += 1
            else:
                fn[t] += 1
        for ps, pe, pt in predicted:
            if not any(t == pt and _overlaps((s, e), (ps, pe)) for s, e, t in ex.spans):
                fp[pt] += 1
        for s, e, _ in ex.decoys:
            decoys += 1
            decoys_hit += any(_overlaps((s, e), (ps, pe)) for ps, pe, _ in predicted)
    types = sorted(set(tp) | set(fn) | set(fp))
    per_type = {
        t: {"support": tp[t] + fn[t], "tp": tp[t], "fp": fp[t], "fn": fn[t],
            "precision": tp[t] / (tp[t] + fp[t]) if tp[t] + fp[t] else 1.0,
            "recall": tp[t] / (tp[t] + fn[t]) if tp[t] + fn[t] else 1.0}
        for t in types
    }
    return {"per_type": per_type, "decoys": decoys, "decoys_flagged": decoys_hit,
            "decoy_rate": decoys_hit / decoys if decoys else 0.0}


def format_table(metrics: dict) -> str:
    lines = [f"{'entity':<18} {'support':>7} {'precision':>9} {'recall':>7}"]
    for t, m in metrics["per_type"].items():
        lines.append(f"{t:<18} {m['support']:>7} {m['precision']:>9.3f} {m['recall']:>7.3f}")
    lines.append(f"look-alike numbers flagged: {metrics['decoys_flagged']}/{metrics['decoys']} "
                 f"({100 * metrics['decoy_rate']:.2f}%)")
    return "\n".join(lines)
