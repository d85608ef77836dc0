"""A labelled evaluation set for the detectors and the metrics computed on it.

The set is built from templates and values that differ from the demo generator's: other
phrasings, every province, names from another seed and from random surname/given-name
combinations, every mobile spelling, and look-alike numbers (ticket and order numbers,
amounts, times, version strings) labelled as decoys that must not be flagged.
"""

from __future__ import annotations

import random
import re
import string
from collections import defaultdict
from dataclasses import dataclass, field

from faker import Faker

from masking.checksums import USCC_ALPHABET, luhn_valid, org_code_check_char, uscc_check_char

# Two splits. "tuning" is what the recognizers were developed against. "held_out" was written
# from other phrasing (12345 work orders, social-security and civil-affairs notices, court and
# bank wording, e-mails from foreign residents), with other value pools, and is never looked at
# while tuning: its figures say how detection holds on text it has not seen.
TUNING_ZH = [
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
    "账户冻结申请已受理，开户人{PERSON}。账号{BANK_CARD}，流水号{DECOY_ORDER}。",
    "本月养老金未发放，参保人{PERSON}，身份证{CN_RESIDENT_ID}，请尽快处理。",
    "社区网格员协助行动不便的{PERSON}办理了高龄津贴，回访电话{PHONE_NUMBER}。",
    "由其女儿{PERSON}代为签收，地址{LOCATION}，快递单号{DECOY_ORDER}。",
    "请通知{PERSON}于{DECOY_DATE}前到窗口领取营业执照，企业代码{CN_USCC}。",
    "外籍人士{EN_PERSON}（护照{PASSPORT}）咨询工作许可办理流程，回电{PHONE_NUMBER}。",
    "兹证明{PERSON}（身份证{CN_RESIDENT_ID}）在我社区居住满一年。",
    "对{PERSON}同志的表彰决定已公示，公示编号{DECOY_ORDER}。",
    "网格员走访了独居老人{PERSON}，并转告其子女{PERSON}尽快回家。",
]
TUNING_EN = [
    "My colleague {EN_PERSON} lost his passport {PASSPORT}; reach him at {EMAIL_ADDRESS} or {PHONE_NUMBER}.",
    "Complaint from {EN_PERSON}: the card {BANK_CARD} was charged twice, order {DECOY_ORDER}.",
    "{EN_PERSON} says the server at {IP_ADDRESS} blocked her login at {DECOY_TIME}.",
    "Please call back {EN_PERSON} on {PHONE_NUMBER} about ticket {DECOY_TICKET}, amount {DECOY_AMOUNT} yuan.",
    "The shop at {EN_ADDRESS} sells expired food, ticket {DECOY_TICKET}.",
    "Water has been off since {DECOY_TIME} at {EN_ADDRESS}. Please send someone, thanks, {EN_PERSON}.",
    "For the visa extension please contact {EN_PERSON}.",
    "The tenant at {EN_ADDRESS} complained that Mrs {EN_PERSON} next door plays music at night.",
    "Our courier could not find {EN_ADDRESS} and the recipient, {EN_PERSON}, did not answer.",
]
HELD_OUT_ZH = [
    "市民来电反映：其母亲{PERSON}（身份证号{CN_RESIDENT_ID}）的养老金本月未到账，请核实，联系电话{PHONE_NUMBER}。",
    "诉求内容：{LOCATION}一楼商铺油烟扰民，多次沟通无果。来电人{PERSON}，回访号码{PHONE_NUMBER}。",
    "我单位职工{PERSON}于{DECOY_DATE}离职，请协助办理社保减员，单位信用代码{CN_USCC}。",
    "请帮住在{LOCATION}的{PERSON}办理低保复核，工单号{DECOY_TICKET}。",
    "缴费人{PERSON}。缴费账号{BANK_CARD}，金额{DECOY_AMOUNT}元。",
    "收款户名：{PERSON}；开户账号：{BANK_CARD}；开户行：招商银行。",
    "被申请人{PERSON}，男，汉族，住{LOCATION}，公民身份号码{CN_RESIDENT_ID}。",
    "关于{PERSON}同志的退休审批，经办窗口已受理，受理编号{DECOY_ORDER}。",
    "您好，我叫{PERSON}，是{LOCATION}的租户，房东一直不退押金，我的手机{PHONE_NUMBER}。",
    "车主{PERSON}驾驶{CN_VEHICLE_PLATE}于{DECOY_TIME}在{LOCATION}门口违停。",
    "境外人员{EN_PERSON}（护照号{PASSPORT}）申请临时住宿登记，住址{LOCATION}。",
    "反映人称其父{PERSON}在医院治疗，费用已垫付{DECOY_AMOUNT}元，电子邮箱{EMAIL_ADDRESS}。",
    "特此证明{PERSON}（身份证号码：{CN_RESIDENT_ID}）系我单位在职员工。",
    "参保人{PERSON}，个人编号{DECOY_TICKET}，请于本月底前补缴。",
    "申请人的配偶{PERSON}办理了婚姻登记，登记机关回执号{DECOY_ORDER}，联系地址{LOCATION}。",
    "香港居民{PERSON}持证件{HK_ID}查询个税，登录地址{IP_ADDRESS}，版本{DECOY_VERSION}。",
]
HELD_OUT_EN = [
    "Hi, I rent a flat at {EN_ADDRESS} and the landlord, {EN_PERSON}, keeps my deposit. Call me on {PHONE_NUMBER}.",
    "Dear hotline, the parcel for {EN_PERSON} was sent to {EN_ADDRESS} but never arrived (tracking {DECOY_ORDER}).",
    "I am writing on behalf of my neighbour {EN_PERSON}. She lives at {EN_ADDRESS} and cannot use the app.",
    "Noise at {EN_ADDRESS} after {DECOY_TIME} again; reported by {EN_PERSON}.",
    "The invoice {DECOY_ORDER} lists the buyer as {EN_PERSON}, ID {HK_ID}, e-mail {EMAIL_ADDRESS}.",
    "Please refund {DECOY_AMOUNT} yuan to card {BANK_CARD}, card holder {EN_PERSON}.",
]
# Written from tax, civil-affairs, household-registration and market-regulation wording, as the
# first sealed split; once its misses were fixed it joined the held-out split.
HELD_OUT_ZH_2 = [
    "纳税人{PERSON}（纳税人识别号{CN_RESIDENT_ID}）逾期未申报，请于{DECOY_DATE}前到办税服务厅补正，咨询{PHONE_NUMBER}。",
    "兹有{PERSON}、{PERSON}二人申请结婚登记，双方户籍地均为{LOCATION}，案号{DECOY_CASE}。",
    "逝者{PERSON}的家属申请骨灰寄存，联系人手机{PHONE_NUMBER}，寄存证编号{DECOY_TICKET}。",
    "经核查，{LOCATION}的个体户{PERSON}无照经营，当事人身份证{CN_RESIDENT_ID}，罚没款{DECOY_AMOUNT}元。",
    "户籍迁入：迁入人{PERSON}，原住址{LOCATION}，随迁子女{PERSON}。",
    "我是{PERSON}的代理律师，请将调解书寄到{LOCATION}，邮箱{EMAIL_ADDRESS}。",
    "市场监管局接到消费者{PERSON}投诉，商家（信用代码{CN_USCC}）拒不退款{DECOY_AMOUNT}元。",
    "请{PERSON}携带身份证原件及银行卡{BANK_CARD}到社区服务中心核验。",
    "外籍员工{EN_PERSON}的工作许可即将到期，单位联系人{PERSON}，电话{PHONE_NUMBER}。",
    "来电人自称{PERSON}，反映{LOCATION}小区电梯故障已有三天，批次号{DECOY_ORDER}。",
    "车辆{CN_VEHICLE_PLATE}登记车主为{PERSON}，于{DECOY_TIME}驶离停车场。",
    "低保户{PERSON}（{CN_RESIDENT_ID}）家庭人口变动，经办人：{PERSON}。",
]
HELD_OUT_EN_2 = [
    "To whom it may concern: {EN_PERSON} has lived at {EN_ADDRESS} since 2019.",
    "Ref {DECOY_ORDER}. Your tax residence certificate is ready, {EN_PERSON}; we will post it to {EN_ADDRESS}.",
    "Hello, this is {EN_PERSON} from the consulate, my mobile is {PHONE_NUMBER} and e-mail {EMAIL_ADDRESS}.",
    "The permit of {EN_PERSON} (passport {PASSPORT}) expires soon; case {DECOY_CASE}.",
    "Delivery failed at {EN_ADDRESS} because nobody answered; please reschedule for {EN_PERSON}.",
]
# "sealed" was written last, from education, housing-fund, medical-insurance, labour-arbitration,
# veterans' and traffic wording, and English letters of foreign residents. Only its aggregate
# figures are ever printed (bench/detection_eval.py shows no misses for it): nothing in it is
# tuned against.
SEALED_ZH = [
    "新生{PERSON}的入学材料已审核，监护人{PERSON}请于开学前缴费，联系电话{PHONE_NUMBER}。",
    "公积金提取申请：职工{PERSON}，提取至本人银行卡{BANK_CARD}，金额{DECOY_AMOUNT}元。",
    "医保报销单据显示，患儿{PERSON}在{LOCATION}就诊，结算单号{DECOY_TICKET}。",
    "仲裁委受理了{PERSON}诉某公司（统一社会信用代码{CN_USCC}）拖欠工资一案，案号{DECOY_CASE}。",
    "退役军人{PERSON}，身份证号码{CN_RESIDENT_ID}，现居{LOCATION}，申请优待证。",
    "交警查获驾驶人{PERSON}驾驶{CN_VEHICLE_PLATE}酒后驾车，时间{DECOY_TIME}。",
    "我和爱人{PERSON}想咨询生育津贴，我的邮箱是{EMAIL_ADDRESS}。",
    "房屋{LOCATION}已出租给{PERSON}，租期一年，备案号{DECOY_ORDER}。",
    "志愿者{PERSON}、{PERSON}协助社区完成了核酸采样登记。",
    "{PERSON}，男，{DECOY_DATE}出生，身份证{CN_RESIDENT_ID}，户籍所在地{LOCATION}。",
]
SEALED_EN = [
    "Application for employment: {EN_PERSON}, mobile {PHONE_NUMBER}, currently residing at {EN_ADDRESS}.",
    "Guest {EN_PERSON} checked in with passport {PASSPORT} on {DECOY_DATE}; room rate {DECOY_AMOUNT} yuan.",
    "My son is enrolled at the district school; please send the forms to {EN_ADDRESS}. Kind regards, {EN_PERSON}",
    "We have received the appeal lodged by {EN_PERSON} regarding invoice {DECOY_ORDER}.",
    "Mr {EN_PERSON} and his wife {EN_PERSON} moved from {EN_ADDRESS} last month.",
]
SPLITS = {"tuning": (TUNING_ZH, TUNING_EN), "held_out": (HELD_OUT_ZH + HELD_OUT_ZH_2, HELD_OUT_EN + HELD_OUT_EN_2),
          "sealed": (SEALED_ZH, SEALED_EN)}
ENTITY_OF = {"EN_PERSON": "PERSON", "EN_ADDRESS": "LOCATION"}
DISTRICT_SUFFIX = ("区", "县")
# Titles and post-nominals around an English name are not the name: "Mr Dale Burrows", "Amy Lee PhD".
_TITLES = re.compile(r"^(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Lady|Lord)\.?\s+)+")
_POST_NOMINALS = re.compile(r"(?:,?\s+(?:Jr|Sr|PhD|MD|DDS|DVM|II|III|IV|V|MBE|OBE|CBE)\.?)+$")


@dataclass
class Example:
    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # gold entities
    decoys: list[tuple[int, int, str]] = field(default_factory=list)  # look-alikes


# Street names in pinyin, as Chinese addresses are written in English; one pool per split.
PINYIN_STREETS = {
    "tuning": ("Keyuan", "Shennan", "Binhai", "Zhongshan", "Jiefang", "Renmin", "Huaqiang", "Xinhua", "Jianshe",
               "Heping", "Dongmen", "Nanshan", "Huanshi", "Tianhe", "Yuexiu", "Wuyi", "Baoan", "Longhua"),
    "sealed": ("Dongzhimen", "Jianguo", "Sichuan North", "Changle", "Jiefangbei", "Minzu", "Zhongshan South",
               "Qianjin", "Hubin", "Xinhua West", "Beijing East", "Pudong"),
    "held_out": ("Gongti", "Chaoyangmen", "Xizhimen", "Wangfujing", "Huaihai", "Nanjing", "Yan'an", "Hongqiao",
                 "Zhangjiang", "Xueyuan", "Wenyi", "Jinsha", "Guanggu", "Qinghe", "Fuxing", "Taibai"),
}
STREET_KINDS = ("Road", "Street", "Avenue", "Lane", "Rd", "St.", "Boulevard", "Middle Road", "North Road", "East Street",
                "Lu", "Jie", "Dadao", "Mansion", "Villa", "Residence")
CITIES = {"tuning": ("Shenzhen", "Guangzhou", "Dongguan", "Foshan"), "held_out": ("Beijing", "Shanghai", "Hangzhou", "Chengdu"),
          "sealed": ("Wuhan", "Chongqing", "Xi'an", "Nanjing")}
# English names of residents: the held-out split draws from other locales.
EN_LOCALES = {"tuning": ["en_US", "en_GB"], "held_out": ["en_AU", "en_IE", "en_NZ", "en_IN", "en_CA"],
              "sealed": ["en_PH", "en_US", "en_IE"]}
GIVEN_CHARS = {"tuning": "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红建国文斌佳怡子涵宇轩浩然欣悦梓",
               "sealed": "德福春生秋菊冬梅振宇海燕雪松桂芝国庆卫东红梅淑芬永强建华丽萍",
               "held_out": "婉清晨曦俊豪雨桐思远嘉懿沐阳若汐锦程一诺可馨瑞泽安琪书瑶昊天梦琪诗雅铭博紫萱乐彤"}


class ValueFactory:
    def __init__(self, seed: int, split: str = "tuning"):
        self.split = split
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed + 1)
        self.fake_en = Faker(EN_LOCALES[split])
        self.fake_en.seed_instance(seed + 2)

    def PERSON(self):
        if self.rng.random() < 0.5:
            return self.fake.name()
        from masking.recognizers.cn_person_name import COMPOUND_SURNAMES, SURNAMES

        given = "".join(self.rng.choice(GIVEN_CHARS[self.split]) for _ in range(self.rng.choice((1, 2))))
        if self.split != "tuning" and self.rng.random() < 0.1:
            return self.rng.choice(sorted(COMPOUND_SURNAMES)) + given
        return self.rng.choice(sorted(SURNAMES)[:120]) + given

    def EN_PERSON(self):
        return self.fake_en.name()

    def EN_ADDRESS(self):
        if self.rng.random() < 0.4:  # a street address from an English-speaking country, on one line
            return self.fake_en.street_address().replace("\n", ", ")
        street = f"{self.rng.choice(PINYIN_STREETS[self.split])} {self.rng.choice(STREET_KINDS)}"
        number = self.rng.choice((f"{self.rng.randrange(1, 999)}", f"No. {self.rng.randrange(1, 999)}"))
        address = f"{number} {street}"
        if self.rng.random() < 0.4:
            address = self.rng.choice(("Room", "Flat", "Apt")) + f" {self.rng.randrange(101, 3000)}, " + address
        if self.rng.random() < 0.3:
            address += f", {self.rng.choice(CITIES[self.split])}"
        return address

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

    def DECOY_CASE(self):
        return f"（20{self.rng.randrange(15, 27)}）粤{self.rng.randrange(100, 2000):04d}民初{self.rng.randrange(1, 99999)}号"

    def DECOY_VERSION(self):
        return f"{self.rng.randrange(1, 20)}.{self.rng.randrange(10)}.{self.rng.randrange(30)}"


def build(n: int = 600, seed: int = 4242, split: str = "tuning") -> list[Example]:
    """``n`` labelled texts from one split's templates, a quarter of them English."""
    zh, en = SPLITS[split]
    values = ValueFactory(seed, split)
    rng = values.rng
    examples = []
    for i in range(n):
        template = rng.choice(en if i % 4 == 3 else zh)
        text, spans, decoys = "", [], []
        rest = template
        while "{" in rest:
            before, _, after = rest.partition("{")
            name, _, rest = after.partition("}")
            text += before
            value = getattr(values, name)()
            start, end = len(text), len(text) + len(value)
            text += value
            if name == "EN_PERSON":
                start += _TITLES.match(value).end() if _TITLES.match(value) else 0
                end -= len(_POST_NOMINALS.search(value).group(0)) if _POST_NOMINALS.search(value) else 0
            if name.startswith("DECOY_"):
                decoys.append((start, end, name))
            else:
                spans.append((start, end, ENTITY_OF.get(name, name)))
        text += rest
        examples.append(Example(text, spans, decoys))
    return examples


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _covered(text: str, span: tuple[int, int], predicted: list[tuple[int, int]]) -> bool:
    """Every visible character of the gold span lies in some prediction: a name found in part
    ("张子" of 张子涵) or an address cut short leaves the rest in clear, so it is a miss."""
    inside = [False] * (span[1] - span[0])
    for ps, pe in predicted:
        for i in range(max(ps, span[0]), min(pe, span[1])):
            inside[i - span[0]] = True
    return all(hit or text[span[0] + i] in " ,.()（）" for i, hit in enumerate(inside))


def evaluate(examples: list[Example], analyze) -> dict:
    """Precision and recall per entity type, and the share of decoys that any prediction touched.

    A gold entity counts as found only when predictions of its type cover all of it; a prediction
    is a false positive when it overlaps no gold entity of its type. ``misses`` lists what was
    not found (synthetic values only) for the developer's eye.
    """
    tp, fn, fp = defaultdict(int), defaultdict(int), defaultdict(int)
    decoys_hit = decoys = 0
    misses = []
    for ex in examples:
        predicted = [(r.start, r.end, r.entity_type) for r in analyze(ex.text)]
        for s, e, t in ex.spans:
            if _covered(ex.text, (s, e), [(ps, pe) for ps, pe, pt in predicted if pt == t]):
                tp[t] += 1
            else:
                fn[t] += 1
                misses.append({"entity": t, "value": ex.text[s:e], "text": ex.text,
                               "found": [ex.text[ps:pe] for ps, pe, pt in predicted if pt == t and _overlaps((s, e), (ps, pe))]})
        for ps, pe, pt in predicted:
            if not any(t == pt and _overlaps((s, e), (ps, pe)) for s, e, t in ex.spans):
                fp[pt] += 1
                misses.append({"entity": f"false {pt}", "value": ex.text[ps:pe], "text": ex.text, "found": []})
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
            "decoy_rate": decoys_hit / decoys if decoys else 0.0, "misses": misses}


def format_table(metrics: dict) -> str:
    lines = [f"{'entity':<18} {'support':>7} {'precision':>9} {'recall':>7}"]
    for t, m in metrics["per_type"].items():
        lines.append(f"{t:<18} {m['support']:>7} {m['precision']:>9.3f} {m['recall']:>7.3f}")
    lines.append(f"look-alike numbers flagged: {metrics['decoys_flagged']}/{metrics['decoys']} "
                 f"({100 * metrics['decoy_rate']:.2f}%)")
    return "\n".join(lines)
