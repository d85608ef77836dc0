from __future__ import annotations

import logging
import re
import threading

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
            "爷爷", "奶奶", "外公", "外婆", "孙子", "孙女", "亲属")
ADDRESSING_VERBS = ("通知", "告知", "转告", "提醒", "联系", "协助", "帮助", "委托")
CUES = ROLE_CUES + KIN_CUES + ADDRESSING_VERBS
# ... any role ending in 人 (参保人, 开户人, 缴费人, 被申请人, 持卡人 ...), a cue by its shape;
_ROLE_IN_REN = r"[\u4e00-\u9fa5]{1,3}人"
# ... and words that follow one: titles, reporting verbs, and the verbs of a service request.
AFTER = ("女士", "先生", "同志", "老师", "家住", "来电", "反映", "称", "表示", "投诉", "咨询", "于", "的", "说",
         "电话", "手机", "身份证", "证件", "住在", "办理", "申请", "领取", "提交", "签收", "缴纳", "补缴", "代为", "前来",
         "前往", "驾驶", "持", "系", "在", "已", "因", "被", "需", "要求")
# A service request's verbs are strong enough to mark a name after a particle: "…不便的朱淑兰办理…".
_PARTICLES = ("的", "由", "给", "让", "帮", "为", "请", "和", "与", "及", "向", "替", "把", "将")
_SERVICE_VERBS = ("办理", "申请", "领取", "提交", "签收", "缴纳", "补缴", "代为", "前来", "前往", "反映", "来电", "投诉", "咨询")
_DELIM = r"[，。、；：:,（(\s)）]"
_NAME = r"([\u4e00-\u9fa5]{2,4}?)"
# Zero-width matches (everything inside a lookahead) so that overlapping cues are all tried:
# in "患者家属郑浩来电" both 患者 and 家属 introduce the candidate.
_CUE_NAME = re.compile(r"(?=(?:" + "|".join(sorted(CUES, key=len, reverse=True)) + r")[：:\s]?" +
                       _NAME + r"(?=" + _DELIM + "|" + "|".join(AFTER) + r"|$))")
_ROLE_NAME = re.compile(r"(?=" + _ROLE_IN_REN + r"[：:\s]?" + _NAME + r"(?=" + _DELIM + "|" + "|".join(AFTER) + r"|$))")
_NAME_CUE = re.compile(r"(?:^|" + _DELIM + r")" + _NAME + r"(?=" + "|".join(AFTER[:9]) + r")")
_PARTICLE_NAME = re.compile(r"(?=(?:" + "|".join(_PARTICLES) + r")" + _NAME + r"(?=" + "|".join(_SERVICE_VERBS) + r"))")
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
                if _plausible(m.group(1)) and not (weak and self._common_word(m.group(1))):
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
    def _not_a_word(cell: str) -> bool:
        """A whole cell of 2-3 characters (4 with a compound surname) that jieba does not read as a
        common word: 杨强 and 李梓文 are names, 劳动保障 and 市容环境 are categories."""
        if len(cell) == 4 and cell[:2] not in COMPOUND_SURNAMES:
            return False
        tokens = list(_jieba_posseg().cut(cell, HMM=True))
        return not (len(tokens) == 1 and not tokens[0].flag.startswith("nr") and tokens[0].flag[:1] in ("n", "v", "a", "l", "i", "d"))

    @staticmethod
    def _common_word(candidate: str) -> bool:
        """A word in jieba's dictionary, used often, and not tagged as a person's name."""
        posseg = _jieba_posseg()
        tokens = list(posseg.cut(candidate, HMM=False))
        return (len(tokens) == 1 and not tokens[0].flag.startswith("nr")
                and (posseg.dt.tokenizer.FREQ.get(candidate) or 0) >= COMMON_WORD_FREQUENCY)

    @staticmethod
    def _keep(text: str, span: tuple[int, int], found: dict) -> None:
        name = text[span[0]:span[1]]
        if _plausible(name) and not any(s <= span[0] and span[1] <= e for s, e in found):
            found[span] = 0.8
