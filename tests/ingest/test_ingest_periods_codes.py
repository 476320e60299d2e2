"""The one period parser (clean, sample writer, `make sample`) and the closed list of warning codes."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.ingest import warning_codes as W
from pipelines.ingest.periods import PeriodError, parse_period, period_folders
from pipelines.sample.writer import existing_periods

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["2005-02-25", "2005-2-25", "20050225", "2005年2月25日", "2005年02月25号",
                                  "2005.2.25", "2005_02_25", " 2005-02-25 ", "２００５－０２－２５"])
def test_common_spellings_name_one_day(name):
    p = parse_period(name)
    assert p.date == dt.date(2005, 2, 25) and p.iso == "2005-02-25"
    assert p.normalised == (name != "2005-02-25")


@pytest.mark.parametrize(("name", "says"), [("2005-02-30", "has 28 days"), ("2005-13-01", "no month 13"),
                                            ("20040230", "has 29 days")])
def test_impossible_dates_say_why(name, says):
    with pytest.raises(PeriodError) as info:
        parse_period(name)
    assert says in info.value.message_en and name in info.value.message_zh


@pytest.mark.parametrize("name", ["registry", "2005", "misc", "2005-02", "第1期"])
def test_other_names_are_not_periods(name):
    assert parse_period(name) is None


def test_sample_writer_and_make_sample_use_the_same_parser(tmp_path):
    raw = tmp_path / "raw"
    (raw / "2005年2月25日").mkdir(parents=True)
    (raw / "registry").mkdir()
    assert [p.name for p in period_folders(raw)] == ["2005年2月25日"] == [p.name for p in existing_periods(raw)]
    proc = subprocess.run([sys.executable, "-m", "pipelines", "sample", "--out", str(raw), "--if-empty"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "already holds returns" in proc.stdout
    assert not list((raw / "registry").iterdir())  # nothing written
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    sample_recipe = re.search(r"^sample:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "--if-empty" in sample_recipe and "????-??-??" not in sample_recipe


EXAMPLES = {
    "extension_mismatch": {"extension": ".xls", "detected": "html"},
    "lock_file_name": {},
    "period_folder_normalised": {"folder": "2005-2-25", "period": "2005-02-25"},
    "undecodable_bytes": {"line": 3, "offset": 41, "count": 1, "encoding": "gb18030"},
    "stray_cell": {"cell": "XFD1048576", "value": "x"},
    "hidden_sheet_skipped": {"sheet": "旧表"},
    "unknown_column": {"header": "备注2"},
    "unresolved_column": {"header": "特殊群体党员"},
    "repeated_column": {"header": "党员数", "used": "C"},
    "hidden_column_ignored": {"header": "参加学习人数", "used": "D"},
    "hidden_column_read": {"header": "参加学习人数"},
    "units_as_township": {"header": "单位"},
    "title_period_differs": {"title_period": "2005-02-24", "period": "2005-02-25"},
    "layout_row_skipped": {"kind": "units"},
    "percent_read": {"stored": "0.988", "shown": "98.8%"},
    "hidden_row": {},
    "excel_error_cell": {"value": "#REF!"},
    "uncached_formula": {"formula": "=SUM(B2:B4)"},
    "format_characters_removed": {"value": "大丰\u200b村", "name": "大丰村"},
    "total_mismatch": {"label": "小计", "diffs": [{"column": "members", "stated": 99, "sum": 22}]},
    "unregistered_branch": {"branch": "南山材党支部", "county": "梅县", "suggestions": ["南山村党支部"]},
    "branch_matched_by_equivalence": {"branch": "大丰村支部", "registry_branch": "大丰村党支部"},
    "correction_supersedes": {"rows": 2, "other_file": "2005-02-25/梅县.xlsx"},
    "superseded_by_correction": {"rows": 2, "other_file": "2005-02-25/梅县补报.xlsx"},
    "no_registry": {},
    "period_without_returns": {"period": "2005-02-18"},
}


def test_every_code_has_an_example_here_and_renders_every_parameter():
    assert set(W.codes()) == set(EXAMPLES)  # a new code needs its example (and docs/contracts.md)
    for code, params in EXAMPLES.items():
        for lang in ("zh", "en"):
            text = W.body(code, params, lang)
            assert "?" not in text and "{" not in text, (code, lang, text)
            choices = W.catalogue()[code].get("choices") or {}
            for k, v in params.items():
                if k in choices:  # an enumerated parameter is shown by its words
                    assert choices[k][v][lang] in text, (code, lang, k, text)
                elif isinstance(v, (str, int)) and not isinstance(v, bool):
                    assert W.safe(v) in text or str(v) in text, (code, lang, v, text)
    assert "members stated 99 but its rows sum to 22" in W.body("total_mismatch", EXAMPLES["total_mismatch"], "en")
    assert "党员数填报 99 而各行合计 22" in W.body("total_mismatch", EXAMPLES["total_mismatch"], "zh")
    assert "南山村党支部" in W.body("unregistered_branch", EXAMPLES["unregistered_branch"], "zh")
    assert "close names" not in W.body("unregistered_branch", {"branch": "x", "county": "梅县", "suggestions": []}, "en")


def test_an_unknown_code_cannot_be_emitted():
    with pytest.raises(ValueError, match="unknown warning code"):
        W.Warn("something_else", "a.csv")


def test_params_are_json_and_counts_per_code():
    ws = [W.Warn("hidden_row", "a.xlsx", row=3), W.Warn("hidden_row", "a.xlsx", row=4),
          W.Warn("total_mismatch", "a.xlsx", EXAMPLES["total_mismatch"], row=9)]
    assert json.loads(W.counts_json(ws)) == {"total_mismatch": 1, "hidden_row": 2}
    frame = W.warnings_frame(ws)
    assert json.loads(frame["params"].iloc[2]) == EXAMPLES["total_mismatch"]
    assert frame["message_en"].iloc[0] == "a.xlsx, row 3: the row is hidden; read all the same"
    assert frame["message_zh"].iloc[2].startswith("a.xlsx 第9行:小计行与所列支部数据不符")


def test_every_format_has_words_and_a_place_in_the_manifest_schema():
    from pipelines import schema
    from pipelines.ingest.formats import KINDS, describe

    assert schema.FORMATS == KINDS
    assert all(describe(k, "zh") and describe(k, "en") for k in KINDS)
