from __future__ import annotations

from functools import lru_cache

from presidio_analyzer import Pattern

from masking.recognizers.base import ContextPatternRecognizer


@lru_cache(maxsize=1)
def _offline_tld_extractor():
    import tldextract

    # No suffix-list URLs: tldextract uses the snapshot bundled with it and never goes online.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class EmailRecognizer(ContextPatternRecognizer):
    """E-mail addresses, with a public-suffix check that works offline."""

    ENTITY = "EMAIL_ADDRESS"
    PATTERNS = [
        Pattern("email", r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,24}(?![A-Za-z])", 0.5),
    ]
    CONTEXT = ["邮箱", "电子邮件", "email", "e-mail", "mail"]


    def validate_result(self, pattern_text: str) -> bool:
        return _offline_tld_extractor()(pattern_text.rsplit("@", 1)[-1]).suffix != ""
