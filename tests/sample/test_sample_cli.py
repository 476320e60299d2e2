"""write_sample's refusal, the CLI's exit codes, and the reusable benchmark writer."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.cli import main
from pipelines.sample import PERIODS, SampleExistsError, build_sample, write_county_xlsx, write_sample

from sample_readback import parse_sheet, read_sheets


def test_write_sample_refuses_a_folder_with_period_folders(tmp_path):
    (tmp_path / "2005-03-04").mkdir()
    (tmp_path / "2005-03-04" / "county.xlsx").write_bytes(b"someone's return")
    with pytest.raises(SampleExistsError, match="2005-03-04"):
        write_sample(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2005-03-04"]
    assert (tmp_path / "2005-03-04" / "county.xlsx").read_bytes() == b"someone's return"


def test_cli_refuses_with_exit_2_and_force_overwrites(tmp_path, capsys):
    out = tmp_path / "raw"
    stale = out / "2005-02-25" / "兴宁2005-02-25.csv"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"tampered")
    (out / "2005-02-25" / "other.txt").write_text("not ours")
    assert main(["sample", "--out", str(out)]) == 2
    assert "already holds returns" in capsys.readouterr().err
    assert stale.read_bytes() == b"tampered"
    assert main(["sample", "--out", str(out), "--force"]) == 0
    assert stale.read_bytes().decode("gb18030").startswith("乡镇,")
    assert (out / "2005-02-25" / "other.txt").read_text() == "not ours"
    assert len(list(out.glob("2005-*/*.*"))) == 38 and (out / "registry").is_dir()


@pytest.fixture(scope="module")
def big_frame() -> pd.DataFrame:
    """About 2000 branches of one made-up county, as the ingest benchmark would build them."""
    r = build_sample(2005).returns
    r = r[r["period"] == PERIODS[-1]].head(2000).copy()
    r["branch"] = [f"{t}{b}" for t, b in zip(r["township"], r["branch"], strict=True)]
    r["county"] = "兴宁市"
    return r.reset_index(drop=True)


@pytest.mark.parametrize("style", ["xlsx_report", "xlsx_multisheet", "xlsx_plain", "xlsx_blankrows", "csv_gbk"])
def test_write_county_xlsx_for_the_benchmark(big_frame, tmp_path, style):
    path = tmp_path / f"兴宁_{style}.xlsx"  # csv_gbk names the county only in the file name
    # (its speed is measured by benchmarks/ingest.py against a bare xlsxwriter dump, not here)
    assert write_county_xlsx(big_frame, path, style, seed=1) == path
    assert path.read_bytes()[:2] == b"PK"
    rows = [row for sh in read_sheets(path) for row in parse_sheet(sh, PERIODS[-1])[0]]
    got = pd.DataFrame(rows)
    assert len(got) == len(big_frame)
    assert set(got["county"]) == {"兴宁市"}
    assert got["members"].sum() == big_frame["members"].sum()
    assert sorted(got["branch"]) == sorted(big_frame["branch"].str.replace(r"\s", "", regex=True))
