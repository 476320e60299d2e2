"""Write the seeded sample into a raw folder: four period folders of county returns + the registry.

Also the reusable single-file writer the ingest benchmark calls to fake a large province.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.domain import load
from pipelines.ingest.periods import period_folders
from pipelines.sample import plan as planning
from pipelines.sample.layout import SheetSpec, layout_sheet
from pipelines.sample.messiness import Style
from pipelines.sample.truth import BAD_COLUMNS, PERIODS, SampleData, build_truth
from pipelines.sample.write_csv import write_csv
from pipelines.sample.write_xls import write_xls
from pipelines.sample.write_xlsx import write_xlsx

REGISTRY_NAME = "梅州市党组织名册.xlsx"
WRONG_TOTAL_DELTA = 10
INSTRUCTIONS = (
    "填表说明",
    "1.本表由各工委(系统)分别填写,每个工委一个工作表。",
    "2.“四会一课”栏填写活动开始以来累计开展的次数,未开展的填0。",
    "3.百题测试栏填写参考人数、回收答卷数及平均成绩(保留一位小数)。",
    "4.特殊群体党员按因病、出差、下岗、离退休居住在外、流动党员分类填写人数。",
    "5.请于每周五下午五时前报市委先进办。",
)


class SampleExistsError(FileExistsError):
    """The target raw folder already holds period folders (returns someone may need)."""


def build_sample(seed: int = 2005) -> SampleData:
    """The truth of the sample, bad_rows including the one deliberately wrong 小计."""
    truth = build_truth(seed)
    plans = planning.plan(truth.written)
    fp, town = planning.wrong_total_target(plans, truth.written)
    rows = truth.written[(truth.written["period"] == fp.period) & (truth.written["county"] == fp.county)
                         & (truth.written["township"] == town)]
    right = int(rows["members"].sum())
    extra = pd.DataFrame([{"period": fp.period, "county": fp.county, "township": town, "branch": "小计",
                           "column": "members", "rule": "subtotal_mismatch",
                           "raw_value": str(right + WRONG_TOTAL_DELTA), "intended": str(right)}])
    bad = pd.concat([truth.bad_rows, extra.astype(truth.bad_rows.dtypes.to_dict())], ignore_index=True)
    return replace(truth, bad_rows=bad[list(BAD_COLUMNS)])


def _sheets(frame: pd.DataFrame, style: Style, *, county: str, period: pd.Timestamp, rng: np.random.Generator,
            derived_rate: bool, wrong_total: tuple[str, str, int] | None) -> list[SheetSpec | tuple[str, list[str]]]:
    kw = dict(county=county, period=period, rng=rng, derived_rate=derived_rate, wrong_total=wrong_total)
    if not style.multi_sheet:
        name = county if style.county_in == "column" and style.fmt == "xls" else "Sheet1"
        return [layout_sheet(frame, style, name=name, **kw)]
    towns = list(pd.unique(frame["township"]))
    if county == "市直单位":
        groups = [[t] for t in towns]
        names = towns
    else:
        groups = [list(g) for g in np.array_split(np.array(towns, dtype=object), min(3, len(towns)))]
        names = [f"第{'一二三'[i]}片" for i in range(len(groups))]
    out: list[SheetSpec | tuple[str, list[str]]] = [("填表说明", list(INSTRUCTIONS))]
    for name, g in zip(names, groups, strict=True):
        part = frame[frame["township"].isin(g)]
        out.append(layout_sheet(part, style, name=name, subtitle_extra=f"   ({name})", **kw))
    return out


def write_frame(frame: pd.DataFrame, path: Path, style: Style, *, county: str, period: pd.Timestamp,
                rng: np.random.Generator, derived_rate: bool = False,
                wrong_total: tuple[str, str, int] | None = None) -> Path:
    """Render one county's rows as one file in ``style`` (format from style.fmt)."""
    sheets = _sheets(frame, style, county=county, period=period, rng=rng, derived_rate=derived_rate,
                     wrong_total=wrong_total)
    if style.fmt == "xlsx":
        return write_xlsx(sheets, path, created=period.to_pydatetime().replace(hour=17, minute=30))
    tables = [s for s in sheets if isinstance(s, SheetSpec)]
    if style.fmt == "xls":
        return write_xls(tables, path)
    if style.fmt == "csv":
        if len(tables) != 1:
            raise ValueError("a CSV holds one table; multi_sheet needs xlsx or xls")
        return write_csv(tables[0], path, encoding=style.encoding)
    raise ValueError(f"unknown format {style.fmt!r}")


def write_county_xlsx(frame: pd.DataFrame, path: Path, style: str | Style = "xlsx_report", *,
                      county: str | None = None, period: pd.Timestamp | None = None, seed: int = 0) -> Path:
    """One county return as a messy .xlsx; the ingest benchmark calls this with large frames.

    frame: rows in the returns.parquet layout (at least county, township, branch and the count,
    score and has_work_plan columns), in the order they should appear. style: a Style or the
    name of one in plan.STYLES (its format is forced to xlsx). county/period default to the
    frame's first row.
    """
    st = planning.STYLE_BY_NAME[style] if isinstance(style, str) else style
    if st.fmt != "xlsx":
        st = replace(st, fmt="xlsx")
    county = county or str(frame["county"].iloc[0])
    if period is None:
        period = pd.Timestamp(frame["period"].iloc[0]) if "period" in frame else PERIODS[-1]
    return write_frame(frame, Path(path), st, county=county, period=pd.Timestamp(period),
                       rng=np.random.default_rng(seed))


def existing_periods(out: Path) -> list[Path]:
    """Period folders already under ``out``, in any date spelling the clean step reads (one parser)."""
    return period_folders(Path(out))


def write_sample(out: Path, seed: int = 2005, *, force: bool = False) -> list[Path]:
    """Write the messy returns and the registry under ``out``; returns the files written.

    Refuses (SampleExistsError) when ``out`` already holds period folders, unless force, which
    overwrites the sample's own files and leaves any other file alone.
    """
    out = Path(out)
    found = existing_periods(out)
    if found and not force:
        raise SampleExistsError(f"{out} already holds returns ({', '.join(p.name for p in found)}); "
                                "use --force to overwrite the sample files")
    sample = build_sample(seed)
    written = sample.written
    plans = planning.plan(written)
    fp_wrong, town_wrong = planning.wrong_total_target(plans, written)
    order = load.county_order()
    paths: list[Path] = []
    for fp in plans:
        p = PERIODS.index(fp.period)
        ci = order.index(fp.county)
        rows = written[(written["period"] == fp.period) & (written["county"] == fp.county) & (written["part"] == fp.part)]
        rng = np.random.default_rng([seed, p, ci, 0 if fp.part == "main" else 1])
        wrong = (town_wrong, "members", WRONG_TOTAL_DELTA) if fp == fp_wrong else None
        target = out / fp.period.strftime("%Y-%m-%d") / fp.filename
        paths.append(write_frame(rows, target, fp.style, county=fp.county, period=fp.period, rng=rng,
                                 derived_rate=fp.county == planning.DERIVED_RATE_COUNTY, wrong_total=wrong))
    paths.append(write_registry(sample.registry, out / "registry" / REGISTRY_NAME))
    return paths


def write_registry(registry: pd.DataFrame, path: Path) -> Path:
    """The 党组织名册: one plain sheet, the names exactly as the organisation department keeps them."""
    spec = SheetSpec(name="党组织名册", width=5)
    spec.header_rows.append(spec.add(["县(市、区)", "行政区划代码", "乡镇(街道、部门)", "党支部", "党员数"]))
    for row in registry[["county", "county_code", "township", "branch", "members"]].itertuples(index=False):
        spec.add([row.county, row.county_code, row.township, row.branch, int(row.members)])
    return write_xlsx([spec], path)
