"""The five tables the cleaning stage writes, declared once (pandera) and enforced on the way out.

Every later stage can trust these columns, dtypes and invariants: counts are nullable Int64
(a blank stays <NA>, distinct from 0), ``avg_score`` Float64 in 0–100, ``has_work_plan``
boolean, strings pandas ``str``, ``period`` datetime64[ns] at midnight. Column order is the
order of docs/contracts.md; ``strict`` keeps stray columns out.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

COUNT_COLUMNS: tuple[str, ...] = (
    "members",
    "studied",
    "discussion_meetings",
    "deeds_reports",
    "situation_reports",
    "exchange_meetings",
    "party_lectures",
    "test_takers",
    "sheets_returned",
    "special_sick",
    "special_travel",
    "special_laid_off",
    "special_retired_away",
    "special_floating",
    "delivered_study",
    "makeup_study",
)
ACTIVITY_COLUMNS = ("discussion_meetings", "deeds_reports", "situation_reports", "exchange_meetings", "party_lectures")
SPECIAL_COLUMNS = ("special_sick", "special_travel", "special_laid_off", "special_retired_away", "special_floating")
OUTREACH_COLUMNS = ("delivered_study", "makeup_study")
TEST_COLUMNS = ("test_takers", "sheets_returned", "avg_score")
# The runs of columns the office's forms put under one merged group cell (labels: terms.yaml groups).
GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "activities": ACTIVITY_COLUMNS,
    "test": TEST_COLUMNS,
    "special_members": SPECIAL_COLUMNS,
    "outreach": OUTREACH_COLUMNS,
}
SCORE_COLUMNS = ("avg_score",)
BOOL_COLUMNS = ("has_work_plan",)
VALUE_COLUMNS = (*COUNT_COLUMNS[:8], "sheets_returned", "avg_score", *SPECIAL_COLUMNS, *OUTREACH_COLUMNS, "has_work_plan")
VALUE_COLUMNS = tuple(dict.fromkeys(VALUE_COLUMNS))  # contract order, no repeats

PERIOD_DTYPE = "datetime64[ns]"

RETURNS_COLUMNS = (
    "period", "county", "county_code", "township", "branch",
    *VALUE_COLUMNS,
    "source_file", "source_sheet", "source_row",
)
REGISTRY_COLUMNS = ("county", "county_code", "township", "branch", "members")
REJECTS_COLUMNS = (
    "source_file", "source_sheet", "source_row", "column", "raw_value", "rule", "message_zh", "message_en",
    "period", "county", "branch",
)
MANIFEST_COLUMNS = (
    "path", "sha256", "size", "format", "county", "period", "sheets", "rows_read", "rows_kept", "rows_rejected",
    "hidden_rows", "status", "warnings", "warning_counts", "unmatched_branches", "reused",
)
WARNINGS_COLUMNS = (
    "period", "county", "source_file", "source_sheet", "source_row", "column", "code", "level", "params",
    "message_zh", "message_en",
)
FORMATS = ("xlsx", "xlsb", "xls", "ods", "html", "utf16", "text", "docx", "word", "encrypted", "pdf", "image",
           "zip", "ole", "binary")  # pipelines.ingest.formats.KINDS
STATUSES = ("ok", "warning", "unreadable", "missing_required_column")


def _count(**kw) -> pa.Column:
    return pa.Column("Int64", pa.Check.ge(0), nullable=True, **kw)


def _at_midnight(s: pd.Series) -> pd.Series:
    return s.isna() | (s == s.dt.normalize())


def _not_above(small: str, big: str) -> pa.Check:
    return pa.Check(
        lambda df: ~(df[small] > df[big]).fillna(False),
        name=f"{small}_not_above_{big}",
        error=f"{small} must not exceed {big}",
        statistics={"small": small, "big": big},  # the relation as data (read by the return template)
    )


_RETURNS_COLS = {
        "period": pa.Column(PERIOD_DTYPE, pa.Check(_at_midnight, name="at_midnight")),
        "county": pa.Column("str"),
        "county_code": pa.Column("str", nullable=True),
        "township": pa.Column("str", nullable=True),
        "branch": pa.Column("str", pa.Check.str_length(min_value=1)),
        "members": pa.Column("Int64", pa.Check.ge(0)),
        **{c: _count() for c in COUNT_COLUMNS if c != "members"},
        "avg_score": pa.Column("Float64", pa.Check.in_range(0, 100), nullable=True),
        "has_work_plan": pa.Column("boolean", nullable=True),
        "source_file": pa.Column("str"),
        "source_sheet": pa.Column("str", nullable=True),
        "source_row": pa.Column("Int64", pa.Check.ge(1)),
}

RETURNS = pa.DataFrameSchema(
    {c: _RETURNS_COLS[c] for c in RETURNS_COLUMNS},  # contract order
    checks=[
        _not_above("studied", "members"),
        _not_above("test_takers", "members"),
        _not_above("sheets_returned", "test_takers"),
    ],
    unique=["period", "county", "branch"],
    strict=True,
    ordered=True,
    name="returns",
)

REGISTRY = pa.DataFrameSchema(
    {
        "county": pa.Column("str"),
        "county_code": pa.Column("str", nullable=True),
        "township": pa.Column("str", nullable=True),
        "branch": pa.Column("str", pa.Check.str_length(min_value=1)),
        "members": _count(),
    },
    unique=["county", "branch"],
    strict=True,
    ordered=True,
    name="registry",
)

REJECTS = pa.DataFrameSchema(
    {
        "source_file": pa.Column("str"),
        "source_sheet": pa.Column("str", nullable=True),
        "source_row": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "column": pa.Column("str", nullable=True),
        "raw_value": pa.Column("str", nullable=True),
        "rule": pa.Column("str"),
        "message_zh": pa.Column("str", pa.Check.str_length(min_value=1)),
        "message_en": pa.Column("str", pa.Check.str_length(min_value=1)),
        "period": pa.Column(PERIOD_DTYPE, nullable=True),
        "county": pa.Column("str", nullable=True),
        "branch": pa.Column("str", nullable=True),
    },
    strict=True,
    ordered=True,
    name="rejects",
)

MANIFEST = pa.DataFrameSchema(
    {
        "path": pa.Column("str", unique=True),
        "sha256": pa.Column("str", pa.Check.str_matches(r"^[0-9a-f]{64}$"), nullable=True),
        "size": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "format": pa.Column("str", pa.Check.isin(FORMATS), nullable=True),
        "county": pa.Column("str", nullable=True),
        "period": pa.Column(PERIOD_DTYPE, nullable=True),
        "sheets": pa.Column("str"),
        "rows_read": pa.Column("Int64", pa.Check.ge(0)),
        "rows_kept": pa.Column("Int64", pa.Check.ge(0)),
        "rows_rejected": pa.Column("Int64", pa.Check.ge(0)),
        "hidden_rows": pa.Column("Int64", pa.Check.ge(0)),
        "status": pa.Column("str", pa.Check.isin(STATUSES)),
        "warnings": pa.Column("str"),
        "warning_counts": pa.Column("str", pa.Check.str_startswith("{")),
        "unmatched_branches": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        # True: this run took the file's cleaned rows from the cache; False: it read the file
        "reused": pa.Column("boolean"),
    },
    checks=[
        pa.Check(
            lambda df: df["rows_kept"] + df["rows_rejected"] == df["rows_read"],
            name="kept_plus_rejected_is_read",
            error="rows_kept + rows_rejected must equal rows_read for every file",
        )
    ],
    strict=True,
    ordered=True,
    name="manifest",
)



def _warning_codes() -> list[str]:
    from pipelines.ingest.warning_codes import codes

    return list(codes())


WARNINGS = pa.DataFrameSchema(
    {
        "period": pa.Column(PERIOD_DTYPE, nullable=True),
        "county": pa.Column("str", nullable=True),
        "source_file": pa.Column("str", nullable=True),  # null only for run-level codes (no_registry)
        "source_sheet": pa.Column("str", nullable=True),
        "source_row": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "column": pa.Column("str", nullable=True),
        "code": pa.Column("str", pa.Check(lambda s: s.isin(_warning_codes()), name="code_in_closed_list")),
        "level": pa.Column("str", pa.Check.isin(["note", "warning"])),
        "params": pa.Column("str", pa.Check.str_startswith("{")),
        "message_zh": pa.Column("str", pa.Check.str_length(min_value=1)),
        "message_en": pa.Column("str", pa.Check.str_length(min_value=1)),
    },
    strict=True,
    ordered=True,
    name="warnings",
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "returns": RETURNS, "registry": REGISTRY, "rejects": REJECTS, "manifest": MANIFEST, "warnings": WARNINGS,
}


def empty(name: str) -> pd.DataFrame:
    """An empty frame with the columns and dtypes of schema ``name``."""
    schema = SCHEMAS[name]
    return pd.DataFrame({c: pd.Series(dtype=str(col.dtype)) for c, col in schema.columns.items()})


def enforce(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Validate ``df`` against schema ``name`` (all failures at once); raise OutputSchemaError.

    The schemas only check (nothing is coerced), so pandera validates ``df`` itself rather than
    a deep copy of it; the frame is returned unchanged.
    """
    from pipelines.ingest.errors import OutputSchemaError

    try:
        return SCHEMAS[name].validate(df, lazy=True, inplace=True)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError) as exc:
        cases = getattr(exc, "failure_cases", None)
        detail = cases.head(10).to_string() if cases is not None else str(exc)
        raise OutputSchemaError(
            f"output table {name} breaks its schema:\n{detail}",
            message_zh=f"输出表 {name} 不符合其结构约定",
            file=name,
        ) from exc
