"""Table tests for each recognizer: what it must find, and look-alikes it must not."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from masking.recognizers import (
    BankCardRecognizer,
    CnAddressRecognizer,
    CnMobileRecognizer,
    CnPersonNameRecognizer,
    CnResidentIdRecognizer,
    CnUsccRecognizer,
    EmailRecognizer,
    EnAddressRecognizer,
    EnPersonNameRecognizer,
    HkIdRecognizer,
    IpAddressRecognizer,
    KnownValuesRecognizer,
    PassportRecognizer,
    TaiwanIdRecognizer,
    VehiclePlateRecognizer,
)


def spans(recognizer, text, entity):
    return [text[r.start:r.end] for r in recognizer.analyze(text, [entity]) if r.score >= 0.5]


@pytest.mark.parametrize("text,expected", [
    ("身份证号11010519491231002X，请核实", ["11010519491231002X"]),
    ("ID: 11010519491231002x.", ["11010519491231002x"]),
    ("工单号110105194912310021已受理", []),                 # wrong check digit
    ("订单123456789012345678", []),                      # look-alike
    ("编号A11010519491231002X", []),                     # glued to letters
])
def test_resident_id(text, expected):
    assert spans(CnResidentIdRecognizer(), text, "CN_RESIDENT_ID") == expected


@pytest.mark.parametrize("text,expected", [
    ("手机13812345678", ["13812345678"]),
    ("电话138-1234-5678。", ["138-1234-5678"]),
    ("call 138 1234 5678 now", ["138 1234 5678"]),
    ("+86 138 1234 5678", ["+86 138 1234 5678"]),
    ("(+86)13812345678", ["(+86)13812345678"]),
    ("金额12812345678901元", []),
    ("编号1381234567", []),                              # ten digits
])
def test_mobile(text, expected):
    assert spans(CnMobileRecognizer(), text, "PHONE_NUMBER") == expected


@pytest.mark.parametrize("text,expected", [
    ("统一社会信用代码91110000802100433B", ["91110000802100433B"]),
    ("代码91350100M000100Y43。", ["91350100M000100Y43"]),
    ("代码91110000802100433C", []),                     # bad check character
    ("工单参考号123456789012345678", []),                # digits only, no cue
])
def test_uscc(text, expected):
    assert spans(CnUsccRecognizer(), text, "CN_USCC") == expected


@pytest.mark.parametrize("text,expected", [
    ("邮箱zhang.san@example.com，谢谢", ["zhang.san@example.com"]),
    ("mail me: a_b+c@mail.gov.cn", ["a_b+c@mail.gov.cn"]),
    ("not an address: foo@bar", []),
])
def test_email(text, expected):
    assert spans(EmailRecognizer(), text, "EMAIL_ADDRESS") == expected


@pytest.mark.parametrize("text,expected", [
    ("住在广东省深圳市福田区金田路4018号3栋1201室，反映噪音", ["广东省深圳市福田区金田路4018号3栋1201室"]),
    ("地址：南山区科技园路1号", ["南山区科技园路1号"]),
    ("福田区的路灯坏了", []),
])
def test_address(text, expected):
    assert spans(CnAddressRecognizer(), text, "LOCATION") == expected


@pytest.mark.parametrize("text,expected", [
    ("您好，我是王秀英，反映噪音", ["王秀英"]),
    ("联系人张伟，电话未留", ["张伟"]),
    ("申请人欧阳娜娜咨询开办流程", ["欧阳娜娜"]),
    ("市民李飞来电反映积水", ["李飞"]),
    ("小区的路灯坏了很久", []),
    ("请尽快处理噪音扰民问题", []),
])
def test_chinese_person_name(text, expected):
    assert spans(CnPersonNameRecognizer(), text, "PERSON") == expected


def test_known_values_match_any_spacing():
    rec = KnownValuesRecognizer([("PHONE_NUMBER", "13700001111"), ("PERSON", "司马青衫")])
    text = "司马青衫的电话是137 0000 1111或137-0000-1111"
    found = sorted((r.entity_type, text[r.start:r.end]) for r in rec.analyze(text, []))
    assert found == [("PERSON", "司马青衫"), ("PHONE_NUMBER", "137 0000 1111"), ("PHONE_NUMBER", "137-0000-1111")]


def _known_by_regex(values, text):
    """What KnownValuesRecognizer finds, as the regular expressions it was first written with."""
    found = []
    for entity, value in values:
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 7 and len(digits) >= len(value) - 2:
            pattern = r"(?<!\d)" + r"[\s\-]?".join(map(re.escape, digits)) + r"(?!\d)"
        else:
            pattern = re.escape(value)
        found += [(entity, m.start(), m.end()) for m in re.finditer(pattern, text, re.IGNORECASE)]
    return sorted(found)


@settings(max_examples=400, deadline=None)
@given(digits=st.text("0123", min_size=7, max_size=9), spacer=st.sampled_from(["", " ", "-"]),
       name=st.sampled_from(["Ab", "中文", "司马青衫"]),
       text=st.lists(st.sampled_from(list("0123 -\tab中文Ab１") + ["司马青衫"]), max_size=30).map("".join),
       at=st.integers(0, 30), plant=st.booleans())
def test_known_values_find_what_the_regular_expressions_found(digits, spacer, name, text, at, plant):
    if plant:
        text = text[:at] + digits[:3] + spacer + digits[3:] + text[at:]
    values = [("PHONE_NUMBER", digits[:3] + spacer + digits[3:]), ("PERSON", name)]
    found = sorted((r.entity_type, r.start, r.end) for r in KnownValuesRecognizer(values).analyze(text, []))
    assert found == _known_by_regex(values, text)


@pytest.mark.parametrize("text,expected", [
    ("银行卡号6222 0212 3456 7890 128，请退款", ["6222 0212 3456 7890 128"]),
    ("卡号 6217001234567893", ["6217001234567893"]),
    ("转账至6217001234567893", ["6217001234567893"]),         # UnionPay needs no cue
    ("开户账号4111 1111 1111 1111", ["4111 1111 1111 1111"]),  # other schemes need a cue
    ("订单号4111111111111111已发货", []),
    ("工单6222021234567890127", []),                           # fails Luhn
])
def test_bank_card(text, expected):
    assert spans(BankCardRecognizer(), text, "BANK_CARD") == expected


@pytest.mark.parametrize("text,expected", [
    ("护照号码E12345678，签发地广东", ["E12345678"]),
    ("Passport: G87654321", ["G87654321"]),
    ("产品型号E12345678", []),                                 # no passport cue
])
def test_passport(text, expected):
    assert spans(PassportRecognizer(), text, "PASSPORT") == expected


@pytest.mark.parametrize("text,expected", [
    ("登录IP 192.168.10.25 异常", ["192.168.10.25"]),
    ("from 2001:db8::8a2e:370:7334 at night", ["2001:db8::8a2e:370:7334"]),
    ("版本999.1.2.3", []),
    ("会议时间12:30:45", []),
])
def test_ip_address(text, expected):
    assert spans(IpAddressRecognizer(), text, "IP_ADDRESS") == expected


@pytest.mark.parametrize("text,expected", [
    ("香港身份证A123456(3)", ["A123456(3)"]),
    ("HKID AB987654(3).", ["AB987654(3)"]),
    ("HKID A1234563", ["A1234563"]),
    ("登记编号M2026001", []),
    ("编号A123456(4)", []),
])
def test_hk_id(text, expected):
    assert spans(HkIdRecognizer(), text, "HK_ID") == expected


@pytest.mark.parametrize("text,expected", [
    ("台胞身份证A123456789", ["A123456789"]),
    ("编号A123456788", []),
    ("型号C323456789", []),  # third character must be 1 or 2... and the check digit must hold
])
def test_taiwan_id(text, expected):
    assert spans(TaiwanIdRecognizer(), text, "TW_ID") == expected


@pytest.mark.parametrize("text,expected", [
    ("车牌粤B12345违停", ["粤B12345"]),
    ("号牌京A·88888", ["京A·88888"]),
    ("新能源车粤BD12345", ["粤BD12345"]),
    ("粤语B站12345", []),
])
def test_vehicle_plate(text, expected):
    assert spans(VehiclePlateRecognizer(), text, "CN_VEHICLE_PLATE") == expected


@pytest.mark.parametrize("text,expected", [
    ("The shop at 447 Xinhua Rd sells expired food.", ["447 Xinhua Rd"]),
    ("Water is off at Room 1830, No. 223 Tianhe Middle Road. Please help.", ["Room 1830, No. 223 Tianhe Middle Road"]),
    ("at 88 Tianhe Avenue, Foshan sells", ["88 Tianhe Avenue, Foshan"]),
    ("sent to 5132 Ray Trafficway Suite 250 yesterday", ["5132 Ray Trafficway Suite 250"]),
    ("she lives at 490 Martin Basin and", ["490 Martin Basin"]),        # unknown kind after "at"
    ("the parcel went to PO Box 44 again", ["PO Box 44"]),
    ("order 447 New Items shipped", []),                               # no street kind, no locative word
    ("ticket 12 at 18:30 Beijing time", []),
])
def test_english_address(text, expected):
    assert spans(EnAddressRecognizer(), text, "LOCATION") == expected


@pytest.mark.parametrize("text,expected", [
    ("Please send someone, thanks, Tanner Contreras.", ["Tanner Contreras"]),       # known given name
    ("the parcel for Reuben Evans was sent", ["Reuben Evans"]),                     # mid-sentence
    ("外籍人士William Daniels（护照E31638033）咨询", ["William Daniels"]),            # set in Chinese text
    ("Complaint from Andrea Gray-O'Donohoe: the card", ["Andrea Gray-O'Donohoe"]),
    ("The shop at 12 Grace Fields is closed", []),                                   # a street after a number
    ("I called the Bank Of China hotline", []),
])
def test_english_name_rules(text, expected):
    assert spans(EnPersonNameRecognizer(), text, "PERSON") == expected


@pytest.mark.parametrize("text,expected", [
    ("本月养老金未发放，参保人柯洋，请尽快处理。", ["柯洋"]),             # a role in 人 at the end of a clause
    ("账户冻结申请已受理，开户人易荣。", ["易荣"]),
    ("社区网格员协助行动不便的朱淑兰办理了高龄津贴", ["朱淑兰"]),         # …的<name>办理…
    ("由其女儿亢轩刚代为签收", ["亢轩刚"]),                               # the whole name, not 亢轩
    ("转告其子女冶轩敏尽快回家", ["冶轩敏"]),
    ("兹证明丰秀（身份证420107195110122123）在我社区居住", ["丰秀"]),
    ("消费者周岩投诉商家", ["周岩"]),                                      # a role in 者
    ("志愿者陆雪、储昊博协助登记", ["陆雪", "储昊博"]),                    # a list of people
    ("当事人双方已和解，个人编号已登记", []),                              # common words after role cues
    ("市民来电反映路灯不亮", []),
    ("咨询工作许可办理流程", []),                                          # jieba's dictionary calls 许可 a name
])
def test_chinese_name_rules(text, expected):
    assert spans(CnPersonNameRecognizer(), text, "PERSON") == expected


@pytest.mark.parametrize("text,recognizer,entity", [
    ("订单13059599184的快递至今未到", CnMobileRecognizer, "PHONE_NUMBER"),
    ("Complaint: order 17061412580 was charged twice", CnMobileRecognizer, "PHONE_NUMBER"),
    ("流水号6206616969927146", BankCardRecognizer, "BANK_CARD"),
    ("身份证622921199609151052，请核查", BankCardRecognizer, "BANK_CARD"),  # a Gansu resident ID passes Luhn too
])
def test_numbers_labelled_as_something_else_are_not_reported(text, recognizer, entity):
    assert spans(recognizer(), text, entity) == []


def test_a_phone_with_its_own_label_is_still_reported():
    assert spans(CnMobileRecognizer(), "订单联系人手机13812345678", "PHONE_NUMBER") == ["13812345678"]
