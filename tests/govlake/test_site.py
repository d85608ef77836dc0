"""The oversight site (govlake.site): what it shows, that it escapes what it shows, and that every page,
the Data Docs included, renders fully in headless Chromium with the network blocked."""

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest

from govlake import approvals
from govlake.records import iter_manifests
from tests.approvals import run_all_approved


@pytest.fixture(scope="module")
def site(tmp_path_factory, spark):
    from govlake.contracts import load_contracts
    from govlake.site import build
    from govlake.storage import Lake
    from govlake.synthetic import generate
    from tests.environment import temporary_environ

    with temporary_environ({"GOVLAKE_LAKE_ROOT": str(tmp_path_factory.mktemp("lake-site")),
                            approvals.RUN_BY_ENV: "data_engineer"}):
        lake = Lake.from_settings()
        generate(lake, rows=60, datasets=["tax_filings"])
        assert run_all_approved("tax_filings").ok
        # A contract change that widens a grant waits for a privacy officer; its comment carries markup.
        c = load_contracts()["tax_filings"]
        wider = dataclasses.replace(c, access=(dataclasses.replace(c.access[0], columns=("*",)),))
        with pytest.raises(approvals.ApprovalRequired):
            approvals.check(wider, lake, 2, "fp2", iter_manifests(lake, "tax_filings"), True,
                            "reports/tax_filings/risk/v1.json")
        pages = build(lake)
        yield {"lake": lake, "pages": {Path(p).name: Path(lake.local_path(p)) for p in pages}}


def test_pages_show_the_catalog_grades_approvals_and_scorecard(site):
    pages = site["pages"]
    assert list(pages)[:3] == ["index.html", "approvals.html", "scorecard.html"]
    index = pages["index.html"].read_text()
    assert "tax_filings" in index and "纳税申报" in index and 'class="grade L4"' in index
    assert "1 release waiting for a privacy officer" in index and '<span class="warn">waiting</span>' in index
    assert "approved</span> by privacy_officer" in pages["dataset-tax_filings.html"].read_text()
    waiting = pages["approvals.html"].read_text()
    assert "contract changed since the last approved release: grants" in waiting and "data_engineer" in waiting
    dataset = pages["dataset-tax_filings.html"].read_text()
    assert "masking report</a>" in dataset and "validation (Data Docs)</a>" in dataset and "Identifier inventory" in dataset
    for link in re.findall(r'href="([^"]+)"', dataset):  # every report it links is there, relative to the page
        assert (pages["dataset-tax_filings.html"].parent / link).exists(), link
    scorecard = pages["scorecard.html"].read_text()
    assert "<svg" in scorecard and re.search(r"<td>tax</td><td>\d{4}-\d{2}</td>", scorecard)


def test_what_the_pages_show_is_escaped(site, contracts):
    from govlake.site import build

    lake = site["lake"]
    approvals.decide(lake, "tax_filings", "privacy_officer", approve=False, comment="<script>alert(1)</script> too wide")
    build(lake)
    text = site["pages"]["approvals.html"].read_text()
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; too wide" in text


def test_every_page_renders_offline_in_chromium(site):
    from tests.browser import Browser

    lake = site["lake"]
    (m,) = iter_manifests(lake, "tax_filings")
    pages = {**site["pages"], "data docs": Path(lake.local_path(m.validation.data_docs)),
             "masking report": Path(lake.local_path(m.masking.report_html))}
    for name, path in pages.items():
        assert not re.search(r'(?:src|href)="https?://(?!greatexpectations\.io/newsletter)', path.read_text()), name
    browser = Browser()
    try:
        for name, path in pages.items():
            page = browser.open(path)
            assert all(r.startswith("file://") for r in page.resources()), (name, page.resources())
            text = page.text()
            assert text.strip(), name
            if name in site["pages"]:
                assert page.style("header", "backgroundColor") == "rgb(31, 58, 95)", name  # styled
                assert "govlake oversight" in text
                # Chinese text renders in a CJK font present on the machine, not as boxes.
                assert page.js("document.fonts.check('16px \"Noto Sans CJK SC\"')"), "no CJK font: make browser-packages"
            page.close()
        docs = browser.open(pages["data docs"])
        assert "Successful Expectations" in docs.text() and "Must have greater than or equal to" in docs.text()
        assert docs.style(".badge", "backgroundColor") == "rgb(108, 117, 125)"  # Bootstrap's look, offline
        assert docs.style(".card", "borderTopStyle") == "solid"
        docs.close()
        index = browser.open(site["pages"]["index.html"])
        assert "纳税申报" in index.text() and "L4" in index.text()
        index.close()
    finally:
        browser.close()


def test_the_cjk_font_is_installed():
    families = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    assert "Noto Sans CJK SC" in families, "install fonts-noto-cjk: make browser-packages"
