"""The report's Plotly charts, only those that earn their place (annexes.figures_plan decides which):
the counties in order on the indicators where they differ, the city's trend, the townships of the
counties with weak links. One status colour scheme (palette.py) everywhere; every value label is
printed like the text prints it (``ReportData.figure``: never a short value as its target).

Every label that came from a spreadsheet goes through ``esc`` (HTML-escaped): plotly.js renders
label text as HTML-like markup, so ``<script>`` must arrive as ``&lt;script&gt;`` to show as
text. Widths are fixed to fit an A4 page (FULL_WIDTH) so printing cuts nothing.
"""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipelines import numbers as fmt
from pipelines.domain import load
from pipelines.report import places
from pipelines.report.palette import CITY_LINE, GRID, NEUTRAL, STATUS_COLOURS, STATUS_LABELS, TARGET_LINE
from pipelines.report.tables import ReportData

FULL_WIDTH = 680
HALF_WIDTH = 335
FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
OUTLINE = "#5A5A5A"


def esc(text: Any) -> str:
    """Escape a label for plotly (which reads a subset of HTML in text)."""
    return html.escape("" if fmt.is_missing(text) else str(text), quote=False)


def county_label(name: str, lang: str) -> str:
    return esc(places.county(name, lang))


def ind_label(spec: dict[str, Any], lang: str, short: bool = False) -> str:
    if lang == "zh":
        return spec["short_zh"] if short else spec["zh"]
    return spec["short_en"] if short else spec["en"]


def _axis_value(v: Any, spec: dict[str, Any]) -> float | None:
    """Shares plot as percentages, scores as points."""
    if fmt.is_missing(v):
        return None
    return float(v) * 100 if spec["unit"] == "share" else float(v)


def _layout(fig: go.Figure, title: str | None, width: int, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 14}} if title else None,
        width=width, height=height, autosize=False,
        font={"family": FONT, "size": 12, "color": "#222222"},
        margin={"l": 90, "r": 20, "t": 40 if title else 10, "b": 30},
        plot_bgcolor="white", paper_bgcolor="white", showlegend=False, template="none",
    )
    return fig


def _reference(fig: go.Figure, x: float | None, colour: str, dash: str, text: str, anchor: str) -> None:
    if x is None:
        return
    fig.add_vline(x=x, line={"color": colour, "dash": dash, "width": 1.4})
    fig.add_annotation(x=x, y=1.0, yref="paper", text=text, showarrow=False, yanchor="bottom", xanchor=anchor,
                       font={"size": 10, "color": colour})


def _bars(names: list[str], values: list[Any], texts: list[str], statuses: list[str], spec: dict[str, Any],
          title: str, lang: str, city: Any, target: Any, width: int, hover: list[str]) -> go.Figure:
    """Horizontal bars sorted best on top, coloured by status, from zero (an honest length)."""
    xs = [_axis_value(v, spec) for v in values]
    order = sorted(range(len(xs)), key=lambda k: (xs[k] is None, -(xs[k] or 0) if spec.get("direction") != "lower"
                                                  else (xs[k] or 0)))
    order.reverse()  # plotly draws the first category at the bottom
    fig = go.Figure(go.Bar(
        x=[xs[k] for k in order], y=[names[k] for k in order], orientation="h",
        marker={"color": [STATUS_COLOURS[statuses[k]] for k in order], "line": {"color": OUTLINE, "width": 0.6}},
        text=[texts[k] for k in order], textposition="outside", cliponaxis=False,
        textfont={"size": 11, "color": "#222222"}, customdata=[[hover[k], statuses[k]] for k in order],
        hovertemplate="%{customdata[0]}<extra></extra>",
    ))
    top = 100.0
    _reference(fig, _axis_value(city, spec), CITY_LINE, "dot", load.city_total_label() if lang == "zh" else "city",
               "right")
    _reference(fig, _axis_value(target, spec), TARGET_LINE, "dash", "目标" if lang == "zh" else "target", "left")
    fig.update_xaxes(range=[0, top * 1.13], ticksuffix="%" if spec["unit"] == "share" else "", gridcolor=GRID,
                     tickvals=[0, 20, 40, 60, 80, 100], zeroline=False)
    fig.update_yaxes(tickfont={"size": 11}, automargin=True)
    return _layout(fig, title, width, 60 + 24 * len(names))


def indicator_bars(data: ReportData, indicators: list[str], lang: str = "zh") -> list[go.Figure]:
    """Per indicator: the counties (and the city-level units) in order, with the city and the target."""
    figs = []
    rows = data.county_now()
    for ind_id in indicators:
        spec = data.spec(ind_id)
        counties = [str(c) for c in rows["county"]]
        city = data.status_row(data.city_label, ind_id)
        values = [(data.status_row(c, ind_id) or {}).get("value") for c in counties]
        statuses = [data.status_of(c, ind_id) for c in counties]
        texts = [data.figure(c, ind_id, lang=lang) for c in counties]
        hover = [f"{county_label(c, lang)}: {t} · {STATUS_LABELS[s][lang]}"
                 for c, t, s in zip(counties, texts, statuses, strict=True)]
        figs.append(_bars([county_label(c, lang) for c in counties], values, texts, statuses, spec,
                          ind_label(spec, lang), lang, city["value"] if city else None,
                          city["target"] if city else None, HALF_WIDTH, hover))
    return figs


def town_bars(data: ReportData, county: str, indicator: str, lang: str = "zh") -> go.Figure | None:
    """The townships of one county on one indicator, coloured by their status, with the city line."""
    s = data.status
    towns = s.loc[(s["level"] == "township") & (s["county"] == county) & (s["indicator"] == indicator)]
    towns = towns.loc[towns["value"].notna()]
    if len(towns) < 2 or towns["value"].astype(float).round(3).nunique() < 2:
        return None
    spec = data.spec(indicator)
    city = data.status_row(data.city_label, indicator)
    names = [esc(places.township(t, lang)) for t in towns["township"]]
    texts = [data.figure(county, indicator, value=v, lang=lang, township=t)
             for t, v in zip(towns["township"], towns["value"], strict=True)]
    statuses = list(towns["status"].astype(str))
    hover = [f"{n}: {t} · {STATUS_LABELS[st][lang]}" for n, t, st in zip(names, texts, statuses, strict=True)]
    units = ("各部门" if places.is_city_units(county) else "各乡镇（街道）") if lang == "zh" else \
        ("by department" if places.is_city_units(county) else "by township")
    title = (f"{places.county(county, lang)}{units}{ind_label(spec, lang)}" if lang == "zh"
             else f"{places.county(county, lang)}: {ind_label(spec, lang)} {units}")
    return _bars(names, list(towns["value"]), texts, statuses, spec, esc(title), lang,
                 city["value"] if city else None, city["target"] if city else None, FULL_WIDTH, hover)


def trend(data: ReportData, indicators: list[str], lang: str = "zh") -> go.Figure:
    """The city's value of each indicator over the periods (small multiples), with its target."""
    specs = [data.spec(i) for i in indicators]
    cols = 3
    nrows = max(1, -(-len(specs) // cols))
    fig = make_subplots(rows=nrows, cols=cols, subplot_titles=[ind_label(s, lang, short=True) for s in specs],
                        vertical_spacing=0.16, horizontal_spacing=0.09)
    t = data.trends
    city = data.city_label
    for k, s in enumerate(specs):
        r, c = k // cols + 1, k % cols + 1
        series = t.loc[(t["county"] == city) & (t["indicator"] == s["id"]) & (t["period"] <= data.period)]
        series = series.sort_values("period")
        xs = [fmt.short_day(p, lang) for p in series["period"]]
        ys = [_axis_value(v, s) for v in series["value"]]
        labels = [data.figure(city, s["id"], value=v, lang=lang) for v in series["value"]]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", line={"color": NEUTRAL, "width": 2},
                                 marker={"size": 6}, customdata=labels,
                                 hovertemplate="%{x}: %{customdata}<extra></extra>"), row=r, col=c)
        row = data.status_row(city, s["id"])
        target = _axis_value(row["target"], s) if row else None
        if target is not None:
            fig.add_trace(go.Scatter(x=xs, y=[target] * len(xs), mode="lines", hoverinfo="skip",
                                     line={"color": TARGET_LINE, "dash": "dash", "width": 1}), row=r, col=c)
        low = min([y for y in ys if y is not None] + ([target] if target is not None else []), default=0)
        fig.update_yaxes(range=[max(0, low - 8), 104], row=r, col=c, tickfont={"size": 10}, gridcolor=GRID,
                         ticksuffix="%" if s["unit"] == "share" else "", nticks=5)
        fig.update_xaxes(row=r, col=c, tickfont={"size": 10}, type="category")
    fig.update_annotations(font={"size": 12})
    _layout(fig, None, FULL_WIDTH, 200 * nrows + 40)
    return fig.update_layout(margin={"l": 45, "r": 15, "t": 35, "b": 30})
