"""The figures of the Word 汇报's 附图, drawn as pictures by the headless Chromium the PDF already uses.

Only the figures that help a leader on paper: 图1 the status grid (every unit × every indicator on
which they differ, shaded by status: the whole picture on one page), 图2 the counties in order on
the indicators where they differ, 图3 the city's trend. The map (图4, made to be switched between
indicators on screen) and the township charts (图5, the 督导组's detail, which the checklists and 附表2
list in full) stay in the HTML report.

Each figure is drawn from the report's own code — ``narrative.status_grid`` and ``charts`` give the
very markup and plotly figures the HTML shows, in report.css — on one offline page (plotly.js
inlined, every request outside file:/data: refused), then photographed at twice the CSS pixel size
for print. No kaleido: Chromium and Playwright are already here for the PDF.
"""

from __future__ import annotations

from typing import Any

from pipelines.documents.docx_annexes import Figure, Image
from pipelines.report import annexes, charts, display, narrative
from pipelines.report.render import CHROMIUM_FLAGS, TEMPLATE_DIR, TEMPLATE_NAME, chromium, plotly_js
from pipelines.report.tables import ReportData

SCALE = 2          # device pixels per CSS pixel: 680 px over the 156 mm text block ≈ 220 dpi
WIDTH = 680        # the report's full chart width (charts.FULL_WIDTH)
TIMEOUT_MS = 120_000

DRAW = """
(function () {
  var jobs = [];
  document.querySelectorAll("script.rwb-figure").forEach(function (s) {
    var fig = JSON.parse(s.textContent);
    var box = document.getElementById(s.getAttribute("data-target"));
    fig.config = Object.assign({}, fig.config, {staticPlot: true});
    jobs.push(window.Plotly.newPlot(box, fig.data, fig.layout, fig.config));
  });
  Promise.all(jobs).then(function () { document.documentElement.setAttribute("data-charts", "drawn"); },
                         function () { document.documentElement.setAttribute("data-charts", "failed"); });
})();
"""


def plan(data: ReportData, model: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(key, markup, line after) for each figure to draw, in the HTML report's order and numbering."""
    lang, figs = model["lang"], model["annexes"]["figures"]
    out: list[tuple[str, str, str | None]] = [
        ("scorecard", str(narrative.status_grid(data, model)), figs["equal"]["text"] if figs.get("equal") else None)]
    if figs["bars"]:
        bars = charts.indicator_bars(data, figs["bars"], lang)
        out.append(("bars", "".join(display.chart_html(f.to_dict()) for f in bars), None))
    if figs["trend"]:
        out.append(("trend", display.chart_html(charts.trend(data, figs["trend"], lang).to_dict()), None))
    return out


def page(items: list[tuple[str, str, str | None]], lang: str) -> str:
    """One offline page holding every figure in a box of the report's chart width."""
    css = (TEMPLATE_DIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")
    js = plotly_js().replace("</script", "<\\/script")
    boxes = "".join(f'<div class="rwb-docx-figure" id="fig-{i}">{markup}</div>' for i, (_, markup, _) in enumerate(items))
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<style>{css}\nbody{{margin:0;padding:8px;background:#fff}}"
            f".rwb-docx-figure{{box-sizing:content-box;width:{WIDTH}px;display:flex;flex-wrap:wrap;"
            f"justify-content:space-between;padding:4px;background:#fff}}"
            f".rwb-docx-figure .rwb-chart{{margin:0;overflow:visible}}.rwb-docx-figure .rwb-scroll{{margin:0}}</style>"
            f"</head><body>{boxes}<script>{js}</script>"
            f"<script>{DRAW}</script></body></html>")


def _shoot(html_text: str, count: int) -> list[Image]:
    from playwright.sync_api import sync_playwright

    binary = chromium()
    if binary is None:
        raise FileNotFoundError("Chromium not found")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=CHROMIUM_FLAGS[1:])
        try:
            context = browser.new_context(viewport={"width": WIDTH + 40, "height": 1000}, device_scale_factor=SCALE)
            tab = context.new_page()
            tab.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:", "blob:",
                                                                                               "about:"))
                      else route.abort())
            tab.set_content(html_text, wait_until="load")
            tab.wait_for_function("document.documentElement.getAttribute('data-charts') !== null",
                                  timeout=TIMEOUT_MS)
            if tab.evaluate("document.documentElement.getAttribute('data-charts')") != "drawn":
                raise RuntimeError("plotly.js could not draw the figures")
            images = []
            for i in range(count):
                box = tab.locator(f"#fig-{i}")
                size = box.bounding_box() or {"width": WIDTH, "height": 400}
                images.append(Image(box.screenshot(type="png"), size["width"], size["height"]))
            return images
        finally:
            browser.close()


def draw(data: ReportData, model: dict[str, Any]) -> list[Figure]:
    """The 附图's figures as pictures (raises when Chromium is missing or cannot draw them)."""
    lang = model["lang"]
    items = plan(data, model)
    images = _shoot(page(items, lang), len(items))
    out = []
    for (key, _, after), image in zip(items, images, strict=True):
        head = annexes.heading(key, lang)
        out.append(Figure(key=key, heading=head["heading"], note=head["note"], images=[image],
                          after=after))
    return out
