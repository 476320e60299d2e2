"""The feedback workbooks, read back with openpyxl as a county's clerk would open them: the sample's
deliberate errors in the right county and period, the late branches of an early period, each weak link
with its sentence and the branches behind it, the one-sheet workbook of a county with nothing to fix,
and the layout (frozen headers, autofilter, widths, A4 landscape)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from pipelines import config, datasets
from pipelines.cli import main
from pipelines.documents import feedback as feedback_mod
from pipelines.documents import layout
from pipelines.documents.feedback import FeedbackError, write_feedback
from pipelines.documents.feedback_chase import behind, branch_values, chased, indicators_in_force
from pipelines.documents.feedback_tables import read_tables
from pipelines.domain import load
from pipelines.report.phrases import finding
from pipelines.sample.truth import DABU_WEAK_TOWNSHIPS, PERIODS
from pipelines.sample.writer import build_sample, write_registry

WORDS = load.terms()["feedback"]
SHEET = {k: v["sheet"] for k, v in WORDS["sections"].items()}
H = WORDS["headers"]
LABEL = {c: load.label(c) for c in ("source_file", "source_sheet", "source_row", "township", "branch", "members")}
WEAK = ("watch", "alert")


def day(p: pd.Timestamp) -> str:
    return p.date().isoformat()


@pytest.fixture(scope="module")
def books(sample_chain, tmp_path_factory):
    """write_feedback on the sample for a period (None: the default), each period written once."""
    out = tmp_path_factory.mktemp("feedback")
    done: dict = {}

    def get(period: str | None):
        if period not in done:
            done[period] = write_feedback(sample_chain, out / (period or "latest"), period)
        return done[period]

    return get


@pytest.fixture(scope="module")
def sample():
    return build_sample()


def rows_of(path: Path, sheet: str) -> list[dict]:
    """A table sheet as dicts keyed by its header (row 2); [] when the workbook has no such sheet."""
    wb = openpyxl.load_workbook(path)
    if sheet not in wb.sheetnames:
        return []
    values = list(wb[sheet].iter_rows(min_row=2, values_only=True))
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


def summary_text(path: Path) -> str:
    ws = openpyxl.load_workbook(path)[WORDS["summary_sheet"]]
    return "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)


def test_every_county_gets_its_workbook_and_one_with_nothing_to_fix_gets_one_sheet_saying_so(books, sample_chain):
    result = books(None)
    assert result.period == PERIODS[-1]  # the latest period by default, as the report
    order = load.county_order()
    assert [b.county for b in result.books] == order
    assert sorted(p.name for p in result.out.iterdir()) == sorted(f"{c}.xlsx" for c in order)  # no temporary left
    findings = datasets.read(sample_chain, config.FINDINGS_TABLE)
    weak = findings[(findings["period"] == result.period) & findings["status"].isin(WEAK)
                    & findings["level"].isin(["county", "township", "branch"])]
    rejects = datasets.read(sample_chain, config.REJECTS_TABLE)
    reporting = datasets.read(sample_chain, config.REPORTING_TABLE)
    missing = reporting[(reporting["period"] == result.period) & ~reporting["reported"]]
    clean_counties, fix_counties = [], []
    for book in result.books:
        wb = openpyxl.load_workbook(book.path)
        assert wb.sheetnames[0] == WORDS["summary_sheet"] and wb.active.title == WORDS["summary_sheet"]
        text = summary_text(book.path)
        assert book.county in text and "统计截至：2005年2月25日" in text
        anything = (book.county in set(weak["county"]) or book.county in set(missing["county"])
                    or ((rejects["county"] == book.county) & (rejects["period"] == result.period)).any())
        if anything:
            fix_counties.append(book.county)
            assert len(wb.sheetnames) > 1 and WORDS["nothing_to_fix"].format(county=book.county) not in text
        else:
            clean_counties.append(book.county)
            assert wb.sheetnames == [WORDS["summary_sheet"]]
            assert WORDS["nothing_to_fix"].format(county=book.county) in text
    assert clean_counties and fix_counties  # the sample has both at its last period


def test_the_deliberate_rule_breaks_are_in_their_county_and_period_only(books, sample):
    rules = load.terms()["reject_rules"]
    bad = sample.bad_rows[sample.bad_rows["rule"] != "subtotal_mismatch"]
    assert len(bad) == 4
    for r in bad.to_dict("records"):
        for period in PERIODS:
            for book in books(day(period)).books:
                hits = [x for x in rows_of(book.path, SHEET["rejects"])
                        if x[LABEL["branch"]] == r["branch"] and x[H["rule"]] == rules[r["rule"]]["zh"]]
                if book.county == r["county"] and period == r["period"]:
                    assert len(hits) == 1, (r, book.county)
                    hit = hits[0]
                    assert hit[H["column"]] == load.label(r["column"])
                    raw = str(hit[H["raw_value"]])
                    assert raw == r["raw_value"] or float(raw) == float(r["raw_value"])
                    assert hit[LABEL["source_file"]].startswith(day(period) + "/") and hit[LABEL["source_row"]] > 0
                    assert hit[H["message"]].startswith(hit[LABEL["source_file"]])  # the clean stage's own message
                else:
                    assert not hits, (r, book.county, period)


def test_the_wrong_subtotal_is_a_warning_of_its_county_and_period(books, sample):
    wrong = sample.bad_rows[sample.bad_rows["rule"] == "subtotal_mismatch"].iloc[0]
    for period in PERIODS:
        for book in books(day(period)).books:
            hits = [x for x in rows_of(book.path, SHEET["warnings"])
                    if x[H["column"]] == load.label("members")
                    and f"{wrong['raw_value']} 而各行合计 {wrong['intended']}" in x[H["message"]]]
            if book.county == wrong["county"] and period == wrong["period"]:
                assert len(hits) == 1 and hits[0][H["level"]] == WORDS["levels"]["warning"]
                assert not hits[0][H["message"]].startswith(hits[0][LABEL["source_file"]])  # location in its columns
                assert hits[0][LABEL["source_row"]] > 0
                counts = summary_text(book.path)
                assert SHEET["warnings"] in counts
            else:
                assert not hits


def _reported(sample, period: pd.Timestamp) -> set[tuple[str, str]]:
    rows = sample.returns[sample.returns["period"] == period]
    return set(zip(rows["county"], rows["branch"], strict=True))


def test_the_late_branches_of_an_early_period_are_unreported_with_their_run(books, sample):
    reg = sample.registry
    for p in (0, 1):
        period = PERIODS[p]
        now = _reported(sample, period)
        before = _reported(sample, PERIODS[0]) if p else None
        result = books(day(period))
        seen = 0
        for book in result.books:
            got = {(x[LABEL["township"]], x[LABEL["branch"]]): (x[LABEL["members"]], x[H["missed"]])
                   for x in rows_of(book.path, SHEET["unreported"])}
            mine = reg[reg["county"] == book.county]
            want = {(t, b): (int(m), 1 + (p == 1 and (book.county, b) not in before))
                    for t, b, m in zip(mine["township"], mine["branch"], mine["members"], strict=True)
                    if (book.county, b) not in now}
            assert got == want, book.county
            seen += len(got)
            if got:
                assert SHEET["unreported"] in summary_text(book.path) and str(len(got)) in summary_text(book.path)
        assert seen > 100  # the sample's counties report late: hundreds of branches at the first period
    # the registry's order, as the county keeps its branches
    first = books(day(PERIODS[0])).books[0]
    names = [x[LABEL["branch"]] for x in rows_of(first.path, SHEET["unreported"])]
    order = list(reg.loc[reg["county"] == first.county, "branch"])
    assert names == sorted(names, key=order.index)


def test_each_weak_link_has_its_sentence_in_rank_order(books, sample_chain):
    for period in (PERIODS[1], PERIODS[-1]):
        result = books(day(period))
        findings = datasets.read(sample_chain, config.FINDINGS_TABLE)
        for book in result.books:
            mine = findings[(findings["period"] == period) & (findings["county"] == book.county)
                            & findings["level"].isin(["county", "township", "branch"])
                            & findings["status"].isin(WEAK)].sort_values("rank")
            got = rows_of(book.path, SHEET["findings"])
            assert [x[H["sentence"]] for x in got] == [finding(r) for r in mine.to_dict("records")]
            assert [x[H["number"]] for x in got] == list(range(1, len(got) + 1))
            assert [x[LABEL["township"]] for x in got] == [None if pd.isna(t) else t for t in mine["township"]]
    dabu = rows_of(books(day(PERIODS[-1])).files["大埔县"], SHEET["findings"])
    assert {x[LABEL["township"]] for x in dabu if x[H["place_level"]] == WORDS["place_levels"]["township"]} \
        == set(DABU_WEAK_TOWNSHIPS)
    county_rows = [x for x in dabu if x[H["place_level"]] == WORDS["place_levels"]["county"]]
    assert county_rows and all(DABU_WEAK_TOWNSHIPS[0] in x[H["sentence"]] for x in county_rows)


def test_the_branches_behind_a_finding_add_up_to_what_the_judge_counts(books, sample_chain):
    """Branch-counted findings: as many branches in 需督促的党支部 as the finding says are outstanding;
    member-counted ones: the branches' own shortfalls sum to it."""
    checked = 0
    for period in (PERIODS[1], PERIODS[-1]):
        result = books(day(period))
        findings = datasets.read(sample_chain, config.FINDINGS_TABLE)
        for book in result.books:
            got = rows_of(book.path, SHEET["findings"])
            chase = rows_of(book.path, SHEET["chase"])
            mine = findings[(findings["period"] == period) & (findings["county"] == book.county)
                            & findings["level"].isin(["county", "township", "branch"])
                            & findings["status"].isin(WEAK)].sort_values("rank")
            for number, (row, f) in enumerate(zip(got, mine.to_dict("records"), strict=True), start=1):
                if f["count_unit"] != "branches" or f["level"] == "branch" or f["action"] == "reporting":
                    continue
                behind_it = [x for x in chase if str(number) in str(x[H["related"]]).split("、")]
                assert len(behind_it) == f["outstanding"], (book.county, f["indicator"], f["level"])
                assert row[H["follow_up"]] == WORDS["follow_up"]["chase"].format(n=f["outstanding"], sheet=SHEET["chase"])
                checked += 1
    assert checked >= 5
    # members: the branches' own shortfalls (the judge's count per branch) add up to the county's
    tables = read_tables(sample_chain, day(PERIODS[1]))
    inds = indicators_in_force(sample_chain, tables.period)
    by_id = {i.id: i for i in inds}
    people = tables.findings[(tables.findings["level"] == "county") & (tables.findings["count_unit"] != "branches")
                             & tables.findings["indicator"].map(lambda i: chased(by_id[i]))]
    assert len(people) >= 3
    long = behind(people, branch_values(sample_chain, tables.period, tables.registry, inds), inds, tables.period)
    sums = long.groupby("finding")["n"].sum()
    for f in people.to_dict("records"):
        assert sums[f["finding"]] == f["outstanding"], (f["county"], f["indicator"])


def test_what_a_branch_lacks_is_said_once_per_branch(books):
    """大埔县's weak townships: their branches lacking the 形势报告会 are told so, each branch on one row."""
    chase = rows_of(books(day(PERIODS[-1])).files["大埔县"], SHEET["chase"])
    names = [(x[LABEL["township"]], x[LABEL["branch"]]) for x in chase]
    assert len(names) == len(set(names))
    weak = [x for x in chase if x[LABEL["township"]] in DABU_WEAK_TOWNSHIPS]
    assert weak and all(x[H["lacking"]].startswith("未开展") for x in weak)
    assert any("形势报告会" in x[H["lacking"]] and "党组织负责人上党课" in x[H["lacking"]] for x in weak)
    assert all(x[LABEL["members"]] > 0 for x in chase)
    assert not any("学习心得交流会" in x[H["lacking"]] for x in chase)  # not due until 4 March: not asked for


def test_table_sheets_have_a_frozen_header_an_autofilter_fitting_widths_and_an_a4_print(books):
    book = books(day(PERIODS[1])).files["平远县"]
    wb = openpyxl.load_workbook(book)
    tables = [n for n in wb.sheetnames if n != WORDS["summary_sheet"]]
    assert {SHEET["rejects"], SHEET["unreported"], SHEET["findings"], SHEET["chase"]} <= set(tables)
    for name in tables:
        ws = wb[name]
        last = get_column_letter(ws.max_column)
        assert ws.freeze_panes == "A3", name
        assert ws.auto_filter.ref == f"A2:{last}{ws.max_row}", name
        assert ws.print_title_rows == "$1:$2" and ws.page_setup.orientation == "landscape"
        assert (int(ws.page_setup.paperSize), ws.page_setup.fitToHeight) == (9, 0)  # A4, pages as long as needed
        assert ws.page_setup.fitToWidth in (None, 1) and ws.sheet_properties.pageSetUpPr.fitToPage  # one page wide
        assert "&P" in ws.oddFooter.center.text
        for col in range(1, ws.max_column + 1):
            letter = get_column_letter(col)
            width = ws.column_dimensions[letter].width
            header = ws.cell(2, col).value
            assert layout.width_for(3) <= width <= layout.width_for(41), (name, header, width)
            need = -(-layout.text_width(header) // 2)
            assert width >= layout.width_for(need if need <= 8 else -(-need // 2)), (name, header)  # header fits
            for row in range(3, ws.max_row + 1):
                cell = ws.cell(row, col)
                if cell.value is None:
                    continue
                chars = -(-layout.text_width(str(cell.value)) // 2)
                if width < layout.width_for(chars):  # longer than the column: it wraps, and its row is tall enough
                    assert cell.alignment.wrap_text, (name, header, cell.value)
                    lines = layout.lines_needed(str(cell.value), width)
                    assert ws.row_dimensions[row].height >= layout.row_height(lines), (name, row)
    # the 说明 sheet names every kind of problem; the ones with rows link to their sheet
    summary = wb[WORDS["summary_sheet"]]
    named = {c.value: c for row in summary.iter_rows() for c in row if c.value in SHEET.values()}
    assert set(named) == set(SHEET.values())
    for name, cell in named.items():
        assert (cell.hyperlink.location if cell.hyperlink else None) == (f"'{name}'!A1" if name in tables else None)
    # a short column stays narrow, a long text column wraps at a readable width
    widths = {wb[SHEET["findings"]].cell(2, c).value: wb[SHEET["findings"]].column_dimensions[get_column_letter(c)].width
              for c in range(1, wb[SHEET["findings"]].max_column + 1)}
    assert widths[H["number"]] < layout.width_for(5) < layout.width_for(30) < widths[H["sentence"]]


def test_counties_and_periods_can_be_asked_for_and_mistakes_are_refused(sample_chain, tmp_path, capsys):
    out = tmp_path / "one"
    assert main(["feedback", "--processed", str(sample_chain), "--out", str(out), "--period", "2005-02-11",
                 "--county", "平远"]) == 0  # an alias of counties.yaml
    assert [p.name for p in out.iterdir()] == ["平远县.xlsx"]
    printed = capsys.readouterr().out
    assert "平远县" in printed and "2005-02-11" in printed
    for args, status, words in (
        (["--period", "2005-02-30"], 2, "不是有效日期"),
        (["--period", "2005-03-04"], 2, "2005-02-25"),  # not in the tables: the known periods are listed
        (["--county", "梅州县"], 2, "梅江区"),
    ):
        assert main(["feedback", "--processed", str(sample_chain), "--out", str(tmp_path / "x"), *args]) == status
        err = capsys.readouterr().err
        assert words in err and " / " in err and err.count("\n") == 1  # one line, Chinese / English
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["feedback", "--processed", str(empty), "--out", str(tmp_path / "x")]) == 1
    assert "manifest.parquet" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_the_workbooks_are_replaced_all_or_none(books, sample_chain, tmp_path, monkeypatch):
    out = tmp_path / "feedback"
    shutil.copytree(books(None).out, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = []
    real = feedback_mod.write_book

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(feedback_mod, "write_book", failing)
    with pytest.raises(OSError):
        write_feedback(sample_chain, out, day(PERIODS[0]))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the previous set, whole; no temporary


def _csv(path: Path, rows: list[dict]) -> None:
    cols = ["county", "township", "branch", "members", "studied", "discussion_meetings", "deeds_reports",
            "situation_reports", "exchange_meetings", "party_lectures", "test_takers", "sheets_returned", "avg_score",
            "special_sick", "special_travel", "special_laid_off", "special_retired_away", "special_floating",
            "delivered_study", "makeup_study", "has_work_plan"]
    full = {c: 1 for c in cols[5:10]} | {c: 0 for c in cols[13:20]} | {"avg_score": 99.0, "has_work_plan": "是"}
    lines = [",".join(load.label(c) for c in cols)]
    for r in rows:
        r = {**full, "studied": r["members"], "test_takers": r["members"], "sheets_returned": r["members"], **r}
        lines.append(",".join(str(r[c]) for c in cols))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def small_tree(tmp_path_factory) -> Path:
    """Two counties of two branches: 平远县 reports both in full, 蕉岭县 misspells one (丁材 for 丁村).
    The period folder is written 2005年2月25日, which the clean stage notes on every file."""
    from pipelines.ingest import clean
    from pipelines.metrics import compute_metrics

    root = tmp_path_factory.mktemp("small")
    raw = root / "raw"
    reg = pd.DataFrame({"county": ["平远县", "平远县", "蕉岭县", "蕉岭县"], "county_code": ["441426"] * 2 + ["441427"] * 2,
                        "township": ["大柘镇", "大柘镇", "蕉城镇", "蕉城镇"],
                        "branch": ["甲村党支部", "乙村党支部", "丙村党支部", "丁村党支部"],
                        "members": pd.array([20, 15, 18, 22], dtype="Int64")})
    write_registry(reg, raw / "registry" / "名册.xlsx")
    folder = raw / "2005年2月25日"
    _csv(folder / "平远县.csv", [{"county": "平远县", "township": "大柘镇", "branch": "甲村党支部", "members": 20},
                                 {"county": "平远县", "township": "大柘镇", "branch": "乙村党支部", "members": 15}])
    _csv(folder / "蕉岭县.csv", [{"county": "蕉岭县", "township": "蕉城镇", "branch": "丙村党支部", "members": 18},
                                 {"county": "蕉岭县", "township": "蕉城镇", "branch": "丁材党支部", "members": 22}])
    processed = root / "processed"
    clean(raw, processed)
    compute_metrics(processed)
    return processed


def test_a_branch_not_in_the_registry_comes_with_the_registry_names_near_it(small_tree, tmp_path):
    result = write_feedback(small_tree, tmp_path)
    jiaoling = result.files["蕉岭县"]
    got = rows_of(jiaoling, SHEET["unregistered"])
    assert [x[H["reported_name"]] for x in got] == ["丁材党支部"]
    assert "丁村党支部" in got[0][H["suggestions"]].split("、")
    assert got[0][LABEL["source_file"]] == "2005年2月25日/蕉岭县.csv" and got[0][LABEL["source_row"]] == 3
    assert [x[LABEL["branch"]] for x in rows_of(jiaoling, SHEET["unreported"])] == ["丁村党支部"]
    # the unregistered_branch warning is listed there, not again among the reading notes
    assert not any("丁材" in str(x[H["message"]]) for x in rows_of(jiaoling, SHEET["warnings"]))


def test_notes_are_marked_and_alone_leave_nothing_to_fix(small_tree, tmp_path):
    result = write_feedback(small_tree, tmp_path, counties=["平远县"])
    book = result.books[0]
    assert not book.to_fix
    wb = openpyxl.load_workbook(book.path)
    assert wb.sheetnames == [WORDS["summary_sheet"], SHEET["warnings"]]
    notes = rows_of(book.path, SHEET["warnings"])
    assert notes and all(x[H["level"]] == WORDS["levels"]["note"] for x in notes)
    assert any("2005年2月25日" in x[H["message"]] for x in notes)
    text = summary_text(book.path)
    assert WORDS["nothing_to_fix"].format(county="平远县") in text
    assert WORDS["notes_only"].format(n=len(notes)) in text


def test_a_county_that_sent_nothing_and_has_no_registry_branch_is_not_told_all_is_well(small_tree, tmp_path):
    book = write_feedback(small_tree, tmp_path, counties=["大埔县"]).books[0]
    assert not book.to_fix and openpyxl.load_workbook(book.path).sheetnames == [WORDS["summary_sheet"]]
    text = summary_text(book.path)
    assert WORDS["nothing_received"].format(county="大埔县") in text
    assert WORDS["nothing_to_fix"].format(county="大埔县") not in text


def test_tables_missing_or_a_period_unknown_name_the_file_and_the_command(small_tree, tmp_path):
    partial = tmp_path / "partial"
    shutil.copytree(small_tree, partial)
    shutil.rmtree(partial / config.FINDINGS_TABLE)
    with pytest.raises(FeedbackError) as err:
        write_feedback(partial, tmp_path / "out")
    assert "partial/findings" in err.value.message_zh and "python -m pipelines metrics" in err.value.message_en
    assert err.value.status == 1 and not (tmp_path / "out").exists()
    with pytest.raises(FeedbackError) as err:
        write_feedback(small_tree, tmp_path / "out", "2005-02-18")
    assert err.value.status == 2 and re.search(r"2005-02-25", err.value.message_zh)
