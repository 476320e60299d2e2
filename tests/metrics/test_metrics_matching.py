"""Returns rows find their registry branch by name, township and county, as docs/metrics.md says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import metrics_frames as mf
from pipelines import config
from pipelines.metrics import load_indicators, load_thresholds, metrics_from_frames
from pipelines.metrics.aggregate import clean_registry, match_branches


def _registry() -> pd.DataFrame:
    rows = [
        ("梅江区", "金山街道", "a1"),      # 0: a name held once
        ("梅江区", "金山街道", "第一党支部"),  # 1: held by three branches …
        ("梅江区", "江南街道", "第一党支部"),  # 2: … two of them in the same county
        ("梅县", "程江镇", "第一党支部"),      # 3: … and one in another county
        ("梅县", "程江镇", "b1"),          # 4
    ]
    f = pd.DataFrame(rows, columns=["county", "township", "branch"]).astype("str")
    f["county_code"] = f["county"].map(mf.CODES).astype("str")
    f["members"] = pd.array([10] * len(f), dtype="Int64")
    return f


def _ids(rows: list[tuple], categorical: bool = False) -> list[int]:
    returns = pd.DataFrame(rows, columns=["county", "township", "branch"]).astype("str")
    if categorical:  # as compute_metrics reads them from Parquet (io.read_parquet(categorical=...))
        returns[["county", "township"]] = returns[["county", "township"]].astype("category")
    return match_branches(returns, clean_registry(_registry())).tolist()


@pytest.mark.parametrize("categorical", [False, True], ids=["text", "categorical"])
def test_exact_key_and_township_fallback(categorical):
    assert _ids([
        ("梅江区", "金山街道", "a1"),        # exact
        ("梅江区", "", "a1"),              # blank township, name unique in its county
        ("梅江区", "江南街道", "a1"),        # wrong township: (county, branch) is unique
        ("梅江区", "江南街道", "第一党支部"),  # exact, among namesakes
        ("梅县", None, "第一党支部"),        # blank township: the only one of that name in 梅县
        ("梅县", "程江镇", "b1"),
    ], categorical) == [0, 0, 0, 2, 3, 4]


@pytest.mark.parametrize("categorical", [False, True], ids=["text", "categorical"])
def test_rows_that_match_nothing(categorical):
    assert _ids([
        ("梅县", "程江镇", "a1"),           # the name exists, in another county only
        ("梅江区", "", "第一党支部"),        # two namesakes in 梅江区: which one is unknowable
        ("梅江区", "新街道", "第一党支部"),   # an unknown township does not pick one either
        ("梅江区", "金山街道", "zz"),        # unknown name
        ("平远县", "大柘镇", "a1"),          # unknown county
        (None, "金山街道", "a1"),            # blank county
        ("梅江区", "金山街道", None),        # blank name
    ], categorical) == [-1] * 7


def test_blank_free_integer_columns_take_the_fast_path_to_the_same_tables(monkeypatch):
    # Parquet gives int64 columns when a column has no blank, and the stage reads county and
    # township as categoricals; the tests' frames use Int64 and text. All must give the same
    # tables, whatever the number of threads.
    th = load_thresholds()
    rows = [r for r in mf.returns_rows(mf.P1) + mf.returns_rows(mf.P2) if r["branch"] != "b2"]  # b2 has blanks
    nullable = mf.returns(rows)
    plain = nullable.copy()
    for c in mf.COUNTS:
        plain[c] = plain[c].astype(np.int64)
    plain["avg_score"] = plain["avg_score"].astype(np.float64)
    plain["has_work_plan"] = plain["has_work_plan"].astype(bool)
    outs = []
    dictionary = plain.copy()  # county and township as compute_metrics reads them
    dictionary[["county", "township"]] = dictionary[["county", "township"]].astype("category")
    for frame, threads in ((nullable, 1), (plain, 1), (plain, 2), (dictionary, 2)):
        monkeypatch.setattr(config, "WORKER_THREADS", threads)
        outs.append(metrics_from_frames(frame, mf.registry(), mf.rejects(), mf.manifest(), load_indicators(th),
                                        th).frames())
    for name, frame in outs[0].items():
        assert len(frame), name
        for other in outs[1:]:
            pd.testing.assert_frame_equal(frame, other[name], check_exact=True)
