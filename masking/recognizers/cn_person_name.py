from __future__ import annotations

import logging
import re
import threading
from typing import List, Optional

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

# The most common Chinese surnames (single and compound) cover the vast majority of people.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = {"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "司徒", "夏侯", "公孙", "尉迟", "长孙", "宇文"}
# Words that introduce a person in hotline and registry text.
CUES = ("我是", "我叫", "本人", "联系人", "申请人", "来电人", "投诉人", "市民", "法定代表人", "法人", "经办人", "姓名", "患者", "业主", "户主", "先生", "女士")
_CUE_NAME = re.compile(r"(?:" + "|".join(CUES[:-2]) + r")[：:\s]?([\u4e00-\u9fa5]{2,4}?)(?=[，。、；：:,（(\s]|电话|手机|身份|来电|反映|咨询|投诉|$)")
_CJK_RUN = re.compile(r"[\u4e00-\u9fa5]+")

_jieba_lock = threading.Lock()
_posseg = None


def _jieba_posseg():
    global _posseg
    with _jieba_lock:
        if _posseg is None:
            import jieba
            import jieba.posseg

            jieba.setLogLevel(logging.WARNING)
            # jieba caches its prefix dictionary in a temp dir: keep it with govlake's other state.
            from govlake.config import settings

            cache = settings().home / "cache"
            cache.mkdir(parents=True, exist_ok=True)
            jieba.dt.tmp_dir = str(cache)
            jieba.initialize()
            _posseg = jieba.posseg
    return _posseg


def _plausible(name: str) -> bool:
    if not 2 <= len(name) <= 4:
        return False
    if any(cue in name for cue in CUES):  # role words that jieba sometimes tags as names
        return False
    return name[0] in SURNAMES or name[:2] in COMPOUND_SURNAMES


class CnPersonNameRecognizer(EntityRecognizer):
    """Chinese person names in free text, from jieba's part-of-speech tags (``nr``) and cue words.

    jieba sometimes splits a name into surname and given name, both tagged ``nr``: adjacent
    ``nr`` tokens are merged. A candidate must start with a known surname.
    """

    ENTITY = "PERSON"

    def __init__(self, supported_language: str = "en"):
        super().__init__(supported_entities=[self.ENTITY], supported_language=supported_language,
                         name="CnPersonNameRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: List[str], nlp_artifacts: Optional[NlpArtifacts] = None) -> List[RecognizerResult]:
        if self.ENTITY not in entities:
            return []
        found: dict[tuple[int, int], float] = {}
        for m in _CUE_NAME.finditer(text):
            if _plausible(m.group(1)):
                found[(m.start(1), m.end(1))] = 0.9
        posseg = _jieba_posseg()
        for run in _CJK_RUN.finditer(text):
            offset = run.start()
            pending: tuple[int, int] | None = None
            for word, flag in posseg.cut(run.group(0), HMM=True):
                start, end = offset, offset + len(word)
                offset = end
                if flag == "nr":
                    pending = (pending[0], end) if pending else (start, end)
                    continue
                if pending:
                    self._keep(text, pending, found)
                    pending = None
            if pending:
                self._keep(text, pending, found)
        return [RecognizerResult(self.ENTITY, s, e, score) for (s, e), score in sorted(found.items())]

    @staticmethod
    def _keep(text: str, span: tuple[int, int], found: dict) -> None:
        name = text[span[0]:span[1]]
        if _plausible(name) and not any(s <= span[0] and span[1] <= e for s, e in found):
            found[span] = 0.8
