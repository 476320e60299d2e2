"""Render the executed report notebook to report.html (and report.pdf) in the run folder.

The report stage owns rendering (``pipelines.report.render``: code hidden, offline, atomic);
this module only calls it, adds a one-line "incomplete input" banner above the report when a
file could not be read (the report's own caveats then give the details), and falls back to
nbconvert's stock exporter while that module is not installed.

A PDF that cannot be printed (no Chromium, or one that fails to start) does not fail the run:
the HTML is there, so the run is recorded ``incomplete`` with a short reason (``pdf_error``)
and the whole error goes to nightly.log, not to the console.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BANNER = {
    "zh": "⚠️ <strong>本期数据不完整</strong>：{n} 个报表文件无法使用（{files}），以下数字不含这些文件。",
    "en": "⚠️ <strong>Incomplete input</strong>: {n} returns file(s) could not be used ({files});"
          " the figures below leave them out.",
}
#: When the report's own caveats already name every file, the banner only points to them.
BANNER_SHORT = {
    "zh": "⚠️ <strong>本期数据不完整</strong>：{n} 个报表文件无法使用，详见下文“数据说明”。",
    "en": "⚠️ <strong>Incomplete input</strong>: {n} returns file(s) could not be used; see the data notes below.",
}
#: A boxed line (inline style: it must survive any nbconvert template and the PDF print).
BANNER_HTML = (
    '<div class="{tag}" role="alert" style="border:1px solid #c0392b;border-left:6px solid #c0392b;'
    'background:#fdecea;color:#7b1d12;padding:8px 12px;margin:0 0 12px 0;">{text}</div>'
)
BANNER_TAG = "nightly-incomplete-banner"
NO_CHROMIUM = "Chromium not found (install chromium, or set pdf: false in nightly.yaml)"
log = logging.getLogger("pipelines.nightly")


def banner_text(incomplete: Sequence[dict[str, Any]], language: str, named_by_report: bool = False) -> str:
    lang = "en" if language == "en" else "zh"
    if named_by_report:
        return BANNER_SHORT[lang].format(n=len(incomplete))
    files = "; ".join(
        f"{f.get('county') or '?'}: {Path(str(f.get('path'))).name} ({f.get('status')})" for f in incomplete
    )
    return BANNER[lang].format(n=len(incomplete), files=html.escape(files))


def report_names_files(executed: Path, incomplete: Sequence[dict[str, Any]]) -> bool:
    """Whether the executed report's outputs already name every unusable file (its caveats section)."""
    try:
        nb = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    text = json.dumps([c.get("outputs", []) for c in nb.get("cells", [])], ensure_ascii=False)
    return all(Path(str(f.get("path"))).name in text for f in incomplete)


def with_banner(executed: Path, target: Path, text: str) -> Path:
    """Copy of the executed notebook with a markdown banner as its first cell (the report's first lines)."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    source = BANNER_HTML.format(tag=BANNER_TAG, text=text)
    cell = {"cell_type": "markdown", "id": BANNER_TAG, "metadata": {"tags": [BANNER_TAG]}, "source": source}
    nb["cells"].insert(0, cell)
    target.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return target


def render_report(
    executed: Path,
    run_dir: Path,
    *,
    pdf: bool = True,
    incomplete: Sequence[dict[str, Any]] = (),
    language: str = "zh",
    links: Sequence[Path] = (),
) -> dict[str, Any]:
    """report.html (+ report.pdf when Chromium is there); returns what run.json records. ``links``: the
    documents already written into the run folder (report.docx, feedback/…), which the report links to."""
    out: dict[str, Any] = {"html": None, "pdf": None, "pdf_error": None, "warnings": [],
                           "incomplete_banner": bool(incomplete)}
    source = executed
    tmp: Path | None = None
    if incomplete:
        named = report_names_files(executed, incomplete)
        out["incomplete_banner"] = "short (the report's caveats name the files)" if named else "full"
        text = banner_text(incomplete, language, named)
        tmp = with_banner(executed, run_dir / f".{executed.stem}.render.ipynb", text)
        source = tmp
    try:
        renderers: tuple[Callable[..., Path], Callable[[Path, Path], Path | None] | None]
        try:
            from pipelines.report.render import render_html, render_pdf
            renderers = (render_html, render_pdf)
        except ImportError:
            renderers = (_fallback_html, None)
            out["renderer"] = "nbconvert (pipelines.report.render not available)"
            out["warnings"].append("pipelines.report.render not available: rendered with nbconvert's stock template")
        else:
            out["renderer"] = "pipelines.report.render"
        t0 = time.perf_counter()
        html_file: Path = renderers[0](source, run_dir / "report.html", links)
        out["html"], out["html_s"] = str(html_file), round(time.perf_counter() - t0, 3)
        log.info("render html: ok in %.1f s (%s)", out["html_s"], out["renderer"])
        if pdf:
            out.update(_print_pdf(renderers[1], Path(html_file), run_dir / "report.pdf"))
        else:
            log.info("render pdf: off (pdf: false)")
        for key in ("html", "pdf"):
            if out[key]:
                _readable(Path(out[key]))
    finally:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    return out


def _print_pdf(render_pdf: Any, html_file: Path, pdf_file: Path) -> dict[str, Any]:
    """report.pdf, or ``pdf_error``: a short reason (the full error is logged)."""
    t0 = time.perf_counter()
    try:
        result = render_pdf(html_file, pdf_file) if render_pdf else None
        error = None if result is not None else NO_CHROMIUM
    except Exception as exc:  # noqa: BLE001 - any failure to print leaves the HTML report standing
        log.error("render pdf: failed after %.1f s", time.perf_counter() - t0, exc_info=exc)
        result, error = None, short_error(exc)
    seconds = round(time.perf_counter() - t0, 3)
    if error is None:
        log.info("render pdf: ok in %.1f s", seconds)
    elif error == NO_CHROMIUM:
        log.warning("render pdf: not printed: %s", error)
    return {"pdf": str(result) if result else None, "pdf_s": seconds, "pdf_error": error}


def short_error(exc: BaseException, limit: int = 160) -> str:
    """``Kind: first line`` of an exception; playwright's carry the browser's whole log after it."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _readable(path: Path) -> None:
    """Atomic writes go through mkstemp (mode 0600); the report is for the office to read: 0644 less umask."""
    mask = os.umask(0)
    os.umask(mask)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o644 & ~mask)


def _fallback_html(executed: Path, html_path: Path, links: Sequence[Path] = ()) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(str(executed), as_version=4))
    tmp = html_path.with_name(f".{html_path.name}.tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(html_path)
    return html_path
