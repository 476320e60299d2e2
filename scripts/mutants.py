"""Summarise a mutmut run (``make mutate``): the score per module and every mutant not killed.

Reads what mutmut leaves in mutants/ (the ``*.meta`` results and the ``*.spans`` line spans of
each mutant's copy of its function), finds the line each surviving mutant changes in the source
and prints, as Markdown for docs/testing.md:

- per module: mutants, killed, survived, not covered by the selected tests, timeouts, score
  (killed / mutants, a timeout counted as killed, as mutmut does);
- per mutant not killed: its name, source line, the line as written and as mutated, and why it is
  left alive: the first entry of scripts/mutants_judged.py whose module and pattern match it
  (equivalent, or not visible to a user, with the reason), else "not judged".

``--write docs/mutants.md`` writes the same as a page (the appendix of docs/testing.md).

Usage: python scripts/mutants.py [--root .] [--all] [--write PATH] [NAME-PATTERN …]
(--all lists killed mutants too; name patterns as given to mutmut run keep the mutants it ran)
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import fnmatch
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutants_judged import JUDGED  # noqa: E402  (a sibling data module, found through the path set above)

KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
          37: "type check"}
STATUS = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not checked", **KILLED}


def status(code: int | None) -> str:
    return STATUS.get(code, "suspicious")


def function_lines(source: str) -> dict[str, int]:
    """Mangled mutmut function name (x_f, xǁClassǁmethod) → first line of the def in the source."""
    out: dict[str, int] = {}
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[f"x_{node.name}"] = node.lineno
        elif isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out[f"xǁ{node.name}ǁ{sub.name}"] = sub.lineno
    return out


def first_difference(a: list[str], b: list[str]) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x != y:
            return i
    return min(len(a), len(b))


def changes(root: Path, source: Path, meta: dict, spans: dict[str, list[int]]) -> dict[str, tuple[int, str, str]]:
    """mutant key → (source line, original text, mutated text)."""
    mutated = (root / "mutants" / source).read_text(encoding="utf-8").splitlines()
    original = (root / source).read_text(encoding="utf-8")
    defs = function_lines(original)
    src_lines = original.splitlines()
    out = {}
    for key in meta["exit_code_by_key"]:
        local = key.rsplit(".", 1)[1]
        func = local.split("__mutmut_")[0]
        if local not in spans or f"{func}__mutmut_orig" not in spans or func not in defs:
            continue
        a0, a1 = spans[f"{func}__mutmut_orig"]
        b0, b1 = spans[local]
        # the copies differ in their own name on the def line: compare them without it
        orig = [t.replace(f"{func}__mutmut_orig", func) for t in mutated[a0 - 1:a1]]
        mut = [t.replace(local, func) for t in mutated[b0 - 1:b1]]
        i = first_difference(orig, mut)
        # a copy's span may start on blank lines above its def: count from the def line
        start = next((k for k, t in enumerate(orig) if t.lstrip().startswith(("def ", "async def "))), 0)
        line = defs[func] + i - start
        was = src_lines[line - 1].strip() if 0 < line <= len(src_lines) else ""
        now = mut[i].strip() if i < len(mut) else "(line removed)"
        out[key] = (line, was, now)
    return out


def judged(source: str, was: str, now: str) -> str | None:
    """Why a surviving mutant is left alive (scripts/mutants_judged.py), or None when nobody said."""
    for module, pattern, why in JUDGED:
        if module in source and re.search(pattern, f"{was} => {now}"):
            return why
    return None


def cell(text: str) -> str:
    """A Markdown table cell of code: pipes escaped, backquotes made quotes, long lines cut."""
    return "`" + text.replace("|", "\\|").replace("`", "'")[:110] + "`"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path("."))
    ap.add_argument("--all", action="store_true", help="list killed mutants too")
    ap.add_argument("--write", type=Path, help="also write the summary and the list to this Markdown page")
    ap.add_argument("select", nargs="*", help="the mutant names make mutate ran (fnmatch patterns); others are left out")
    args = ap.parse_args(argv)
    metas = sorted((args.root / "mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results under mutants/: run `make mutate` first", file=sys.stderr)
        return 1
    rows, listed = [], []
    total = Counter()
    for meta_path in metas:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        codes = {k: v for k, v in meta["exit_code_by_key"].items()
                 if not args.select or any(fnmatch.fnmatchcase(k, p) for p in args.select)}
        if not codes:
            continue
        source = meta_path.relative_to(args.root / "mutants").with_suffix("")  # strip .meta
        spans_path = meta_path.with_name(meta_path.name.replace(".meta", ".spans"))
        spans = json.loads(spans_path.read_text(encoding="utf-8"))["spans"] if spans_path.exists() else {}
        counts = Counter(status(c) for c in codes.values())
        counts["killed"] += counts.pop("timeout", 0) + counts.pop("type check", 0)
        checked = sum(counts.values()) - counts["not checked"] - counts["skipped"]
        total.update(counts)
        score = counts["killed"] / checked if checked else 0.0
        rows.append((str(source), len(codes), counts["killed"], counts["survived"], counts["no tests"],
                     counts["not checked"], score))
        where = changes(args.root, source, meta, spans)
        for key, code in sorted(codes.items(), key=lambda kv: where.get(kv[0], (0,))[0]):
            st = status(code)
            if st in ("killed", "timeout", "type check", "not checked") and not args.all:
                continue
            line, was, now = where.get(key, (0, "", ""))
            listed.append((str(source), line, key.rsplit(".", 1)[1], st, was, now))
    out = ["| module | mutants | killed | survived | no tests | not run | score |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for source, n, killed, survived, none, not_run, score in rows:
        shown = f"{score:.1%}" if n - not_run else "—"
        out.append(f"| `{source}` | {n} | {killed} | {survived} | {none} | {not_run} | {shown} |")
    checked = sum(total.values()) - total["not checked"] - total["skipped"]
    out.append(f"| **all** | {sum(r[1] for r in rows)} | {total['killed']} | {total['survived']} | {total['no tests']} | "
               f"{total['not checked']} | {total['killed'] / checked if checked else 0:.1%} |")
    unjudged = 0
    whys = [(judged(source, was, now) if st != "killed" else "") for source, _, _, st, was, now in listed]
    groups: dict[str, list[str]] = {}
    for (source, line, *_), why in zip(listed, whys, strict=True):
        if why:
            groups.setdefault(why, []).append(f"{Path(source).parent.name}/{Path(source).name}:{line}")
    if groups:
        out += ["", "| survivors | where | why they are left |", "| ---: | --- | --- |"]
        for why, where in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            places = ", ".join(dict.fromkeys(where))
            out.append(f"| {len(where)} | {places} | {why} |")
    if listed:
        out += ["", "| module:line | mutant | status | as written | as mutated | why it is left |",
                "| --- | --- | --- | --- | --- | --- |"]
        for (source, line, name, st, was, now), why in zip(listed, whys, strict=True):
            if why is None:
                unjudged += 1
                why = "**not judged**"
            out.append(f"| `{source}:{line}` | {name} | {st} | {cell(was)} | {cell(now)} | {why} |")
    print("\n".join(out))
    if unjudged:
        print(f"\n{unjudged} surviving mutant(s) not judged: kill them with a test or say why in "
              "scripts/mutants_judged.py", file=sys.stderr)
    if args.write:
        head = [
            "# Surviving mutants (appendix of docs/testing.md)", "",
            f"Written by `python scripts/mutants.py --write {args.write}` (the last step of `make mutate`) on",
            f"{dt.date.today().isoformat()}. Every mutant mutmut made in the functions `make mutate` selects that no",
            "test killed, with the line as written and as mutated and why it is left alive (scripts/mutants_judged.py).",
            "Scores are killed ÷ run, a timeout counted as killed, as mutmut does; \"not run\" are mutants the run did",
            "not reach. docs/testing.md says how the run went and groups the reasons.",
            "", "",
        ]
        args.write.write_text("\n".join(head) + "\n".join(out) + "\n", encoding="utf-8")
    return 1 if unjudged else 0  # make mutate fails while a survivor is left without a reason


if __name__ == "__main__":
    sys.exit(main())
