"""The sample report in headless Chromium: offline, charts drawn, headline figures, A4 PDF.

Rendered once per session (conftest.rendered_report); screenshot and PDF go to tests/artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.report.render import chromium, plotly_js

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent (make browser installs it)"),
]
MAX_BYTES = 6 * 1024 * 1024


@pytest.fixture(scope="module")
def page_report(rendered_report, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    from conftest import ARTIFACTS

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 800, "height": 1100})

        def route(r):
            requests.append(r.request.url)
            if r.request.url.startswith("file:"):
                r.continue_()
            else:
                r.abort()

        page.route("**/*", route)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(rendered_report.html.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(1000)
        result = {
            "charts": page.locator(".js-plotly-plot").count(),
            "divs": page.locator(".plotly-graph-div").count(),
            "text": page.inner_text("body"),
            "alerts": [],
            "errors": errors,
        }
        page.screenshot(path=str(ARTIFACTS / "report.png"))
        page.screenshot(path=str(ARTIFACTS / "report-full.png"), full_page=True)
        browser.close()
    result["requests"] = requests
    return result


def test_no_request_leaves_the_file(page_report) -> None:
    external = [u for u in page_report["requests"] if not u.startswith("file:")]
    assert external == []
    assert page_report["errors"] == []


def test_every_chart_is_drawn(page_report) -> None:
    assert page_report["divs"] >= 20
    assert page_report["charts"] == page_report["divs"]


def test_headline_figures_of_2005_02_25(page_report) -> None:
    text = page_report["text"]
    assert "2005年2月25日" in text
    for figure in ("2394", "52417", "100%", "98.8%", "99.5"):
        assert figure in text


def test_html_offline_single_plotly_and_small(rendered_report) -> None:
    html = rendered_report.html.read_text(encoding="utf-8")
    assert len(html.encode()) < MAX_BYTES
    assert html.count("Plotly.newPlot") >= 20
    assert html.count("plotly.js v") <= 2  # the bundle's banner: plotly.js inlined once
    page = html.replace(plotly_js(), "")  # plotly.js carries link strings it never fetches here
    assert re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page) is None  # no CDN script, style or font
    assert html.count(plotly_js()) == 1
    assert "<script src=" not in html


def test_pdf_is_a4_and_printable(rendered_report) -> None:
    assert chromium() is not None
    assert rendered_report.pdf is not None and rendered_report.pdf.stat().st_size > 50_000
    head = rendered_report.pdf.read_bytes()
    assert head.startswith(b"%PDF")
    assert b"/MediaBox [0 0 595" in head or b"/MediaBox [0 0 594" in head  # A4 width 595.28 pt
