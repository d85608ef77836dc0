"""The masking report page for privacy officers: one self-contained HTML file, charts as inline SVG.

Rendered from the report JSON, which holds counts, score distributions and masked examples only,
so the page cannot show a raw value either. The page is a Jinja2 template with autoescaping
(``masking/templates/masking_report.html``), like the oversight site's pages.
"""

from __future__ import annotations

import functools
from pathlib import Path

from masking.discovery import SCORE_BUCKETS

TEMPLATES = Path(__file__).parent / "templates"


@functools.lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    return env.get_template("masking_report.html")


def render_html(report: dict) -> str:
    return _template().render(report=report, buckets=SCORE_BUCKETS)
