"""The seeded sample returns of Meizhou's 2005 study stage (`python -m pipelines sample`).

API:
    build_sample(seed: int = 2005) -> SampleData
        registry, returns (the truth a perfect cleaner produces), bad_rows, written.
    write_sample(out: Path, seed: int = 2005, *, force: bool = False) -> list[Path]
        writes RAW/<period>/<files> and RAW/registry/梅州市党组织名册.xlsx; raises
        SampleExistsError when out already holds period folders and force is False.
    write_county_xlsx(frame, path, style="xlsx_report", *, county=None, period=None, seed=0) -> Path
        one county's rows (returns.parquet layout) as a messy .xlsx, for benchmarks;
        style is a Style or a name in STYLES (xlsx_report, xlsx_multisheet, xlsx_plain, …).

Modules: truth (values), messiness (how values and headers are typed), layout (sheet grid),
write_xlsx / write_xls / write_csv (one per format), plan (who sends what), writer (glue).
"""

from pipelines.sample.plan import STYLES
from pipelines.sample.truth import PERIODS, SampleData
from pipelines.sample.writer import SampleExistsError, build_sample, write_county_xlsx, write_sample

__all__ = ["PERIODS", "STYLES", "SampleData", "SampleExistsError", "build_sample", "write_county_xlsx", "write_sample"]
