"""The sample report in headless Chromium, on a desktop and on a 390 px phone: offline, every chart
drawn, the first page complete, no short value printed as its target, the count of weak links the
drill table's rows, no chart whose units are all equal, nothing wider than the screen.

Rendered once per session (conftest.rendered_report); screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines import config
from pipelines.report.render import plotly_js

ARTIFACTS = config.PROJECT_ROOT / "tests" / "artifacts"  # screenshots for a person (git-ignored)

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent (make browser installs it)"),
]
MAX_BYTES = 6 * 1024 * 1024

PROBE = """() => {
  const text = el => el.innerText.replace(/\\s+/g, '');
  const one = document.querySelector('.rwb-page-one');
  const shortCells = [...document.querySelectorAll('[data-status][data-target]')]
    .filter(el => !['met', 'no_data'].includes(el.dataset.status))
    .map(el => ({value: text(el.querySelector('.v') || el), target: el.dataset.target}));
  const plots = [...document.querySelectorAll('.rwb-plot')];
  const bars = plots.filter(p => p.data && p.data[0] && p.data[0].type === 'bar')
    .map(p => p.data[0].x.map(x => Math.round(x * 10) / 10));
  const wide = [...document.querySelectorAll('table')].filter(t => {
    const box = t.closest('.rwb-scroll') || t.parentElement;
    return t.getBoundingClientRect().right > box.getBoundingClientRect().right + 1 && !t.closest('.rwb-scroll');
  }).length;
  return {
    pageOne: one ? one.innerText : '',
    findings: [...document.querySelectorAll('.rwb-page-one .rwb-finding')].map(e => e.innerText),
    actions: [...document.querySelectorAll('.rwb-page-one .rwb-action')].map(e => e.innerText),
    body: text(document.querySelector('.rwb-body')),
    drillRows: document.querySelectorAll('tr.rwb-drill-row').length,
    shortCells, bars,
    plots: plots.length, drawn: document.querySelectorAll('.rwb-plot.js-plotly-plot').length,
    charts: document.documentElement.getAttribute('data-charts'),
    pageWidth: document.documentElement.scrollWidth, viewWidth: window.innerWidth, wideTables: wide,
    scrolls: [...document.querySelectorAll('.rwb-scroll')].filter(s => s.scrollWidth > s.clientWidth + 1).length,
    download: (document.querySelector('a.rwb-download-link') || {}).download || null,
  };
}"""


def _visit(rendered_report, width: int, height: int, name: str, requests: list[str]) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": width, "height": height},
                                device_scale_factor=1 if width > 500 else 2, is_mobile=width <= 500)

        def route(r):
            requests.append(r.request.url)
            if r.request.url.startswith(("file:", "blob:", "data:")):
                r.continue_()
            else:
                r.abort()

        page.route("**/*", route)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(rendered_report.html.resolve().as_uri(), wait_until="load")
        page.wait_for_function("document.documentElement.getAttribute('data-charts') !== null", timeout=120_000)
        result = page.evaluate(PROBE)
        result["errors"] = errors
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"))
        page.screenshot(path=str(ARTIFACTS / f"report-{name}-full.png"), full_page=True)
        browser.close()
    return result


@pytest.fixture(scope="module")
def desktop(rendered_report):
    requests: list[str] = []
    result = _visit(rendered_report, 1000, 1300, "desktop", requests)
    result["requests"] = requests
    return result


@pytest.fixture(scope="module")
def phone(rendered_report):
    return _visit(rendered_report, 390, 844, "phone", [])


def test_no_request_leaves_the_file(desktop) -> None:
    assert [u for u in desktop["requests"] if not u.startswith(("file:", "blob:", "data:"))] == []
    assert desktop["errors"] == []


def test_every_chart_is_drawn(desktop) -> None:
    assert desktop["charts"] == "drawn"
    assert 8 <= desktop["plots"] <= 12 and desktop["drawn"] == desktop["plots"]


def test_first_page_holds_the_headline_three_findings_and_three_actions(desktop, sample_tree) -> None:
    import pandas as pd

    from pipelines import config

    one = desktop["pageOne"]
    for figure in ("2005年2月25日", "2394", "52417", "100%", "98.8%", "99.5"):
        assert figure in one
    towns = set(pd.read_parquet(sample_tree.processed / config.REGISTRY_FILE)["township"].astype(str))
    assert len(desktop["findings"]) == 3 and all(any(t in f for t in towns) for f in desktop["findings"])
    assert len(desktop["actions"]) == 3
    assert [f[:2] for f in desktop["findings"]] == ["一是", "二是", "三是"]


def test_no_value_below_its_target_is_printed_as_the_target(desktop) -> None:
    cells = desktop["shortCells"]
    assert len(cells) > 100  # tiles, the status grid, the ranking table, the checklists, the drill table
    assert [c for c in cells if c["value"] == c["target"]] == []
    assert "99.95%" in desktop["body"] or any(c["value"] == "99.95%" for c in cells)


def test_the_count_of_weak_links_is_the_drill_tables_rows(desktop) -> None:
    n = int(re.search(r"本期共查找出薄弱环节(\d+)处", desktop["body"]).group(1))
    assert n == desktop["drillRows"] > 0


def test_no_chart_whose_units_are_all_equal(desktop) -> None:
    assert desktop["bars"]
    assert all(len(set(xs)) > 1 for xs in desktop["bars"])


def test_tables_stay_in_their_box_on_a_desktop_and_scroll_in_it_on_a_phone(desktop, phone) -> None:
    assert desktop["wideTables"] == 0 and desktop["pageWidth"] <= desktop["viewWidth"]
    assert phone["pageWidth"] <= phone["viewWidth"] + 1  # the page itself never scrolls sideways
    assert phone["wideTables"] == 0 and phone["scrolls"] > 0  # wide tables scroll inside their box
    assert phone["errors"] == []


def test_html_offline_single_plotly_deferred_and_small(rendered_report) -> None:
    html = rendered_report.html.read_text(encoding="utf-8")
    assert len(html.encode()) < MAX_BYTES
    assert html.count(plotly_js()) == 1 and "<script src=" not in html
    page = html.replace(plotly_js(), "")  # plotly.js carries link strings it never fetches here
    assert re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page) is None  # no CDN script, style or font
    # the library comes after every word of the report, as inert text started after the first paint
    assert html.index('id="rwb-plotly-src"') > html.index('class="rwb-drill')
    assert re.search(r'<script (id="rwb-plotly-src" type="text/plain"|type="text/plain" id="rwb-plotly-src")>', html)


def test_the_workbook_is_beside_the_report_and_linked(rendered_report, desktop) -> None:
    xlsx = rendered_report.html.with_suffix(".xlsx")
    assert xlsx.exists() and xlsx.read_bytes()[:2] == b"PK"
    assert desktop["download"] == "report.xlsx"
