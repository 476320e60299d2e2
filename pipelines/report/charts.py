"""The report's Plotly charts: Chinese labels, one colour per indicator, one county order.

Every label that came from a spreadsheet goes through ``esc`` (HTML-escaped): plotly.js renders
label text as HTML-like markup, so ``<script>`` must arrive as ``&lt;script&gt;`` to show as
text. Widths are fixed to fit an A4 page (full: 700 px, half: 340 px) so printing cuts nothing.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipelines.domain import load
from pipelines import numbers as fmt
from pipelines.report.palette import CITY_LINE, STATUS_COLOURS, STATUS_LABELS, STATUS_RANK, TARGET_LINE
from pipelines.report.tables import ReportData, ordered

FULL_WIDTH = 700
HALF_WIDTH = 330
FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"


def esc(text: Any) -> str:
    """Escape a label for plotly (which reads a subset of HTML in text)."""
    return html.escape("" if fmt.is_missing(text) else str(text), quote=False)


def county_label(name: str, lang: str) -> str:
    """The county as a person reads it in ``lang`` (names from counties.yaml)."""
    if lang == "zh":
        return esc(name)
    if name == load.city_total_label():
        return esc(load.counties()["city"].get("total_label_en", name))
    for c in load.counties()["counties"]:
        if c["name"] == name:
            return esc(c.get("name_en", name))
    return esc(name)


def ind_label(spec: dict[str, Any], lang: str, short: bool = False) -> str:
    if lang == "zh":
        return spec["short_zh"] if short else spec["zh"]
    return spec["en"]


def _axis_value(v: Any, spec: dict[str, Any]) -> float | None:
    """Shares plot as percentages, scores as points."""
    if fmt.is_missing(v):
        return None
    return float(v) * 100 if spec["unit"] == "share" else float(v)


def _layout(fig: go.Figure, title: str, width: int, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        width=width, height=height, autosize=False,
        font={"family": FONT, "size": 12},
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        plot_bgcolor="white", paper_bgcolor="white",
        showlegend=False,
    )
    return fig


def scorecard(data: ReportData, lang: str = "zh") -> go.Figure:
    """County × indicator traffic lights against each indicator's target."""
    rows = data.county_now()
    city = data.city_now()
    frame = pd.concat([rows, city.to_frame().T], ignore_index=True) if city is not None else rows
    y = [county_label(c, lang) for c in frame["county"]]
    x = [ind_label(s, lang, short=True) for s in data.judged]
    z, text, hover = [], [], []
    for _, r in frame.iterrows():
        zr, tr, hr = [], [], []
        for s in data.judged:
            v = r.get(s["id"])
            st = data.status_of(r["county"], s["id"])
            zr.append(STATUS_RANK[st])
            tr.append(fmt.value(v, s["unit"], lang) if s["unit"] == "share" else fmt.score(v, lang, unit=False))
            hr.append(f"{county_label(r['county'], lang)}<br>{ind_label(s, lang)}: {fmt.value(v, s['unit'], lang)}"
                      f"<br>{'目标' if lang == 'zh' else 'target'} {fmt.value(s['target'], s['unit'], lang)}"
                      f" · {STATUS_LABELS[st][lang]}")
        z.append(zr)
        text.append(tr)
        hover.append(hr)
    scale = []
    keys = sorted(STATUS_RANK, key=STATUS_RANK.get)
    for i, key in enumerate(keys):
        scale += [[i / len(keys), STATUS_COLOURS[key]], [(i + 1) / len(keys), STATUS_COLOURS[key]]]
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=y, text=text, texttemplate="%{text}", textfont={"size": 10, "color": "white"},
        customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        colorscale=scale, zmin=-0.5, zmax=len(keys) - 0.5, showscale=False, xgap=2, ygap=2,
    ))
    for key in ["met", "watch", "alert", "scheduled", "no_data"]:  # legend entries for the statuses
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=STATUS_LABELS[key][lang],
                                 marker={"size": 12, "color": STATUS_COLOURS[key], "symbol": "square"}))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top", tickangle=-45)
    title = "各县（市、区）指标达标情况" if lang == "zh" else "Scorecard: counties against each target"
    _layout(fig, title, FULL_WIDTH, 150 + 34 * len(y))
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.02, "x": 0, "yanchor": "top"},
                      margin={"t": 110, "l": 90, "b": 40}, title=None)
    return fig


def indicator_bars(data: ReportData, lang: str = "zh") -> list[go.Figure]:
    """Per indicator: the counties sorted, with the city value and the target as lines."""
    figs = []
    rows = data.county_now()
    city = data.city_now()
    for s in data.judged:
        d = rows[["county", s["id"]]].copy()
        d["v"] = [_axis_value(v, s) for v in d[s["id"]]]
        d = d.sort_values("v", ascending=s.get("direction") == "lower", na_position="first", kind="stable")
        colours = [s["colour"]] * len(d)
        opac = [1.0 if data.status_of(c, s["id"]) == "met" else 0.55 for c in d["county"]]
        fig = go.Figure(go.Bar(
            x=d["v"], y=[county_label(c, lang) for c in d["county"]], orientation="h",
            marker={"color": colours, "opacity": opac, "line": {"width": 0}},
            text=[fmt.value(v, s["unit"], lang) for v in d[s["id"]]], textposition="inside",
            insidetextanchor="end", textfont={"color": "#212121", "size": 10},
            hovertemplate="%{y}: %{text}<extra></extra>",
        ))
        lines = [(_axis_value(s["target"], s), TARGET_LINE, "目标" if lang == "zh" else "target", "dash")]
        if city is not None and not fmt.is_missing(city.get(s["id"])):
            lines.append((_axis_value(city[s["id"]], s), CITY_LINE, load.city_total_label() if lang == "zh" else "city", "dot"))
        for x, colour, name, dash in lines:
            fig.add_vline(x=x, line={"color": colour, "dash": dash, "width": 1.5})
            fig.add_annotation(x=x, y=1.0, yref="paper", text=name, showarrow=False, yanchor="bottom",
                               xanchor="left" if dash == "dash" else "right", font={"size": 10, "color": colour})
        lo = min([v for v in d["v"] if v is not None] + [x for x, *_ in lines if x is not None])
        hi = max([v for v in d["v"] if v is not None] + [x for x, *_ in lines if x is not None])
        pad = max((hi - lo) * 0.15, 1.0)
        fig.update_xaxes(range=[max(0, lo - pad * 2), hi + pad * 0.5], ticksuffix="%" if s["unit"] == "share" else "",
                         gridcolor="#eeeeee")
        _layout(fig, ind_label(s, lang), HALF_WIDTH, 300)
        fig.update_layout(margin={"l": 80, "r": 10, "t": 50, "b": 30})
        figs.append(fig)
    return figs


def _with_share(v: Any, base: Any, lang: str) -> str:
    share = float(v) / float(base) if not fmt.is_missing(v) and not fmt.is_missing(base) and base else None
    left, right = ("（", "）") if lang == "zh" else (" (", ")")
    return f"{fmt.count(v, lang)}{left}{fmt.pct(share, lang)}{right}"


def funnel(data: ReportData, lang: str = "zh") -> go.Figure:
    """Members → studied → tested → answer sheets returned, city and each county."""
    stages = ["members", "studied", "test_takers", "sheets_returned"]
    names = [load.label(c, lang) for c in stages]
    city = data.city_now()
    fig = go.Figure()
    if city is not None:
        values = [city.get(c) for c in stages]
        fig.add_trace(go.Funnel(
            y=names, x=[0 if fmt.is_missing(v) else int(v) for v in values],
            text=[_with_share(v, values[0], lang) for v in values],
            textinfo="text", marker={"color": ["#1f77b4", "#2ca02c", "#d62728", "#9467bd"]},
            connector={"line": {"color": "#bdbdbd"}},
            hovertemplate="%{y}: %{text}<extra></extra>",
        ))
    title = "学习测试漏斗（全市）" if lang == "zh" else "From members to returned answer sheets (city)"
    _layout(fig, title, FULL_WIDTH, 300)
    return fig.update_layout(title=None, margin={"t": 20})


def _wrap(names: list[str], sep: str, per_line: int = 3) -> str:
    lines = [sep.join(names[i:i + per_line]) for i in range(0, len(names), per_line)]
    return "<br>".join(lines)


LABEL_DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, -1), (1, -1), (-1, 1))
LABEL_RADII = (14, 30, 48, 68)


def label_offsets(x: list[float], y: list[float], labels: list[str], prefer_up: list[bool],
                  width_px: float = HALF_WIDTH - 65, height_px: float = 210,
                  font_px: float = 9) -> list[tuple[float, float]]:
    """A pixel offset (right, up) per label so that labels clear each other and the markers.

    Greedy over the points (a chart has at most a few dozen): each label tries 8 directions at
    growing distances, its preferred side first, and takes the first box (estimated from the
    label's length in characters) that overlaps nothing placed so far; a label far from its
    marker gets a leader line (the caller draws an arrow).
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if not len(xs):
        return []
    span_x = max(float(np.ptp(xs)), 1e-9)
    span_y = max(float(np.ptp(ys)), 1e-9)
    px = (xs - xs.min()) / span_x * width_px * 0.9 + width_px * 0.05
    py = (ys - ys.min()) / span_y * height_px * 0.9 + height_px * 0.05
    placed = [(a - 6, b - 6, a + 6, b + 6) for a, b in zip(px, py)]

    def free(box: tuple[float, float, float, float]) -> bool:
        return not any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in placed)

    out = []
    for i, text in enumerate(labels):
        lines = str(text).split("<br>")
        w = max(len(line) for line in lines) * font_px * 1.05 + 2
        h = len(lines) * font_px * 1.3
        order = sorted(LABEL_DIRECTIONS, key=lambda d: (abs(d[0]), -d[1] if prefer_up[i] else d[1]))
        choice, choice_box = None, None
        for r in LABEL_RADII:
            for dx, dy in order:
                cx = px[i] + dx * (r + (w / 2 if dx else 0))
                cy = py[i] + dy * (r * 0.6 + (h / 2 if dy else 0))
                box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                if free(box):
                    choice, choice_box = (cx - px[i], cy - py[i]), box
                    break
            if choice:
                break
        if choice is None:  # nowhere free: the preferred side, overlapping
            dy = 1 if prefer_up[i] else -1
            choice = (0.0, dy * (LABEL_RADII[0] * 0.6 + h / 2))
            choice_box = (px[i] - w / 2, py[i] + choice[1] - h / 2, px[i] + w / 2, py[i] + choice[1] + h / 2)
        placed.append(choice_box)
        out.append(choice)
    return out


def quadrants(data: ReportData, lang: str = "zh") -> list[go.Figure]:
    """Per indicator: county coverage (x) against balance inside the county (y).

    y is the share of the county's branches at the target (1 − share_below_target of the
    within-county balance rows); the lines are the city value and the median.
    """
    bal = data.balance
    within = bal[bal["scope"] == "within_county"] if not bal.empty else bal
    rows = data.county_now()
    city = data.city_now()
    figs = []
    for s in data.judged:
        w = within[within["indicator"] == s["id"]][["county", "share_below_target"]] if not within.empty else None
        if w is None or w.empty or w["share_below_target"].isna().all():
            continue
        d = rows[["county", s["id"]]].merge(w, on="county", how="inner").dropna()
        if d.empty:
            continue
        d["x"] = [_axis_value(v, s) for v in d[s["id"]]]
        d["y"] = [(1 - float(v)) * 100 for v in d["share_below_target"]]
        yc_all = float(w["share_below_target"].astype(float).rsub(1).median() * 100)
        # counties on the same spot (often all at 100%) share one marker and one label
        sep = "、" if lang == "zh" else ", "
        d["label"] = [county_label(c, lang) for c in d["county"]]
        d = (d.assign(kx=d["x"].round(1), ky=d["y"].round(1))
             .groupby(["kx", "ky"], sort=False, as_index=False)
             .agg(x=("x", "first"), y=("y", "first"), label=("label", lambda n: _wrap(list(n), sep))))
        fig = go.Figure(go.Scatter(
            x=d["x"], y=d["y"], mode="markers", text=d["label"], cliponaxis=False,
            marker={"size": 10, "color": s["colour"], "line": {"color": "#424242", "width": 0.5}},
            hovertemplate="%{text}<br>%{x:.1f} / %{y:.1f}%<extra></extra>",
        ))
        offsets = label_offsets(list(d["x"]), list(d["y"]), list(d["label"]), [y < yc_all for y in d["y"]])
        for (_, r), (ox, oy) in zip(d.iterrows(), offsets):
            far = abs(ox) > 20 or abs(oy) > 20
            fig.add_annotation(x=r["x"], y=r["y"], text=r["label"], ax=ox, ay=-oy, axref="pixel", ayref="pixel",
                               showarrow=True, arrowhead=0, arrowwidth=0.6 if far else 0.1,
                               arrowcolor="#9e9e9e" if far else "rgba(0,0,0,0)", standoff=5,
                               font={"size": 9}, align="center")
        xc = _axis_value(city[s["id"]], s) if city is not None and not fmt.is_missing(city.get(s["id"])) else d["x"].median()
        yc = yc_all
        fig.add_vline(x=xc, line={"color": CITY_LINE, "dash": "dot", "width": 1})
        fig.add_hline(y=yc, line={"color": CITY_LINE, "dash": "dot", "width": 1})
        corner = {"zh": ("覆盖好且均衡 ↗", "↙ 覆盖低且不均衡"), "en": ("high and even ↗", "↙ low and uneven")}[lang]
        fig.add_annotation(x=1, y=1.01, xref="paper", yref="paper", text=corner[0], showarrow=False,
                           xanchor="right", yanchor="bottom", font={"size": 9, "color": STATUS_COLOURS["met"]})
        fig.add_annotation(x=0, y=1.01, xref="paper", yref="paper", text=corner[1], showarrow=False,
                           xanchor="left", yanchor="bottom", font={"size": 9, "color": STATUS_COLOURS["alert"]})
        xlab = ind_label(s, lang, short=True) + ("（%）" if s["unit"] == "share" and lang == "zh" else "")
        ylab = "达标党支部占比（%）" if lang == "zh" else "branches at target (%)"
        fig.update_xaxes(title={"text": xlab, "font": {"size": 10}}, gridcolor="#eeeeee", zeroline=False)
        fig.update_yaxes(title={"text": ylab, "font": {"size": 10}}, gridcolor="#eeeeee", zeroline=False)
        title = (f"{ind_label(s, lang)}：覆盖与均衡" if lang == "zh" else f"{ind_label(s, lang)}: coverage and balance")
        _layout(fig, title, HALF_WIDTH, 300)
        fig.update_layout(margin={"l": 55, "r": 10, "t": 45, "b": 45}, title={"font": {"size": 13}})
        figs.append(fig)
    return figs


def trend(data: ReportData, lang: str = "zh") -> go.Figure:
    """The city value of each indicator over the periods, with its target (small multiples)."""
    specs = data.judged
    cols = 3
    nrows = -(-len(specs) // cols)
    fig = make_subplots(rows=nrows, cols=cols, subplot_titles=[ind_label(s, lang, short=True) for s in specs],
                        vertical_spacing=0.07, horizontal_spacing=0.08)
    t = data.trends
    city_label = load.city_total_label()
    cm = data.county[data.county["county"] == city_label].sort_values("period")
    for i, s in enumerate(specs):
        r, c = i // cols + 1, i % cols + 1
        if not t.empty and ((t["county"] == city_label) & (t["indicator"] == s["id"])).any():
            series = t[(t["county"] == city_label) & (t["indicator"] == s["id"])].sort_values("period")
            periods, values = series["period"], series["value"]
            series = series[series["period"] <= data.period]
            periods, values = series["period"], series["value"]
        else:
            periods, values = cm["period"], cm[s["id"]]
        xs = [fmt.short_day(p, lang) for p in periods]
        ys = [_axis_value(v, s) for v in values]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", line={"color": s["colour"], "width": 2},
                                 marker={"size": 6}, name=ind_label(s, lang),
                                 hovertemplate="%{x}: %{y:.1f}<extra>" + ind_label(s, lang) + "</extra>"),
                      row=r, col=c)
        tgt = _axis_value(s["target"], s)
        fig.add_trace(go.Scatter(x=xs, y=[tgt] * len(xs), mode="lines", line={"color": TARGET_LINE, "dash": "dash", "width": 1},
                                 hoverinfo="skip", name="目标" if lang == "zh" else "target"), row=r, col=c)
        low = min([y for y in ys if y is not None] + [tgt])
        span = max(tgt - low, 2.0)
        fig.update_yaxes(range=[low - span * 0.2, max(tgt, *[y for y in ys if y is not None]) + span * 0.2],
                         row=r, col=c, tickfont={"size": 9}, gridcolor="#eeeeee")
        fig.update_xaxes(row=r, col=c, tickfont={"size": 9}, type="category")
    fig.update_annotations(font={"size": 11})
    title = "全市各项指标走势（虚线为目标值）" if lang == "zh" else "City trend per indicator (dashed: target)"
    _layout(fig, title, FULL_WIDTH, 170 * nrows + 30)
    return fig.update_layout(title=None, margin={"t": 30})
