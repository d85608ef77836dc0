"""The numpy decoder must give jieba's part-of-speech tags exactly: same scores, same states."""

import random

import jieba.posseg as posseg
import pytest
from jieba.posseg.viterbi import viterbi as jieba_viterbi

from masking.evaluation import build
from masking.posseg_viterbi import PossegViterbi, install
from masking.recognizers.cn_person_name import _CJK_RUN, _jieba_posseg

TABLES = (posseg.char_state_tab_P, posseg.start_P, posseg.trans_P, posseg.emit_P)


@pytest.fixture(scope="module")
def decoder():
    return PossegViterbi(*TABLES)


def _strings(n: int, seed: int):
    rng = random.Random(seed)
    known = list(posseg.char_state_tab_P)
    everyday = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗欧阳住在街路号我是丽华英秀明文区市省的了和人有"
    for _ in range(n):
        pool = everyday if rng.random() < 0.6 else known
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
        yield text + ("\u3400" if rng.random() < 0.05 else "")  # a character jieba has no states for


def test_same_path_and_score_as_jieba(decoder):
    for text in _strings(3000, 11):
        expected_prob, expected_route = jieba_viterbi(text, *TABLES)
        prob, route = decoder.decode(text)
        assert (prob, route) == (expected_prob, list(expected_route)), text


def test_installed_decoder_tags_evaluation_texts_as_jieba_does():
    runs = sorted({m.group(0) for ex in build(300, 99) for m in _CJK_RUN.finditer(ex.text)})
    tagger = _jieba_posseg()  # installs the decoder
    assert getattr(posseg.viterbi, "govlake_decoder", None) is not None
    with_numpy = [list(tagger.cut(run, HMM=True)) for run in runs]
    installed, posseg.viterbi = posseg.viterbi, jieba_viterbi
    try:
        with_jieba = [list(tagger.cut(run, HMM=True)) for run in runs]
    finally:
        posseg.viterbi = installed
    assert [[(p.word, p.flag) for p in r] for r in with_numpy] == [[(p.word, p.flag) for p in r] for r in with_jieba]
    install()  # a second install keeps the first
    assert posseg.viterbi is installed


def test_other_tables_go_to_jieba():
    _jieba_posseg()
    other_start = dict(posseg.start_P)
    assert posseg.viterbi("王小明", posseg.char_state_tab_P, other_start, posseg.trans_P, posseg.emit_P) == \
        jieba_viterbi("王小明", posseg.char_state_tab_P, other_start, posseg.trans_P, posseg.emit_P)
