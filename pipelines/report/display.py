"""How the notebook shows charts and HTML so that they survive nbconvert.

Under papermill, plotly ≥ 6 emits only its JSON mimetype, which nbconvert drops. The ``rwb``
renderer emits that JSON (JupyterLab draws it) *and* a text/html fragment made by
pio.to_html(include_plotlyjs=False); plotly.js itself is inlined once by the nbconvert template
(pipelines/templates/nbconvert/rwb_report), so the HTML holds it once however many charts.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from IPython.display import HTML, display
from plotly.io._base_renderers import MimetypeRenderer

RENDERER = "rwb"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": False,
                 "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"]}


class OfflineHtmlRenderer(MimetypeRenderer):
    """Plotly JSON for JupyterLab plus a text/html fragment without plotly.js for nbconvert."""

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, Any]:
        fragment = pio.to_html(fig_dict, include_plotlyjs=False, full_html=False, config=PLOTLY_CONFIG,
                               validate=False)
        return {
            "application/vnd.plotly.v1+json": {"data": fig_dict.get("data", []), "layout": fig_dict.get("layout", {}),
                                               "config": PLOTLY_CONFIG},
            "text/html": f'<div class="rwb-chart">{fragment}</div>',
        }


def setup() -> None:
    """Register the renderer and make it the default (call once at the top of the notebook)."""
    pio.renderers[RENDERER] = OfflineHtmlRenderer()
    pio.renderers.default = RENDERER


def show(fig: go.Figure) -> None:
    fig.show(renderer=RENDERER)


def show_html(markup: str) -> None:
    """Show already-escaped HTML (narrative, tables)."""
    display(HTML(str(markup)))
