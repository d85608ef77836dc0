from __future__ import annotations

import ipaddress

from presidio_analyzer import Pattern

from masking.recognizers.base import ContextPatternRecognizer


class IpAddressRecognizer(ContextPatternRecognizer):
    """IPv4 and IPv6 addresses, validated by Python's ipaddress module."""

    ENTITY = "IP_ADDRESS"
    PATTERNS = [
        Pattern("ipv4", r"(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9.])", 0.6),
        Pattern("ipv6", r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])", 0.6),
    ]
    CONTEXT = ["ip", "地址", "登录", "访问", "address", "host"]

    def validate_result(self, pattern_text: str) -> bool:
        try:
            address = ipaddress.ip_address(pattern_text)
        except ValueError:
            return False
        return not (address.version == 6 and pattern_text.count(":") < 2)
