"""The masking report page (masking.report): rendered from the report JSON through an autoescaping
template, self-contained."""

from masking.report import render_html


def test_what_the_report_holds_is_escaped_and_the_page_is_self_contained():
    report = {"dataset": "x<y", "batch_id": "b1", "generated_at": "2026-11-22", "pseudonym_domain": "d",
              "key_version": "1", "note": "n", "rows_in": 2, "rows": 2, "totals": {"entities_masked": 1},
              "risk": {"suppressed_rows": 0},
              "free_text": [{"column": "text", "rows_with_findings": 1, "operators": {"DEFAULT": "redact"},
                             "entities_found": {"PERSON": 1}, "masked_examples": ["<script>alert(1)</script> 投诉"]}]}
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; 投诉" in page
    assert "x&lt;y" in page and '{"DEFAULT": "redact"}' in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
