from __future__ import annotations

from presidio_analyzer import Pattern

from masking.recognizers.base import ContextPatternRecognizer

PROVINCE_ABBREVIATIONS = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"


class VehiclePlateRecognizer(ContextPatternRecognizer):
    """Mainland vehicle plates: 粤B12345, 粤B·12345, and new-energy 粤BD12345 / 粤B12345D."""

    ENTITY = "CN_VEHICLE_PLATE"
    PATTERNS = [
        Pattern("plate",
                rf"[{PROVINCE_ABBREVIATIONS}][A-HJ-NP-Z][·・\s]?(?:[DF][A-HJ-NP-Z0-9]\d{{4}}|\d{{5}}[DF]|[A-HJ-NP-Z0-9]{{5}})"
                r"(?![0-9A-Za-z])",
                0.7),
    ]
    CONTEXT = ["车牌", "牌照", "车辆", "号牌", "plate"]
