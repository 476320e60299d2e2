"""The return template: canonical headers, registry rows, input rules, protection, print setup, 填表说明,
and the round trip that matters: a filled template cleans to exactly what was typed, without a word."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter, range_boundaries

from pipelines import config, schema
from pipelines.cli import main
from pipelines.documents import layout
from pipelines.documents.form import form_columns, form_rules, input_message, rule_text
from pipelines.documents.template import EMPTY_FORM_ROWS, FIRST_DATA_ROW, HEADER_ROW, SPARE_ROWS, write_template
from pipelines.domain import load
from pipelines.ingest import clean
from pipelines.ingest.headers import alias_table, find_header
from pipelines.ingest.readers import read_file
from pipelines.sample.truth import build_truth
from pipelines.sample.writer import write_registry

from template_fill import column_numbers, fill_rows, fill_with_truth

FIRST = FIRST_DATA_ROW + 1  # 1-based, as openpyxl counts
SOURCE = ["source_file", "source_sheet", "source_row"]


@pytest.fixture(scope="module")
def truth():
    return build_truth()


@pytest.fixture(scope="module")
def registry_dir(tmp_path_factory, truth) -> Path:
    """A raw folder holding only the sample's 党组织名册 (as `python -m pipelines sample` writes it)."""
    raw = tmp_path_factory.mktemp("raw_registry")
    write_registry(truth.registry, raw / "registry" / "梅州市党组织名册.xlsx")
    return raw


@pytest.fixture(scope="module")
def processed(tmp_path_factory, registry_dir) -> Path:
    out = tmp_path_factory.mktemp("processed")
    clean(registry_dir, out)
    assert (out / config.REGISTRY_FILE).is_file()
    return out


@pytest.fixture(scope="module")
def pingyuan(tmp_path_factory, processed) -> Path:
    path = tmp_path_factory.mktemp("template") / "平远县.xlsx"
    write_template("平远县", "2005-03-04", path, processed=processed)
    return path


def _registry_rows(truth, county: str) -> pd.DataFrame:
    return truth.registry[truth.registry["county"] == county].reset_index(drop=True)


# ----------------------------------------------------------------------------- headers


def test_headers_are_the_canonical_labels_under_merged_group_cells(pingyuan):
    ws = openpyxl.load_workbook(pingyuan).worksheets[0]
    top, leaf = HEADER_ROW + 1, HEADER_ROW + 2
    merged = {str(m) for m in ws.merged_cells.ranges}
    cols = form_columns()
    assert [c.name for c in cols] == ["township", "branch", *schema.VALUE_COLUMNS]
    for i, col in enumerate(cols, start=1):
        letter = get_column_letter(i)
        if col.group is None:  # one cell merged down both header rows, holding the label
            assert ws.cell(top, i).value == load.label(col.name, "zh")
            assert f"{letter}{top}:{letter}{leaf}" in merged
        else:
            assert ws.cell(leaf, i).value == load.label(col.name, "zh")
    assert ws.cell(top, column_numbers()["party_lectures"]).value is None  # inside the merged group cell
    assert ws.cell(leaf, column_numbers()["party_lectures"]).value == "党组织负责人上党课"
    for group, members in schema.GROUP_COLUMNS.items():
        first, last = column_numbers()[members[0]], column_numbers()[members[-1]]
        assert ws.cell(top, first).value == load.label(group, "zh")
        assert f"{get_column_letter(first)}{top}:{get_column_letter(last)}{top}" in merged


def test_the_clean_stage_maps_every_header_to_its_column(pingyuan):
    (sheet, *others) = read_file(pingyuan, pingyuan.name)
    header = find_header(sheet.grid, alias_table())
    assert header is not None and header.data_start == FIRST_DATA_ROW
    assert header.columns == {c.name: i for i, c in enumerate(form_columns())}
    assert header.unknown == [] and header.duplicates == [] and header.derived == []
    assert [find_header(s.grid, alias_table()) for s in others] == [None]  # 填表说明 is not a table


def test_title_and_period_line_name_the_county_and_the_date(pingyuan):
    ws = openpyxl.load_workbook(pingyuan).worksheets[0]
    assert ws.cell(1, 1).value == "平远县先进性教育活动学习培训情况统计表"
    assert ws.cell(2, 1).value == "统计截至：2005年3月4日"
    assert "平远县" in " ".join(str(c.value) for c in ws[2] if c.value)
    assert "A1:T1" in {str(m) for m in ws.merged_cells.ranges}


# ----------------------------------------------------------------------------- rows


def test_registry_branches_are_prefilled_in_registry_order_then_blank_rows(pingyuan, truth):
    ws = openpyxl.load_workbook(pingyuan).worksheets[0]
    reg = _registry_rows(truth, "平远县")
    cols = column_numbers()
    got = [(ws.cell(FIRST + k, cols["township"]).value, ws.cell(FIRST + k, cols["branch"]).value,
            ws.cell(FIRST + k, cols["members"]).value) for k in range(len(reg))]
    assert got == list(zip(reg["township"], reg["branch"], reg["members"].astype(int), strict=True))
    blank = [FIRST + len(reg) + k for k in range(SPARE_ROWS)]
    assert all(ws.cell(r, c).value is None for r in blank for c in cols.values())
    assert ws.cell(blank[-1] + 2, 1).value == "填表人：" and "填表人" in load.headers()["ignore_markers"]
    for c in cols.values():  # every data row has its validation, the spare rows included
        assert str(_validation_of(ws, c).sqref) == f"{get_column_letter(c)}{FIRST}:{get_column_letter(c)}{blank[-1]}"


def test_a_county_without_registry_gets_an_empty_form(tmp_path):
    path = write_template("五华", "2005-03-04", tmp_path / "wuhua.xlsx", processed=tmp_path / "nothing").path
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws.cell(1, 1).value == "五华县先进性教育活动学习培训情况统计表"
    last = FIRST + EMPTY_FORM_ROWS - 1
    assert all(ws.cell(r, c).value is None for r in range(FIRST, last + 1) for c in range(1, 21))
    assert str(_validation_of(ws, column_numbers()["studied"]).sqref) == f"D{FIRST}:D{last}"
    assert not ws.cell(FIRST, 2).protection.locked
    notes = "".join(str(c.value) for row in openpyxl.load_workbook(path)["填表说明"].iter_rows() for c in row if c.value)
    assert load.terms()["form"]["notes"][1] in notes and "预填" not in notes  # nothing was pre-filled


def test_cli_writes_the_form_and_refuses_unknown_counties_and_dates(tmp_path, processed, capsys):
    out = tmp_path / "forms" / "平远县.xlsx"
    assert main(["template", "--county", "平远县", "--period", "2005-03-04", "--out", str(out),
                 "--processed", str(processed)]) == 0
    assert "190 branches" in capsys.readouterr().out
    again = write_template("平远", "2005-03-04", tmp_path / "again.xlsx", processed=processed).path
    assert again.read_bytes() == out.read_bytes()  # the same request writes the same bytes (an alias too)
    assert sorted(p.name for p in out.parent.iterdir()) == ["平远县.xlsx"]  # no temporary file left
    for county, period, words in (("广州市", "2005-03-04", ("广州市", "unknown county")),
                                  ("平远县", "2005-02-30", ("2005-02-30", "not a real date")),
                                  ("平远县", "20050304", ("20050304", "YYYY-MM-DD"))):
        target = tmp_path / f"{county}{period}.xlsx"
        assert main(["template", "--county", county, "--period", period, "--out", str(target)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and all(w in err for w in words)
        assert re.search(r"[\u4e00-\u9fff]", err) and not target.exists()
    assert main(["template", "--county", "平远县", "--period", "2005-03-04", "--out", str(tmp_path / "form.xls")]) == 2
    assert ".xlsx" in capsys.readouterr().err and not (tmp_path / "form.xls").exists()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / config.REGISTRY_FILE).write_bytes(b"not parquet")
    assert main(["template", "--county", "平远县", "--period", "2005-03-04", "--out", str(tmp_path / "b.xlsx"),
                 "--processed", str(tmp_path / "broken")]) == 1
    assert "registry.parquet" in capsys.readouterr().err and not (tmp_path / "b.xlsx").exists()


# ----------------------------------------------------------------------------- round trip through clean


@pytest.mark.slow
@pytest.mark.parametrize("county, period", [("平远县", "2005-02-11"), ("梅江区", "2005-02-04"), ("市直单位", "2005-02-25")])
def test_a_filled_template_cleans_to_the_sample_values_without_warnings(tmp_path, truth, processed, registry_dir,
                                                                         county, period):
    raw = tmp_path / "raw"
    shutil.copytree(registry_dir / "registry", raw / "registry")
    template = write_template(county, period, tmp_path / "blank.xlsx", processed=processed).path
    rows = truth.returns[(truth.returns["county"] == county) & (truth.returns["period"] == pd.Timestamp(period))]
    cleared = fill_with_truth(template, raw / period / f"{county}.xlsx", rows)
    assert len(cleared) == len(_registry_rows(truth, county)) - len(rows)
    result = clean(raw, tmp_path / "out")
    assert result.errors == [] and result.rejects.empty
    ret = result.manifest[result.manifest["path"].str.startswith(period)].iloc[0]
    assert (ret["status"], ret["warnings"], ret["unmatched_branches"]) == ("ok", "", 0)
    assert ret["rows_read"] == ret["rows_kept"] == len(rows) and ret["sheets"] == "学习培训情况统计表"
    got = result.returns.drop(columns=SOURCE).sort_values("branch").reset_index(drop=True)
    want = rows.sort_values("branch").reset_index(drop=True)[list(got.columns)]
    pd.testing.assert_frame_equal(got, want.astype(got.dtypes.to_dict()))
    if county == "平远县":  # a county that leaves the test columns blank before its branches sit the test
        assert rows["test_takers"].isna().any() and (rows[list(schema.ACTIVITY_COLUMNS)] == 0).any().all()


def test_the_clean_command_reads_a_filled_template_without_a_warning(tmp_path, truth, processed, registry_dir, capsys):
    raw = tmp_path / "raw"
    shutil.copytree(registry_dir / "registry", raw / "registry")
    template = write_template("蕉岭县", "2005-02-25", tmp_path / "blank.xlsx", processed=processed).path
    rows = truth.returns[(truth.returns["county"] == "蕉岭县") & (truth.returns["period"] == pd.Timestamp("2005-02-25"))]
    fill_with_truth(template, raw / "2005-02-25" / "蕉岭县.xlsx", rows)
    capsys.readouterr()
    assert main(["clean", "--raw", str(raw), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr()
    assert "warning" not in out.err and "error" not in out.err
    assert f"{len(rows)} branch rows kept, 0 rejected" in out.err + out.out


# ----------------------------------------------------------------------------- input rules


def _validation_of(ws, col: int):
    letter = get_column_letter(col)
    found = [dv for dv in ws.data_validations.dataValidation
             if any(range_boundaries(r.coord)[0] == col for r in dv.sqref.ranges)]
    assert len(found) == 1, f"column {letter}: {len(found)} validations"
    return found[0]


def test_every_column_has_its_rule_its_chinese_input_message_and_an_error_message(pingyuan):
    ws = openpyxl.load_workbook(pingyuan).worksheets[0]
    rules = form_rules()
    for col in form_columns():
        dv = _validation_of(ws, column_numbers()[col.name])
        assert dv.promptTitle == col.label and dv.prompt == input_message(col) and len(dv.prompt) <= 255
        assert dv.showInputMessage and re.search(r"[\u4e00-\u9fff]", dv.prompt)
        if col.kind == "name":
            assert dv.type is None or dv.type == "none"
            continue
        assert dv.showErrorMessage and dv.error == f"{col.label}：{rule_text(col)}。"
        if col.kind == "yes_no":
            assert (dv.type, dv.formula1) == ("list", f'"{rules.yes},{rules.no}"')
        else:
            assert dv.type == "custom" and dv.allow_blank and len(dv.formula1) <= 255  # Excel's limit
    # the bounds come from the output contract, not from this test
    assert (rules.count_min, rules.score_min, rules.score_max) == (0, 0.0, 100.0)
    assert {(r.small, r.big) for r in rules.relations} == {
        (("studied",), ("members",)), (("test_takers",), ("members",)), (("sheets_returned",), ("test_takers",)),
        (schema.OUTREACH_COLUMNS, schema.SPECIAL_COLUMNS)}
    assert "不大于党员数" in rule_text(form_columns()[3]) and "必填" in rule_text(form_columns()[2])


def test_invalid_cells_are_coloured_even_when_pasted(pingyuan):
    ws = openpyxl.load_workbook(pingyuan).worksheets[0]
    ranges = {str(cf.sqref): [r.formula[0] for r in cf.rules] for cf in ws.conditional_formatting}
    for col in form_columns():
        if col.kind == "name":
            continue
        letter = get_column_letter(column_numbers()[col.name])
        (rng,) = [k for k in ranges if k.startswith(f"{letter}{FIRST}:")]
        valid = _validation_of(ws, column_numbers()[col.name]).formula1
        if col.kind != "yes_no":
            assert ranges[rng] == [f'AND(${letter}{FIRST}<>"",NOT({valid}))']


def _compiled(ws) -> dict[str, tuple[object, list[str]]]:
    """Each value column's validation formula, compiled once by `formulas` (an Excel evaluator)."""
    formulas = pytest.importorskip("formulas", reason="formulas (dev dependency) evaluates the validation formulas")
    out = {}
    for col in form_columns():
        if col.kind in ("name", "yes_no"):
            continue
        dv = _validation_of(ws, column_numbers()[col.name])
        fn = formulas.Parser().ast("=" + dv.formula1)[1].compile()
        out[col.name] = (fn, list(fn.inputs))
    return out


def _evaluate(fn, inputs: list[str], row: dict[str, object], cache: dict) -> bool:
    """The formula's value on this row's cells (blanks as Excel's empty cell); equal inputs computed once."""
    import schedula

    letters = {get_column_letter(i): name for name, i in column_numbers().items()}
    values = []
    for ref in inputs:  # "D5" or "P5:T5" → this row's values
        cells = re.findall(r"([A-Z]+)\d+", ref)
        lo, hi = (column_numbers()[letters[cells[0]]], column_numbers()[letters[cells[-1]]])
        values.append(tuple(row.get(letters[get_column_letter(c)]) for c in range(lo, hi + 1)))
    key = (id(fn), tuple(values))
    if key not in cache:
        args = [np.array([[schedula.EMPTY if v is None else v for v in vs]], dtype=object) for vs in values]
        cache[key] = bool(np.asarray(fn(*args)).ravel()[0])
    return cache[key]


def _random_rows(n: int, seed: int = 17) -> list[dict[str, object]]:
    """Rows near every rule's edge: equal and off-by-one relations, blanks, negatives, decimals, text."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        members = int(rng.integers(1, 40))

        def near(x: int) -> int:
            return int(x + rng.choice([-1, 0, 0, 0, 0, 0, 0, 1]))

        row: dict[str, object] = {"township": "测试镇", "branch": f"测试第{i}党支部", "members": members}
        row["studied"] = near(members)
        for a in schema.ACTIVITY_COLUMNS:
            row[a] = int(rng.integers(0, 4))
        row["test_takers"] = near(members) if rng.random() < 0.92 else 0
        row["sheets_returned"] = near(row["test_takers"])
        row["avg_score"] = float(rng.choice([99.5, 100.0, 0.0, 87.3, 96.4, 98.0, 99.9, 100.5]))
        special = rng.integers(0, 3, len(schema.SPECIAL_COLUMNS))
        for c, v in zip(schema.SPECIAL_COLUMNS, special, strict=True):
            row[c] = int(v)
        reached = near(int(special.sum()))
        row["delivered_study"], row["makeup_study"] = reached // 2, reached - reached // 2
        row["has_work_plan"] = str(rng.choice(["是", "否", "不清楚"], p=[0.47, 0.47, 0.06]))
        for name in list(row):  # blanks everywhere but the names and members
            if name not in ("township", "branch", "members") and rng.random() < 0.12:
                row[name] = None
        if rng.random() < 0.1:  # one cell typed wrong
            name = str(rng.choice(["members", "studied", "party_lectures", "special_floating", "makeup_study"]))
            row[name] = rng.choice(["三十三abc", 2.5, -1])
            row[name] = row[name].item() if hasattr(row[name], "item") else row[name]
        rows.append(row)
    return rows


@pytest.mark.slow
def test_the_validation_formulas_accept_exactly_the_rows_the_clean_stage_keeps(tmp_path):
    """Evaluate each cell's validation formula on rows near every edge; a row passes when all its
    non-blank cells pass. The same rows typed into the template and cleaned: kept ⇔ passed."""
    form = write_template("平远县", "2005-03-04", tmp_path / "empty.xlsx", processed=tmp_path / "none", blank_rows=250).path
    ws = openpyxl.load_workbook(form).worksheets[0]
    compiled = _compiled(ws)
    rules = form_rules()
    rows = _random_rows(250)
    passed, cache = set(), {}
    for row in rows:
        ok = all(row.get(name) is None or _evaluate(fn, inputs, row, cache) for name, (fn, inputs) in compiled.items())
        ok &= row.get("has_work_plan") in (None, rules.yes, rules.no)
        if ok:
            passed.add(row["branch"])
    raw = tmp_path / "raw"
    fill_rows(form, raw / "2005-03-04" / "平远县.xlsx", rows)
    result = clean(raw, tmp_path / "out")
    kept = set(result.returns["branch"])
    assert 0.2 * len(rows) < len(passed) < 0.8 * len(rows)  # both sides of every edge were tried
    assert set(result.rejects["rule"]) >= {"studied_gt_members", "test_takers_gt_members", "outreach_gt_special",
                                           "sheets_returned_gt_test_takers", "score_out_of_range",
                                           "score_without_takers", "negative_count", "unparseable_value"}
    assert kept == passed, (sorted(kept - passed)[:5], sorted(passed - kept)[:5])


def test_a_validation_formula_is_anchored_at_the_first_data_row(pingyuan):
    """Excel reads a custom formula relative to the first cell of its range: row 5 must mean row 5."""
    ws = openpyxl.load_workbook(pingyuan).worksheets[0]
    dv = _validation_of(ws, column_numbers()["studied"])
    assert set(re.findall(r"\$[A-Z]+(\d+)", dv.formula1)) == {str(FIRST)}
    moved = Translator("=" + dv.formula1, origin=f"D{FIRST}").translate_formula(f"D{FIRST + 9}")
    assert f"$D{FIRST + 9}" in moved and f"$C{FIRST + 9}" in moved


# ----------------------------------------------------------------------------- sheet setup


def test_header_cells_are_locked_data_cells_open_and_the_sheet_protected(pingyuan):
    wb = openpyxl.load_workbook(pingyuan)
    ws = wb.worksheets[0]
    prot = ws.protection
    assert prot.sheet and not prot.insertRows and not prot.deleteRows and not prot.formatColumns
    assert prot.insertColumns and prot.deleteColumns and prot.formatCells  # columns stay as the cleaner expects
    for r in range(1, FIRST):
        assert all(ws.cell(r, c).protection.locked for c in range(1, 21))
    for r in (FIRST, FIRST + 100, FIRST + 209):
        assert not any(ws.cell(r, c).protection.locked for c in range(1, 21))
    assert wb.worksheets[1].protection.sheet


def test_frozen_panes_widths_and_print_setup(pingyuan, truth):
    ws = openpyxl.load_workbook(pingyuan).worksheets[0]
    assert ws.freeze_panes == f"C{FIRST}"  # header rows and township + branch stay in view
    setup = ws.page_setup
    assert (setup.paperSize, setup.orientation, setup.fitToHeight) == (9, "landscape", 0)
    assert setup.fitToWidth in (None, 1)  # one page wide (1 is the default, left out of the file)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${HEADER_ROW + 1}:${HEADER_ROW + 2}"
    assert "&P" in ws.oddFooter.center.text
    widths = _widths(ws)
    longest = max(layout.text_width(b) for b in _registry_rows(truth, "平远县")["branch"])
    assert layout.chars_per_line(widths["branch"]) * 2 >= longest  # every registry name on one line
    assert layout.lines_needed(load.label("township", "zh"), widths["township"]) == 1
    leaf_height = ws.row_dimensions[HEADER_ROW + 2].height
    for col in form_columns():
        lines = layout.lines_needed(col.label, widths[col.name])
        assert lines <= 3 and leaf_height >= layout.row_height(lines) - 0.75, col.name  # heights go by pixels
    assert sum(w * 7 + 5 for w in widths.values()) < 1.35 * (297 - 20.3) / 25.4 * 96  # printed at 75 % or more


def _widths(ws) -> dict[str, float]:
    """Column widths as set (xlsxwriter stores w + 5/7 and one <col> for a run of equal widths)."""
    stored = {}
    for dim in ws.column_dimensions.values():
        for c in range(dim.min, dim.max + 1):
            stored[c] = dim.width - 5 / 7
    return {col.name: stored[i] for i, col in enumerate(form_columns(), start=1)}


def test_instructions_sheet_explains_every_column_from_the_domain_files(pingyuan):
    ws = openpyxl.load_workbook(pingyuan)["填表说明"]
    cells = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    text = "\n".join(" ".join(map(str, r)) for r in cells)
    spec = load.terms()["form"]
    by_label = {r[1]: r for r in cells if len(r) > 2 and isinstance(r[0], str) and re.fullmatch(r"[A-Z]", r[0])}
    for i, col in enumerate(form_columns()):
        row = by_label[col.label]
        assert row[0] == get_column_letter(i + 1) and row[2] == spec["columns"][col.name]["help"]
        if col.counted:
            assert spec["counted"][col.counted] in row
        assert rule_text(col) in row
    cumulative = [c.label for c in form_columns() if c.counted == "cumulative"]
    assert len(cumulative) == 10 and [r[1] for r in by_label.values() if spec["counted"]["cumulative"] in r] == cumulative
    for k, note in enumerate([spec["notes"][0], *spec["prefilled_notes"], *spec["notes"][1:]], start=1):
        assert f"{k}. {note}" in text
    assert "空白与0含义不同" in text
    for ind in load.indicators():
        assert ind["zh"] in text
    assert ws.protection.sheet and ws.page_setup.orientation == "landscape"
