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
