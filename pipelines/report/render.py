"""Executed notebook → self-contained offline HTML (nbconvert), its downloads beside it
(report.xlsx) and a line linking to them and to the documents written beside it (report.docx, the
feedback workbooks) → A4 PDF (headless Chromium).

The HTML makes no request to any other host: the template drops require.js, MathJax and mermaid,
and inlines plotly.js once, started after the first paint. A download the notebook made (the
workbook, display.download) is written beside the HTML under the HTML's name (report.xlsx beside
report.html). The PDF is Chromium's print of that file once every chart is drawn and every folded
section opened; the page numbers and the date come from the page's own CSS margin boxes.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import nbformat
import plotly
from nbconvert import HTMLExporter

from pipelines import config
from pipelines.io import atomic_path, write_bytes, write_text

TEMPLATE_DIR = config.TEMPLATES_DIR / "nbconvert"
TEMPLATE_NAME = "rwb_report"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
    "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
]


def plotly_js() -> str:
    """The plotly.js bundled with the installed plotly (the version the figures were made for)."""
    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


def html_exporter() -> HTMLExporter:
    exporter = HTMLExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATE_DIR)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    return exporter


def render_html(executed_notebook: Path, html_path: Path, links: Sequence[Path] = ()) -> Path:
    """Render the executed notebook to ``html_path``: code hidden, fully offline, atomic.

    The notebook's downloads are written beside it first (report.xlsx); a "下载" line at the top of
    the page then links to them and to ``links`` (report.docx, feedback/<county>.xlsx: files already
    written beside the report) by relative paths, so the run folder opens as one set."""
    from pipelines.report.narrative import files_line

    nb = nbformat.read(str(executed_notebook), as_version=4)
    language = nb.metadata.get("papermill", {}).get("parameters", {}).get("language") or "zh"
    written = write_downloads(nb, Path(html_path))
    files = [Path(f) for f in links if Path(f).is_file()] + written
    resources = {
        "plotly_js": plotly_js(),
        "report_css": (TEMPLATE_DIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8"),
        "metadata": {"name": nb.metadata.get("title") or "学习培训情况汇报"},
        "rwb_files": files_line(Path(html_path), files, language) if files else "",
    }
    exporter = html_exporter()
    exporter.language_code = "zh-CN" if language == "zh" else language
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return _readable(write_text(body, html_path))


def write_downloads(nb: nbformat.NotebookNode, html_path: Path) -> list[Path]:
    """Write each download the notebook carries (display.download) beside the HTML, named after it:
    report.html → report.xlsx, report.en.html → report.en.xlsx."""
    from pipelines.report.display import DOWNLOAD_MIME

    written = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            item = out.get("data", {}).get(DOWNLOAD_MIME)
            if item:
                target = Path(html_path).with_suffix("." + str(item["suffix"]))
                written.append(_readable(write_bytes(base64.b64decode(item["base64"]), target)))
    return written


def _readable(path: Path) -> Path:
    """mkstemp (behind atomic writes) leaves 0600; a report is for the office to read: 0644 less umask."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o644 & ~mask)
    return path


def chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


def _pdf_playwright(binary: str, html_path: Path, tmp: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=CHROMIUM_FLAGS[1:])
        try:
            page = browser.new_page(viewport={"width": 794, "height": 1123})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:", "blob:"))
                       else route.abort())
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            page.wait_for_function("document.documentElement.getAttribute('data-charts') !== null", timeout=120_000)
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            page.emulate_media(media="print")
            page.pdf(path=str(tmp), format="A4", print_background=True, prefer_css_page_size=True,
                     display_header_footer=False)
        finally:
            browser.close()


def _pdf_cli(binary: str, html_path: Path, tmp: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="rwb-chromium-") as profile:
        subprocess.run(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
             "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000",
             f"--print-to-pdf={tmp}", html_path.resolve().as_uri()],
            check=True, capture_output=True, timeout=180,
        )


def render_pdf(html_path: Path, pdf_path: Path) -> Path | None:
    """Print ``html_path`` to an A4 PDF with headless Chromium; None when Chromium is absent."""
    binary = chromium()
    if binary is None:
        return None
    with atomic_path(pdf_path) as tmp:
        try:
            _pdf_playwright(binary, Path(html_path), tmp)
        except ImportError:
            _pdf_cli(binary, Path(html_path), tmp)
    return _readable(Path(pdf_path))
