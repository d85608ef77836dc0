from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

from presidio_analyzer import RecognizerResult

from masking.recognizers.base import RuleRecognizer

# The most common Chinese surnames (single and compound) cover the vast majority of people.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
try:  # Faker's zh_CN surname list (with frequencies) widens the table above
    from faker.providers.person.zh_CN import Provider as _ZhPerson

    SURNAMES |= {n for n in _ZhPerson.last_names if len(n) == 1}
except Exception:
    pass
COMPOUND_SURNAMES = {"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "司徒", "夏侯", "公孙", "尉迟", "长孙", "宇文"}
# Words that introduce a person in hotline, registry and case text: roles, kin, and verbs of
# addressing someone ...
ROLE_CUES = ("我是", "我叫", "本人", "联系人", "申请人", "来电人", "投诉人", "举报人", "收件人", "寄件人", "经办人", "代理人",
             "市民", "居民", "台胞", "家属", "用户", "法人", "法定代表人", "姓名", "患者", "业主", "户主", "员工", "职工",
             "村民", "住户", "租户", "老人", "学生", "当事人", "被投诉人", "负责人", "户名", "车主", "房东", "同事", "邻居",
             "监护人")
KIN_CUES = ("父亲", "母亲", "父", "母", "儿子", "女儿", "丈夫", "妻子", "配偶", "爱人", "哥哥", "姐姐", "弟弟", "妹妹",
            "爷爷", "奶奶", "外公", "外婆", "孙子", "孙女", "子女", "亲属")
ADDRESSING_VERBS = ("通知", "告知", "转告", "提醒", "联系", "协助", "帮助", "委托")
CUES = ROLE_CUES + KIN_CUES + ADDRESSING_VERBS
# ... any role ending in 人, 者 or 户 (参保人, 开户人, 被申请人, 消费者, 申请者, 个体户, 低保户 ...), a cue by
# its shape, and the words of naming (自称, 名为, 车主为);
_ROLE_BY_SHAPE = r"(?:[\u4e00-\u9fa5]{1,3}(?:人|者|户)|自称|名为|名叫|叫做|署名)"
# ... and words that follow one: titles, reporting verbs, and the verbs of a service request.
AFTER = ("女士", "先生", "同志", "老师", "家住", "来电", "反映", "称", "表示", "投诉", "咨询", "于", "的", "说",
         "电话", "手机", "身份证", "证件", "住在", "办理", "申请", "领取", "提交", "签收", "缴纳", "补缴", "代为", "前来",
         "前往", "驾驶", "持", "系", "在", "已", "因", "被", "需", "要求")
# A service request's verbs are strong enough to mark a name after a particle: "…不便的朱淑兰办理…".
_PARTICLES = ("的", "由", "给", "让", "帮", "为", "请", "和", "与", "及", "向", "替", "把", "将", "对", "经", "据", "关于", "对于", "至于",
              "同", "跟")
_SERVICE_VERBS = ("办理", "申请", "领取", "提交", "签收", "缴纳", "补缴", "代为", "前来", "前往", "反映", "来电", "投诉", "咨询",
                  "携带", "持", "到", "于", "按时", "尽快", "本人")
_DELIM = r"[，。、；：:,（(\s)）]"
_NAME = r"([\u4e00-\u9fa5]{2,4}?)"
# Zero-width matches (everything inside a lookahead) so that overlapping cues are all tried:
# in "患者家属郑浩来电" both 患者 and 家属 introduce the candidate.
_KNOWN_CUE = "(?:" + "|".join(sorted(CUES, key=len, reverse=True)) + ")"
_NAME_ENDS = r"(?=" + _DELIM + "|" + "|".join(AFTER) + r"|$)"
_CUE_NAME = re.compile(r"(?=" + _KNOWN_CUE + r"[：:\s]?" + _NAME + _NAME_ENDS + ")")
_ROLE_NAME = re.compile(r"(?=" + _ROLE_BY_SHAPE + r"[：:\s]?" + _NAME + _NAME_ENDS + ")")
_NAME_CUE = re.compile(r"(?:^|" + _DELIM + r")" + _NAME + r"(?=" + "|".join(AFTER[:9]) + r")")
_LIST_JOINERS = "、和与及"
_TITLES = ("同志", "先生", "女士", "老师", "师傅")
_PARTICLE_NAME = re.compile(r"(?=(?:" + "|".join(_PARTICLES) + r")" + _NAME + r"(?=" + "|".join(_SERVICE_VERBS + _TITLES) + r"))")
# An identity document or phone in brackets follows a person: "兹证明丰秀（身份证…".
_ID_BRACKET = re.compile(r"[\u4e00-\u9fa5](?=[（(](?:身份证|证件|公民身份|护照|电话|手机|联系电话|港澳|台胞|\d{6}))")
# Where a cue stands, for the names no following word marks ("转告其子女冶轩敏尽快回家").
_ANY_CUE = re.compile("(?:" + _KNOWN_CUE + "|" + _ROLE_BY_SHAPE + r")[：:\s]?")
# A candidate ending in a place or street word is a place ("刘街", "梁平区", "石家庄").
_PLACE_ENDINGS = tuple("路街巷区县市镇村港庄道里弄州省乡湾桥园")
_WHOLE_NAME = re.compile(r"[\u4e00-\u9fa5]{2,4}")  # a cell holding only a name
_CJK_RUN = re.compile(r"[\u4e00-\u9fa5]+")
# How often a word must occur in jieba's dictionary to count as a common word (编号 402, 双方 7289;
# names are rare or absent: 张娟 -, 傅国 0).
COMMON_WORD_FREQUENCY = 300

# Government-service words jieba's HMM may otherwise tag as names (it tagged 银行卡 "nr").
DOMAIN_WORDS = ("银行卡", "信用卡", "社保卡", "医保卡", "身份证", "营业执照", "工单", "热线", "物业", "街道办", "居委会",
                "派出所", "公积金", "养老金", "低保", "户口本", "房产证", "驾驶证", "行驶证", "车牌", "护照", "台胞证",
                "网约车", "外卖", "快递", "装修", "噪音", "油烟", "施工", "拖欠", "工资", "退款", "冻结", "验证码")

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
            for word in DOMAIN_WORDS:
                jieba.add_word(word, freq=100000, tag="n")
            from masking.posseg_viterbi import install

            install()  # the same tags, decoded several times faster
            _posseg = jieba.posseg
    return _posseg


def _plausible(name: str) -> bool:
    if not 2 <= len(name) <= 4:
        return False
    if any(cue in name for cue in ROLE_CUES):  # role words that jieba sometimes tags as names (kin words are
        # also surnames and given names: 孙子涛, 母红)
        return False
    if name.endswith(_PLACE_ENDINGS):
        return False
    return name[0] in SURNAMES or name[:2] in COMPOUND_SURNAMES


class CnPersonNameRecognizer(RuleRecognizer):
    """Chinese person names in free text, from jieba's part-of-speech tags (``nr``) and cue words.

    jieba sometimes splits a name into surname and given name, both tagged ``nr``: adjacent
    ``nr`` tokens are merged. A candidate must start with a known surname.
    """

    ENTITY = "PERSON"

    def find(self, text: str) -> list[RecognizerResult]:
        found: dict[tuple[int, int], float] = {}
        stripped = text.strip()
        if _WHOLE_NAME.fullmatch(stripped) and _plausible(stripped) and self._not_a_word(stripped):
            # A cell that is nothing but a name (a structured name column).
            start = text.index(stripped)
            return [RecognizerResult(self.ENTITY, start, start + len(stripped), 0.7)]
        for pattern, weak in ((_CUE_NAME, False), (_NAME_CUE, False), (_ROLE_NAME, True), (_PARTICLE_NAME, True)):
            for m in pattern.finditer(text):
                # After a cue known only by its shape, a candidate must not be a common word
                # ("编号" after 个人, "双方" after 当事人).
                if _plausible(m.group(1)) and m.group(1) not in AFTER and not (weak and self._common_word(m.group(1))):
                    found[(m.start(1), m.end(1))] = 0.9
        for m in _ANY_CUE.finditer(text):
            if not any(s == m.end() for s, _ in found):
                self._name_after_cue(text, m.end(), found)
        for m in _ID_BRACKET.finditer(text):
            if not any(e == m.end() for _, e in found):
                self._name_before(text, m.end(), found)
        # A list of people continues after one: "张三、李四二人", "王五和赵六".
        pending = sorted(found)
        while pending:
            _, end = pending.pop(0)
            if end < len(text) and text[end] in _LIST_JOINERS and not any(s == end + 1 for s, _ in found):
                before = set(found)
                self._name_after_cue(text, end + 1, found)
                pending += sorted(set(found) - before)
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
    def _not_a_word(cell: str) -> bool:
        """A whole cell of 2-3 characters (4 with a compound surname) that jieba does not read as a
        common word: 杨强 and 李梓文 are names, 劳动保障 and 市容环境 are categories."""
        if len(cell) == 4 and cell[:2] not in COMPOUND_SURNAMES:
            return False
        tokens = list(_jieba_posseg().cut(cell, HMM=True))
        return not (len(tokens) == 1 and not tokens[0].flag.startswith("nr") and tokens[0].flag[:1] in ("n", "v", "a", "l", "i", "d"))

    @classmethod
    def _name_after_cue(cls, text: str, start: int, found: dict) -> None:
        """The name right after a cue, delimited by jieba: whole words are taken while they fit in
        four characters, up to the first common word or non-Chinese character."""
        run = _CJK_RUN.match(text, start)
        if not run:
            return
        length = 0
        for word in _jieba_posseg().dt.tokenizer.cut(run.group(0)[:8], HMM=True):
            ordinary = word in AFTER or (len(word) >= 2 and cls._common_word(word))
            if length == 0 and ordinary:
                return  # the cue is followed by an ordinary word ("家属申请…"), not a name
            if length >= 2 and (ordinary or word in _TITLES):
                break
            if length + len(word) > 4:
                break
            length += len(word)
        candidate = text[start:start + length]
        if length >= 2 and _plausible(candidate) and not cls._common_word(candidate) and candidate not in AFTER:
            found.setdefault((start, start + length), 0.85)

    @classmethod
    def _name_before(cls, text: str, end: int, found: dict) -> None:
        """The name that ends at ``end``: whole jieba words, taken backwards while they fit in four
        characters, back to the first common word."""
        run_start = end
        while run_start > 0 and _CJK_RUN.match(text[run_start - 1]):
            run_start -= 1
        words = list(_jieba_posseg().dt.tokenizer.cut(text[max(run_start, end - 8):end], HMM=True))
        length = 0
        for word in reversed(words):
            if (length >= 2 and len(word) >= 2 and cls._common_word(word)) or length + len(word) > 4:
                break
            length += len(word)
        candidate = text[end - length:end]
        # The bracket is strong evidence: a famous name in jieba's dictionary (李鹏) is still a name here.
        if length >= 2 and _plausible(candidate) and not cls._common_word(candidate):
            found.setdefault((end - length, end), 0.85)

    @staticmethod
    @lru_cache(maxsize=65536)
    def _common_word(candidate: str, names_too: bool = False) -> bool:
        """A word in jieba's dictionary, used often, and (unless ``names_too``) not tagged as a
        person's name. jieba's dictionary lists some common words as names (许可 "nr", 623): where
        nothing else says a person is meant, frequency alone decides."""
        posseg = _jieba_posseg()
        if (posseg.dt.tokenizer.FREQ.get(candidate) or 0) < COMMON_WORD_FREQUENCY:
            return False
        tokens = list(posseg.cut(candidate, HMM=False))
        return len(tokens) == 1 and (names_too or not tokens[0].flag.startswith("nr"))

    @classmethod
    def _keep(cls, text: str, span: tuple[int, int], found: dict) -> None:
        name = text[span[0]:span[1]]
        if _plausible(name) and not cls._common_word(name, names_too=True) and not any(s <= span[0] and span[1] <= e for s, e in found):
            found[span] = 0.8
