"""The worker thread changes when the tables are computed, never what they hold."""

from __future__ import annotations

import pandas as pd

import metrics_frames as mf
from pipelines import config
from pipelines.metrics import load_indicators, load_thresholds, metrics_from_frames


def test_one_thread_and_two_give_identical_tables(monkeypatch):
    th = load_thresholds()
    rows = mf.returns_rows(mf.P1) + mf.returns_rows(mf.P2)
    out = {}
    for n in (1, 2):
        monkeypatch.setattr(config, "WORKER_THREADS", n)
        out[n] = metrics_from_frames(mf.returns(rows), mf.registry(), mf.rejects(), mf.manifest(),
                                     load_indicators(th), th).frames()
    for name, frame in out[1].items():
        assert len(frame) > 0, name
        pd.testing.assert_frame_equal(frame, out[2][name], check_exact=True)


def test_the_stage_lanes_give_the_weak_links_of_one_call():
    # metrics_from_frames spreads the weak-link rules over two lanes; weak_links.weak_links runs them
    # in one call. Both must give the same ranked table.
    from pipelines.metrics import aggregate, balance
    from pipelines.metrics import weak_links as wl
    from pipelines.metrics.api import periods_of

    th = load_thresholds()
    inds = load_indicators(th)
    returns = mf.returns(mf.returns_rows(mf.P1) + mf.returns_rows(mf.P2))
    staged = metrics_from_frames(returns, mf.registry(), mf.rejects(), mf.manifest(), inds, th)
    reg = aggregate.clean_registry(mf.registry())
    values = aggregate.branch_values(returns, reg)
    periods = [pd.Timestamp(p) for p in periods_of(returns, mf.manifest())]
    cm = aggregate.county_metrics(values, reg, periods, inds)
    tm = aggregate.township_metrics(values, reg, periods, inds)
    one_call = wl.weak_links(values, reg, periods, cm, tm, balance.across_counties(cm, inds), inds, th)
    assert set(staged.weak_links["rule"]) >= {"not_reported", "below_target"}
    pd.testing.assert_frame_equal(staged.weak_links, one_call, check_exact=True)
