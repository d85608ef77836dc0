from __future__ import annotations

from presidio_analyzer import Pattern

from masking.recognizers.base import ContextPatternRecognizer

_CJK = "\u4e00-\u9fa5"
PROVINCES = (
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省",
    "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省", "四川省", "贵州省",
    "云南省", "陕西省", "甘肃省", "青海省", "台湾省", "内蒙古自治区", "广西壮族自治区", "西藏自治区",
    "宁夏回族自治区", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区",
)
_PROVINCE = "(?:" + "|".join(PROVINCES) + ")"


class CnAddressRecognizer(ContextPatternRecognizer):
    """Chinese street addresses in free text: [province][city]district + street + number [+ building/room]."""

    ENTITY = "LOCATION"
    PATTERNS = [
        Pattern(
            "cn_street_address",
            rf"{_PROVINCE}?(?:[{_CJK}]{{1,7}}?(?:市|州|盟))?"
            rf"[{_CJK}]{{1,7}}?(?:区|县|旗)[{_CJK}A-Za-z0-9]{{1,20}}?(?:大道|路|街|道|巷|弄|村|里)"
            rf"\d{{1,5}}(?:号|弄)(?:[{_CJK}]{{0,6}}?\d{{1,4}}(?:栋|幢|座|单元|号楼))?"
            rf"(?:[A-Za-z]?\d{{0,4}}[A-Za-z]?(?:栋|座))?(?:\d{{1,5}}(?:室|房|号))?",
            0.75,
        ),
    ]
    CONTEXT = ["住址", "地址", "住在", "家住", "位于", "户籍", "live", "address"]

    LEADING_CUES = ("居住在", "住在", "家住", "住址", "地址", "位于", "来自", "在", "是", "：", ":")

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for r in results:
            # The lazy prefix can swallow what precedes an address ("马婷家住芳市…"): start after
            # the last cue word before the district.
            head = text[r.start:r.end]
            cut = max((head.rfind(c) + len(c) for c in self.LEADING_CUES[:7] if c in head[:-6]), default=0)
            if cut and r.end - (r.start + cut) > 4:
                r.start += cut
            trimmed = True
            while trimmed:
                trimmed = False
                for cue in self.LEADING_CUES:
                    if text.startswith(cue, r.start) and r.end - r.start > len(cue) + 4:
                        r.start += len(cue)
                        trimmed = True
        return results
