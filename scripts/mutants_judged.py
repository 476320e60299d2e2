"""Why each mutant that survives ``make mutate`` is left alive: (module, pattern, reason).

scripts/mutants.py matches ``pattern`` (a regular expression) against "<line as written> => <line as
mutated>" of every surviving mutant of ``module``; the first entry that matches gives the reason shown in
docs/mutants.md. A survivor no entry matches is "not judged": kill it with a test, or add an entry here
saying why it cannot change what a user sees. Keep entries narrow (the line's own text), so that a new
mutant on another line is not judged by accident.
"""

from __future__ import annotations

JUDGED: list[tuple[str, str, str]] = []

# Families that hold in every module (checked one by one on each line they match; see docs/testing.md).
STRICT = ("zip(strict=...) loosened: the sequences zipped are of one length by construction (columns of one "
          "frame, a group and its compiled pattern); strict only turns a future bug into an error")
TOL = ("a comparison with the ±1e-9 tolerance made inclusive: differs only for a difference of exactly 1e-9, "
       "which figures given to a few decimals never make")

JUDGED += [
    ("", r"strict=True\).* => .*(strict=(None|False)|, \))", STRICT),
    ("", r"zip\(.*strict=True.* => ", STRICT),
]

# ---------------------------------------------------------------- pipelines/ingest/counties.py
JUDGED += [
    ("ingest/counties.py", r"_spellings\(None,",
     "_spellings() never reads its name argument (the spellings come from name_en)"),
    ("ingest/counties.py", r"if value is None or \(isinstance\(value, float\) and pd.isna\(value\)\):",
     "a blank or NaN cell that passes this test normalises to '' or 'nan', which is no alias or code: still None"),
    ("ingest/counties.py", r"if isinstance\(value, \(int, float\)\) and not isinstance\(value, bool\):|"
     r"value = str\(int\(value\)\) if float\(value\)\.is_integer\(\) else str\(value\)",
     "normalize_name already writes 441421.0 as 441421 and a bool as true/false: the line only saves a step"),
    ("ingest/counties.py", r"len\(key\) >= len\(prefix\)",
     "the city's name alone leaves '' after the prefix, which is no alias: None either way"),
    ("ingest/counties.py", r"\(pos, -len\(alias\)\) <= \(best",
     "two different aliases found at the same place are of different lengths: the tie never happens"),
    ("ingest/counties.py", r"if county is None or \(isinstance\(county, float\) and pd.isna\(county\)\):",
     "a blank or NaN county normalises to '' and is skipped by the next test (if not key)"),
]

# ---------------------------------------------------------------- pipelines/ingest/totals.py
JUDGED += [
    ("ingest/totals.py", r"np\.zeros\(\(len\(df\) \+ 1, len\(cols\)\).*=>",
     "dtype or memory order of the running-sum table: the sums are the same int64 values (order is layout only)"),
    ("ingest/totals.py", r"to_numpy\(dtype=np\.int64, na_value=0\).* => .*to_numpy\((dtype=None, )?na_value=0\)",
     "an Int64 column with na_value=0 is already int64"),
    ("ingest/totals.py", r"np\.r_\[1, pos",
     "the first slot is never used: after_previous is False for the first 小计 of the selection"),
    ("ingest/totals.py", r"_branch_row.*to_numpy\(dtype=None\)", "the column is boolean already"),
    ("ingest/totals.py", r"na_value=1\) for v in stated_cells",
     "a blank stated cell is masked out by given: it is never compared"),
    ("ingest/totals.py", r"town_cells\.to_numpy\(", "the township text is object either way and dropna drops NaN as None"),
    ("ingest/totals.py", r"groupby\(\[\"_k\", \"_t\"\], (sort=(None|True))?\)|dropna\(subset=None\)",
     "the sums go into a dict keyed by (sheet, township): their order is not read; only _t can be blank"),
    ("ingest/totals.py", r"sums\.to_numpy\(dtype=None\)", "the sums of int64 columns are int64"),
    ("ingest/totals.py", r"_sheet\"\]\.to_numpy\(dtype=None\)", "a text column's values are objects either way"),
    ("ingest/totals.py", r"town = town_cells\.iloc\[i\] if \(small\) or True",
     "the township of a 合计 row is read but never used (the next test requires a 小计)"),
]

# ---------------------------------------------------------------- pipelines/ingest/values.py
JUDGED += [
    ("ingest/values.py", r"total = \(section \+ num\) \* 10_000",
     "differs only for a numeral with two 万 (一万万), which is not how a count is written (亿 is not accepted)"),
    ("ingest/values.py", r"return _BLANK, True",
     "a blank is returned as a blank by parse_count before is_percent is read; parse_score ignores it"),
    ("ingest/values.py", r"len\(self\.uniques\) \+ 2|np\.(zeros|ones)\(n \+ 2",
     "one slot more in a scratch table whose last slot (index -1, a missing cell) is the only one read beyond n"),
    ("ingest/values.py", r"used = np\.zeros\(len\(self\.uniques\) \+ 1, (dtype=None)?\)",
     "a float table of used slots: flatnonzero finds the same slots"),
    ("ingest/values.py", r"np\.arange\(len\(keep\), (dtype=None)?\)", "assigned into an int64 table: cast on assignment"),
    ("ingest/values.py", r"use_na_sentinel", "use_na_sentinel=True is the default; with it off a missing cell becomes a "
     "distinct value None, which every parser reads as blank (<NA>) all the same; the yes/no values have no blank"),
    ("ingest/values.py", r"np\.asarray\((uniques|rest|bools), (dtype=None)?\)",
     "pandas returns the distinct values of an object column as an object array already"),
    ("ingest/values.py", r"codes\.astype\(np\.int64, (copy=(None|True))?\)|count=len\(values\)\) => .*dtype=bool, \)",
     "copy/count are speed hints only"),
    ("ingest/values.py", r"missing\[i\] = None", "None stored in a boolean array is False"),
    ("ingest/values.py", r"pd\.Series\(bad\[codes\], ",
     "the reasons are read by position (rows.py: reason.to_numpy()), never by index or name"),
    ("ingest/values.py", r"bad = np\.zeros\(n \+ 1, (dtype=None)?\)",
     "reason codes as float: rows.py compares them with 0 and looks them up in REASON_RULES (1.0 == 1); memory only"),
    ("ingest/values.py", r"if normalise is (not )?normalize_name (or|and) len\(uniques\)|arr = None|"
     r"arr = pa\.array\(uniques, (type=None)?\)",
     "the Arrow fast path only skips names normalisation would leave unchanged: the same texts either way"),
    ("ingest/values.py", r"_PLAIN_NAME\), (None|True)\)|zero_copy_only=None",
     "the distinct values never hold a null (factorize sets missing cells apart), so the fill is never used"),
    ("ingest/values.py", r"pa\.array\(texts, (type=None)?\)|"
     r"pa\.array\(\[normalise\(u\) or None for u in uniques\], (type=None)?\)",
     "string instead of large_string Arrow text: the same pandas str column"),
    ("ingest/values.py", r"np\.where\(None, len\(texts\), codes\)",
     "code -1 then indexes the last slot, which is the appended False: the same mask"),
    ("ingest/values.py", r"if \(len\(texts\)\) or True|pa\.nulls\(len\(codes\), (None)?\)",
     "an empty table of texts means every cell is missing: take() and a null array give the same all-<NA> column"),
    ("ingest/values.py", r"index=index, name=name\) => .*index=index, (name=None)?\)",
     "the text column's name: rows.py stores it in a dict under its own key"),
    ("ingest/values.py", r"np\.asarray\(uniques, dtype=object\), normali.e.* => .*np\.asarray\(uniques, (dtype=None)?\)",
     "pandas returns the distinct values of an object column as an object array already"),
]

# ---------------------------------------------------------------- pipelines/ingest/identity.py
JUDGED += []

# ---------------------------------------------------------------- pipelines/ingest/rules.py
JUDGED += [
    ("ingest/rules.py", r"\.astype\(None\)|to_numpy\((dtype=None, )?na_value=0\)|to_numpy\((dtype=None, )?copy=True\)",
     "a rule's mask is read through to_numpy(dtype=bool) in broken_rows; Int64 counts with na_value=0 are int64"),
    ("ingest/rules.py", r"index=df\.index\) => .*(index=None\)|, \))",
     "the mask is read by position (to_numpy) in broken_rows"),
    ("ingest/rules.py", r"\.fillna\(False\)\.astype\(bool\), => .*fillna\((None|True)\)",
     "avg_score.notna() & (isna() | == 0) has no <NA> to fill (True | <NA> is True)"),
]

# ---------------------------------------------------------------- pipelines/nightly/runfolder.py
JUDGED += [
    ("nightly/runfolder.py", r"encoding=\"UTF-8\"", "the same codec"),
    ("nightly/runfolder.py", r"ensure_ascii=None", "None is falsy: the same as False"),
    ("nightly/runfolder.py", r"if link\.is_symlink\(\) and not link\.is_dir\(\):",
     "the cases it lets through (no link, a real folder) are settled by the resolve/is_dir test below: "
     "None for nothing, the folder for a folder"),
    ("nightly/runfolder.py", r"key=lambda p: p\.name\) => .*(key=None\)|, \))",
     "run folders share one parent: Paths sort by name already"),
    ("nightly/runfolder.py", r"key=lambda p: len\(p\.parts\)",
     "the order of chmod does not matter: changing a mode needs ownership, not write access to the folder"),
    ("nightly/runfolder.py", r"rglob\(None\)", "rglob(None) lists the folders, the only paths unseal changes"),
    ("nightly/runfolder.py", r"st_mode \| 129\)",
     "0o201: also the others' search bit, which a run folder has (0o555 after sealing); it is deleted next"),
]

# ---------------------------------------------------------------- pipelines/judge/rules.py
JUDGED += [
    ("judge/rules.py", r"<= -EPS|> -EPS|>= lim \+ EPS|>= _arr\(long, \"lim_(below_city|spread)\"\) \+ EPS|"
     r">= _arr\(long, \"lim_below_city_critical\"\) \+ EPS|"
     r"gap >= th\.gap\(\"below_city\"", TOL),
    ("judge/rules.py", r"to_numpy\(dtype=float, na_value=np\.nan\) => "
     r".*to_numpy\((dtype=None, |dtype=float, )?(na_value=(np\.nan|None))?\)",
     "float64 with NaN for a blank either way (to_numeric gives float64 or Float64; pandas ≥ 2 turns <NA> into NaN "
     "for a float dtype)"),
    ("judge/rules.py", r"np\.nan_to_num\(spread, (nan=-2\.0)?\) >",
     "no spread (NaN) as 0 or -2 instead of -1: still not beyond the spread threshold (> 0)"),
    ("judge/rules.py", r"\(m >= 0\)", "with no county valued (m = 0) no county is short either: k > share × m fails"),
    ("judge/rules.py", r"np\.ones\(len\(long\), (None)?\)", "critical is read as bool in _hits"),
    ("judge/rules.py", r"gap = np\.nan_to_num\((sign|s) \* \(cv - v\), (nan=\+1\.0|nan=-2\.0)?\)",
     "no value or no city value: a gap of 0 or -2 instead of -1 is still not past a gap threshold (> 0); for "
     "townships and branches (+1 too) the funnel test never flags a missing value and critical is read only "
     "where it flags (the county rule's +1 is killed)"),
    ("judge/rules.py", r"return _hits\(long, np\.zeros\(len\(long\), bool\), \"not_reported\"",
     "no first_missed column: an empty frame of hits, whatever its rule name and dtypes"),
    ("judge/rules.py", r"aggfunc=\"first\"\) => .*values=\"value\", \)",
     "one city row per period and indicator: the mean of one value is the value"),
    ("judge/rules.py", r"astype\(\"float64\"\) => .*(astype\(None\)|reindex\(columns=None\))",
     "the city's values are float64 already; other indicators' columns are joined but never read"),
    ("judge/rules.py", r"cond = (None|ibis\.literal\(None\))|fill_null\(None\)",
     "null OR x is x when x is true and null otherwise, and filter drops null rows as it drops false ones"),
]

# ---------------------------------------------------------------- pipelines/judge/findings.py, actions.py
JUDGED += [
    ("judge/", r"pd\.Series\(dtype=object\) for c in COLUMNS.* => .*pd\.Series\((dtype=None)?\) for c in COLUMNS",
     "an empty Series without a dtype is object in pandas ≥ 2: the same empty table"),
]

JUDGED += [
    ("judge/rules.py", r">= _arr\(long, \"lim_\w+\"\) \+ EPS", TOL),
    ("judge/rules.py", r"sort_values\(\[\"county\", \"indicator\", \"period\"\], kind=|"
     r"order\.groupby\(\[\"county\", \"indicator\"\], ",
     "(county, indicator, period) is unique per county row, so no sort is unstable; the previous values are "
     "put back by row label, whatever the order of the groups"),
    ("judge/rules.py", r"prev_v = pd\.Series\(|prev_p = pd\.Series\(|shift\(1\)\.to_numpy\(dtype=None\)",
     "the previous value / period start as NaN / NaT whatever the dtype; the findings table casts them to "
     "Float64 / datetime64 (findings.typed)"),
    ("judge/rules.py", r"drop = np\.nan_to_num\(s \* \(prev_v\.to_numpy\(\) - v\), (nan=-2\.0)?\)",
     "no previous value: a drop of 0 or -2 instead of -1, still not more than fell_back (> 0)"),
]

JUDGED += [
    ("judge/rules.py", r"mask = np\.asarray\(mask, (dtype=None)?\)|\"critical\": np\.asarray\(critical, (dtype=None)?\)",
     "every rule passes boolean arrays already"),
    ("judge/actions.py", r">= -EPS\s+#.* => .*(> -EPS|>= \+EPS)|< -EPS if city_meets.* => .*<= -EPS if|"
     r"> EPS => .*>= EPS", TOL),
    ("judge/actions.py", r"members_affected\"\]\.to_numpy\(dtype=float, na_value=np\.nan\)",
     "Int64 counts as float64 with NaN for a blank either way (nansum skips them)"),
    ("judge/actions.py", r"sort_values\(\[\"period\", \"k\", \"order\"\], ascending=\[False, True, True\], (kind=None)?\)",
     "pandas sorts on several columns with a stable lexsort whatever kind says (kind applies to one column only)"),
]

JUDGED += [
    ("judge/actions.py", r"weak\.groupby\(\[\"period\", \"action\"\], ",
     "the actions are sorted afterwards by period, kind and their best finding's rank (unique): group order is lost"),
    ("judge/actions.py", r"to_dict\(\"RECORDS\"\)", "pandas reads the orient case-insensitively"),
    ("judge/actions.py", r"isinstance\(f\[\"contributors\"\], \(list, np\.ndarray\)\)\) or True",
     "findings_table gives every finding a list of contributors ([] when none)"),
    ("judge/actions.py", r"\(group\[\"level\"\] == \"(XXcityXX|CITY)\"\)\.any\(\)",
     "a city finding among the weak links has the city's own status (watch/alert), so city_short holds already"),
    ("judge/actions.py", r"city_rows\.get\(\(period, lead\.id\), (None)?\)",
     "the lead indicator's city row is always in the long table: the default is never used"),
    ("judge/findings.py", r"f\[\"(sign|value|target|city_value)\"\]\.to_numpy\(",
     "the columns are float (or Float64) already: float64 with NaN for a blank either way"),
    ("judge/findings.py", r"members_affected\"\]\.to_numpy\(dtype=float, na_value=0\.0\) => "
     r".*to_numpy\((dtype=None, na_value=0\.0|dtype=float, na_value=None|na_value=0\.0)\)",
     "Int64 counts with na_value=0.0 are float64 (None under dtype=float is NaN, then nan_to_num gives 0)"),
    ("judge/findings.py", r"np\.errstate\(", "only silences numpy's warnings for 0/0; the values are the same"),
    ("judge/findings.py", r"np\.where\(sign >= 0", "sign is +1 or -1, never 0"),
    ("judge/findings.py", r"np\.where\(shortfall >= 0,|np\.minimum\(behind / shortfall, 2\.0\)",
     "with nothing short (0) the share is 0/0 → NaN → 0 as before; behind never exceeds the shortfall (the city "
     "is within 0–100 %), so the cap of 1 never binds"),
    ("judge/findings.py", r"np\.nan_to_num\(affected \* part, \)", "nan_to_num's default for NaN is 0.0"),
]

TIES = ("differs only on an exact tie (two actions or indicators with the same members or due date): then "
        "the order is indicators.yaml's or another valid one; no order is promised for ties")
JUDGED += [
    ("judge/actions.py", r"sort_values\(\[\"period\", \"k\", \"order\"\], ascending=\[False, True, True\], kind=",
     "pandas sorts on several columns with a stable lexsort whatever kind says (kind applies to one column only)"),
    ("judge/actions.py", r"out\.groupby\(\"period\", ", "cumcount within each period does not depend on the groups' order"),
    ("judge/actions.py", r"part\.groupby\(\[\"period\", \"action\"\], |"
     r"sort_values\(\"members_affected\", ascending=False, (kind=(None|\"STABLE\"|\"XXstableXX\"))?\)", TIES),
]

JUDGED += [
    ("judge/actions.py", r"out\[\"(XXperiodXX|PERIOD)\"\] = pd\.to_datetime",
     "the period is datetime64[ns] already (the long table's); the extra column is dropped by out[COLUMNS]"),
    ("judge/actions.py", r"pd\.to_numeric\(out\[col\]\.astype\(object\), errors=\"coerce\"\)\.astype\(\"Float64\"\)",
     "the counts are numbers (or NaN) already: any numeric route to Int64 gives the same values"),
    ("judge/findings.py", r"pd\.concat\(\[x for x in hits if x is not None and len\(x\)\], |"
     r"sort_values\(\[\"row\", \"_r\"\], kind=|reset_index\(drop=(None|False)\)",
     "the hits are re-sorted on (row, rule order), a stable lexsort whatever kind says, and their index "
     "(or an extra index column) is never read"),
    ("judge/findings.py", r"rule = h\[\"rule\"\]\.to_numpy\(dtype=None\)|h\[\"critical\"\]\.to_numpy\(dtype=None\)",
     "the rule names come out as objects and critical as bool either way"),
]

JUDGED += [
    ("ingest/totals.py", r"if small or isinstance\(town, str\):",
     "town is None for a 合计 row (the line above reads it for a 小计 only), so only a 小计 gets through either way"),
    ("ingest/values.py", r"np\.full\(len\(self\.uniques\) \+ 1, -1, (dtype=None)?\)",
     "numpy takes the dtype from the fill value -1: int64 all the same"),
    ("judge/findings.py", r"values = col\.to_numpy\(dtype=None\)",
     "the facts come out as the same numbers and instants (a datetime column as nanoseconds, which findings.typed "
     "reads back with to_datetime as the same periods)"),
    ("judge/findings.py", r"padded = np\.append\(values, |out\[c\] = np\.where\(first <",
     "the padding slot holds None however it is spelled, and first can only reach the next group's start when "
     "the group has no fact, where padded[len(h)] is that same None"),
]

# findings.py, judged after the run of 2026-11-30 (the rest of its survivors are killed by the tests of that day)
LEXSORT = "pandas sorts on several columns with a stable lexsort whatever kind says (kind applies to one column only)"
JUDGED += [
    ("judge/findings.py", r"f\[\"outstanding\"\]\.fillna\(0\) > 0\] => .*fillna\((None|1)\) > 0\]",
     "a blank outstanding count: NaN > 0 is false already; kept as 1 it sorts last (NaN), its running sum is NaN, "
     "so it never reaches the share and is never before a counted sub-unit"),
    ("judge/findings.py", r"return pd\.Series\(dtype=object\) => .*dtype=None",
     "an empty Series without a dtype is object in pandas ≥ 2, and findings_table only reindexes it"),
    ("judge/findings.py", r"f = f\.sort_values\(\[\*keys, \"outstanding\", child\], ascending=.* => .*"
     r"(kind=(None|\"XXstableXX\"|\"STABLE\")\)|, \)|ascending=\[False\] \* len\(keys\))",
     LEXSORT + "; the parent units' order (ascending or not) is not read: findings_table reindexes the result by "
     "(period, county, indicator)"),
    ("judge/findings.py", r"\.groupby\(keys, sort=False\)",
     "the order of the parent units is not read: findings_table reindexes the result by (period, county, indicator)"),
    ("judge/findings.py", r"f\[\"cum\"\] >= share \* f\[\"total\"\] - 1e-9 => .*f\[\"cum\"\] > share", TOL),
    ("judge/findings.py", r"pd\.to_numeric\(f\[c\]\)\.to_numpy\(dtype=float, na_value=np\.nan\) for c .* => ",
     "value, city value and target are float64 (or Float64): float64 with NaN for a blank either way"),
    ("judge/findings.py", r"np\.round\(sign \* \(s[ct] - sv\), 3\).* => .*np\.round\(sign \* \(s[ct] - sv\), 4\)",
     "the figures subtracted are printed with at most 3 decimals (numbers.decimals_apart, most=3): their "
     "difference rounded to 3 or to 4 decimals is the same number"),
    ("judge/findings.py", r"np\.where\(gap_(city|target) > 0, gap_(city|target), np\.nan\) => .*, None\)",
     "typed casts the gaps to Float64: None and NaN both become <NA>"),
    ("judge/findings.py", r"np\.datetime64\(\"NaT\"\)\) => .*(np\.datetime64\((None|\"nat\"|\"NAT\")\)|, None)\)$",
     "NaT spelled another way: numpy and pandas read None, 'nat' and 'NAT' as the same NaT in a datetime64 column"),
    ("judge/findings.py", r"if by_id\[i\]\.composite == \"due\" else \[\] => .*\(by_id\[i\]\.composite == \"due\"\) or True",
     "an indicator that is not a due composite has no parts: its covers list is [] either way"),
    ("judge/findings.py", r"f\[c\] = None => f\[c\] = \"\"$",
     "typed reads '' as NaT and <NA> just as it reads None"),
    ("judge/findings.py", r"np\.where\(f\[\"status\"\] == \"scheduled\", 1, 2\)\) => .*\"scheduled\", 1, (None|3)\)\)",
     "only the codes' order is read (weak links 0, scheduled 1, the rest after): None sorts last, 3 after 1 too"),
    ("judge/findings.py", r"\"(latest|tier|severity|level|excess|members|gap|county|township|branch|indicator)\": .* => .*"
     r"\"(XX\w+XX|[A-Z]+)\": ",
     "the sort keys' column names are never read: sort_values takes the columns in the order they are written"),
    ("judge/findings.py", r"\.astype\(\"datetime64\[ns\]\"\)\.astype\(np\.int64\).* => .*(astype\(None\)|"
     r"to_numpy\(\)\.astype\(None\))",
     "periods as float instead of int64 nanoseconds: periods are whole days apart, far beyond float's precision, "
     "so they sort the same"),
    ("judge/findings.py", r"\"tier\": tier\.astype\(int\), .* => .*tier\.astype\(None\)",
     "the tier as 0.0/1.0 instead of 0/1: the same order"),
    ("judge/findings.py", r"\"(members|gap)\": -f\[.*to_numpy\(dtype=float, na_value=0\.0\),? => .*"
     r"to_numpy\((dtype=None, na_value=0\.0|na_value=0\.0)\),$",
     "Int64 / Float64 with na_value=0.0 come out as float64 all the same"),
    ("judge/findings.py", r"\"gap\": -f\[\"gap_city\"\]\.fillna\(f\[\"gap_target\"\]\)"
     r"\.to_numpy\(dtype=float, na_value=0\.0\), => .*to_numpy\((dtype=float, na_value=(None|1\.0)|dtype=float, )\),$",
     "a finding with neither gap is at or above both the city and the target: met (fell_back alone), ranked after "
     "every weak link and scheduled finding; a missing gap read as 0, as 1 or last orders met findings only among "
     "themselves, which no document shows"),
    ("judge/findings.py", r"\"(county|township|branch)\": f\[\"\w+\"\]\.astype\(\"str\"\)\.fillna\(\"\"\).* => .*"
     r"(fillna\((None|\"XXXX\")\)|astype\(None\))",
     "level is an earlier key, and within one level every finding has a county (township, branch) or none: a "
     "blank is never compared with a name, so how it is spelled does not change the order"),
    ("judge/findings.py", r"keys\.sort_values\(list\(keys\.columns\), kind=\"stable\"\)\.index.* => ", LEXSORT),
    ("judge/findings.py", r"out\.groupby\(\"period\", sort=False\)\.cumcount\(\)",
     "cumcount within each period does not depend on the groups' order"),
    ("judge/findings.py", r"if \"rank\" not in out:|out\[\"rank\"\] = 0 => ",
     "rank() numbers every finding after typed; the 0 only gives the column a place for the casts (empty() has a "
     "rank column already)"),
    ("judge/findings.py", r"pd\.to_numeric\(out\[col\]\.astype\(object\), errors=\"coerce\"\)\.astype\(\"Float64\"\).* => "
     r".*(to_numeric\(out\[col\]\.astype\(object\), \)|astype\(None\)|astype\(\"float64\"\))",
     "the figures and counts reach typed as numbers or blanks (never text): any numeric route to Float64 / Int64 "
     "gives the same values"),
]

# ---------------------------------------------------------------- pipelines/judge/status.py
JUDGED += [
    ("judge/status.py", r"np\.datetime64\(\"NaT\"\).* => .*(np\.datetime64\((None|\"nat\"|\"NAT\")\)|, None[,)])|"
     r"= np\.datetime64\(\"NaT\"\) => .*= None$",
     "NaT spelled another way: numpy and pandas read None, 'nat' and 'NAT' as the same NaT in a datetime64 column"),
    ("judge/status.py", r"to_numpy\(dtype=\"datetime64\[ns\]\"\)\.copy\(\) => .*dtype=None",
     "to_datetime already gives datetime64[ns]: the dtype asked for is the one it has"),
    ("judge/status.py", r"to_numpy\(dtype=(float|bool)(, na_value=np\.nan)?\).* => .*to_numpy\((dtype=None|na_value=np\.nan\)|"
     r"dtype=float, \)|dtype=float, na_value=None)",
     "units.long_units builds value, target, warning and sign as float64 arrays (NaN for missing, never pd.NA) and "
     "is_due as bool, the only tables verdict is given: the conversion asked for is a no-op"),
    ("judge/status.py", r">= -EPS => .*> -EPS|< -EPS => .*<= -EPS", TOL),
]

# ---------------------------------------------------------------- pipelines/ingest/identity.py (normalize_name)
JUDGED += [
    ("ingest/identity.py", r"\(\"Cf\", \"Cc\", \"Zs\", \"Zl\", \"Zp\"\).* => .*\(\"Cf\", "
     r"(\"(XXCcXX|cc|CC)\", \"Zs\", \"Zl\", \"Zp\"|\"Cc\", \"(XXZsXX|zs|ZS)\", \"Zl\", \"Zp\"|"
     r"\"Cc\", \"Zs\", \"(XXZlXX|zl|ZL)\", \"Zp\"|\"Cc\", \"Zs\", \"Zl\", \"(XXZpXX|zp|ZP)\")\)",
     "every character of the categories Cc, Zs, Zl and Zp is removed by _INVISIBLE before this line (checked over "
     "all of Unicode after NFKC): only Cf characters reach it, so the other names in the tuple are never needed"),
    ("ingest/identity.py", r"if any\(unicodedata\.category\(ch\) in .* => if any\(unicodedata\.category\(ch\) not in ",
     "the any() only saves the join below: run for every name, the join removes the same characters"),
]
