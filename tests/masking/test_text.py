"""Presidio free-text masking on mixed Chinese/English hotline text."""

import pytest

from masking.keys import domain_key, token
from masking.operators import MaskContext
from masking.text import TextMasker, analyze

RID = "11010519491231002X"


@pytest.fixture(scope="module")
def masker():
    return TextMasker({"CN_RESIDENT_ID": "pseudonym", "DEFAULT": "redact"}, MaskContext(domain_key("shared_services")))


def test_chinese_complaint(masker):
    text = f"您好，我是王秀英，身份证号{RID}，手机153 4354 3965，住在广东省深圳市盐田区秦路66号13栋1347室，邮箱wxy@example.com。"
    out, counts = masker.mask(text)
    for secret in ("王秀英", RID, "153 4354 3965", "秦路66号", "wxy@example.com"):
        assert secret not in out
    assert token(domain_key("shared_services"), "CN_RESIDENT_ID", RID) in out
    assert counts == {"PERSON": 1, "CN_RESIDENT_ID": 1, "PHONE_NUMBER": 1, "LOCATION": 1, "EMAIL_ADDRESS": 1}
    assert out.startswith("您好，我是<PERSON>，身份证号pk1_")


def test_english_complaint_uses_ner(masker):
    out, counts = masker.mask("Hello, my name is John Smith. Call me on +86 138 1234 5678 or john@example.com.")
    assert "John Smith" not in out and "1234" not in out and "john@example.com" not in out
    assert counts["PERSON"] == 1


def test_look_alike_numbers_are_left_alone(masker):
    text = "工单参考号123456789012345678，金额12345678元，编号110105194912310021。"
    out, counts = masker.mask(text)
    assert out == text and not counts


def test_known_row_values_are_masked_even_when_detectors_miss_them(masker):
    text = "来电人Zhuge Liang说他的号码是1 3 7 0 0 0 0 1 1 1 1"
    out, _counts = masker.mask(text, known=[("PERSON", "Zhuge Liang"), ("PHONE_NUMBER", "13700001111")])
    assert "Zhuge Liang" not in out and "1 1 1 1" not in out


def test_analyze_reports_offsets_into_the_python_string():
    text = "联系人张伟，电话13812345678"
    found = {(r.entity_type, text[r.start:r.end]) for r in analyze(text)}
    assert ("PERSON", "张伟") in found and ("PHONE_NUMBER", "13812345678") in found


def test_empty_and_missing_text(masker):
    assert masker.mask(None) == (None, {})
    assert masker.mask("  ") == ("  ", {})


def test_a_sentence_long_ner_span_does_not_hide_chinese_names(masker):
    """Regression: the English model once labelled this whole mixed sentence PERSON, and Presidio's
    merge then dropped the Chinese names inside it (found by post-mask verification at 10k rows)."""
    text = "冯健（电话：188 9982 7087）投诉毕博诚科技有限公司拖欠工资三个月，邮箱jie67@gmail.com，请劳动监察部门核实。"
    found = {(r.entity_type, text[r.start:r.end]) for r in analyze(text)}
    assert ("PERSON", "冯健") in found
    out, _ = masker.mask(text)
    assert "冯健" not in out and "jie67" not in out


def test_only_the_entity_recognizer_runs_and_finds_what_the_whole_model_finds():
    import spacy

    from masking.models import NER_MODEL
    from masking.text import LANGUAGE, analyzer

    engine = analyzer().nlp_engine
    assert engine.get_nlp(LANGUAGE).pipe_names == ["ner"]
    whole = spacy.load(NER_MODEL)
    texts = ["Hello, my name is Thomas Harrison. I live at 广东省深圳市南山区冯街436号18栋914室.",
             "Caller Sara Wood (mikaylathompson@yahoo.com) reports a broken streetlight in 龙岗区.",
             "Complaint from Mary-Jane O'Neil: the card was charged twice, order 2026-0042."]
    for text in texts:
        assert [(e.start_char, e.end_char, e.label_) for e in engine.process_text(text, LANGUAGE).tokens.ents] == \
            [(e.start_char, e.end_char, e.label_) for e in whole(text).ents]


def test_operator_output_alone_does_not_start_the_english_model(masker):
    """Verification analyses masked text again: <PERSON> and tokens hold capitals but no name."""
    from masking.text import LANGUAGE, analyzer

    masked, _ = masker.mask(f"您好，我是王秀英，身份证号{RID}。")
    assert "<PERSON>" in masked and "pk1_" in masked
    engine = analyzer().nlp_engine
    assert not engine.process_text(masked, LANGUAGE).tokens.has_annotation("ENT_IOB")
    assert engine.process_text(masked + " Call Ann Lee.", LANGUAGE).tokens.has_annotation("ENT_IOB")
    assert analyze(masked) == []


def test_many_texts_at_once_give_what_one_at_a_time_gives(masker):
    from masking.text import analyze_many

    texts = ["Hello, my name is John Smith. Call me on +86 138 1234 5678.", None, "  ", "联系人张伟，电话13812345678",
             "来电人Zhuge Liang说他的号码是1 3 7 0 0 0 0 1 1 1 1", "", "Caller Ann Lee reports noise in 南山区."]
    known = [[], [], [], [], [("PERSON", "Zhuge Liang"), ("PHONE_NUMBER", "13700001111")], [], []]
    one_by_one = [analyze(t, k) for t, k in zip(texts, known)]
    together = list(analyze_many(texts, known))
    assert [[(r.entity_type, r.start, r.end, r.score) for r in rs] for rs in together] == \
        [[(r.entity_type, r.start, r.end, r.score) for r in rs] for rs in one_by_one]
    assert list(masker.mask_many(texts, known)) == [masker.mask(t, k) for t, k in zip(texts, known)]
    with pytest.raises(ValueError):  # one list of known values per text, never silently fewer
        list(analyze_many(texts, known[:-1]))
