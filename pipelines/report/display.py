"""How the notebook shows charts, HTML and downloads so that they survive nbconvert and paint fast.

Under papermill, plotly ≥ 6 emits only its JSON mimetype, which nbconvert drops. The ``rwb``
renderer emits that JSON (JupyterLab draws it) *and* a text/html fragment for the report: an
empty box of the chart's size with the figure as inert JSON beside it. plotly.js itself is inlined
once at the end of the page and started after the first paint (pipelines/templates/nbconvert), which
then draws every box: the text and tables never wait for the 4.8 MB library.

A download (the report's workbook) is shown as a link holding the file (a data: URL, so the HTML
stays one self-contained file) and carried in its own mimetype, which the renderer writes beside the
HTML (pipelines/report/render.py).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from IPython.display import HTML, display
from plotly.io._base_renderers import MimetypeRenderer
from plotly.utils import PlotlyJSONEncoder

RENDERER = "rwb"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": False,
                 "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d", "autoScale2d"]}
DOWNLOAD_MIME = "application/vnd.rwb.download+json"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def figure_json(fig_dict: dict[str, Any]) -> str:
    """The figure as JSON safe inside a <script> element (no "</" can close it)."""
    text = json.dumps({"data": fig_dict.get("data", []), "layout": fig_dict.get("layout", {}),
                       "config": PLOTLY_CONFIG}, cls=PlotlyJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def chart_html(fig_dict: dict[str, Any]) -> str:
    """A sized, empty chart box and its figure as inert JSON (drawn once plotly.js has loaded)."""
    layout = fig_dict.get("layout", {})
    width, height = int(layout.get("width") or 680), int(layout.get("height") or 400)
    payload = figure_json(fig_dict)
    div = "rwb-" + hashlib.sha1(payload.encode("utf-8")).hexdigest()[:12]
    half = " rwb-half" if width <= 400 else ""
    return (f'<div class="rwb-chart{half}" style="width:{width}px;height:{height}px">'
            f'<div id="{div}" class="plotly-graph-div rwb-plot" style="width:{width}px;height:{height}px"></div>'
            f'<script type="application/json" class="rwb-figure" data-target="{div}">{payload}</script></div>')


class OfflineHtmlRenderer(MimetypeRenderer):
    """Plotly JSON for JupyterLab plus the deferred chart box for nbconvert."""

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, Any]:
        return {
            "application/vnd.plotly.v1+json": {"data": fig_dict.get("data", []), "layout": fig_dict.get("layout", {}),
                                               "config": PLOTLY_CONFIG},
            "text/html": chart_html(fig_dict),
        }


def setup() -> None:
    """Register the renderer and make it the default (call once at the top of the notebook)."""
    pio.renderers[RENDERER] = OfflineHtmlRenderer()
    pio.renderers.default = RENDERER


def show(fig: go.Figure | None) -> None:
    if fig is not None:
        fig.show(renderer=RENDERER)


def show_html(markup: str) -> None:
    """Show already-escaped HTML (narrative, tables)."""
    display(HTML(str(markup)))


def download(content: bytes, name: str, label: str, note: str = "") -> None:
    """A download link holding ``content`` (data: URL), and the bytes for the renderer to write beside
    the HTML (as ``<report name>.<suffix>``)."""
    b64 = base64.b64encode(content).decode("ascii")
    suffix = name.rsplit(".", 1)[-1]
    link = (f'<p class="rwb-download">{html.escape(note)}<a class="rwb-download-link" download="{html.escape(name)}" '
            f'href="data:{XLSX_MIME};base64,{b64}">{html.escape(label)}</a> '
            f'<span class="rwb-download-size">({len(content) // 1024 + 1} KB)</span></p>')
    display({"text/html": link, DOWNLOAD_MIME: {"suffix": suffix, "name": name, "base64": b64}}, raw=True)
