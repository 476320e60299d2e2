"""The command line: exit statuses, every parameter checked before anything runs, the lock, the light skip path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipelines import config
from pipelines.cli import main
from pipelines.nightly import ExitStatus, ParameterError
from pipelines.nightly.lock import nightly_lock

from nightly_standins import (
    CLEAN_BODY,
    CLEAN_PARAMS,
    NARROWED_MAIN,
    CellStarted,
    nightly_command,
    subprocess_env,
    write_notebook,
)

PY = sys.executable
HEAVY = ("pandas", "papermill", "nbformat", "nbclient", "pyarrow", "jupyter_client")
# The narrowed command line, reporting which heavy modules the process imported.
REPORTING_MAIN = NARROWED_MAIN.replace(
    "sys.exit(main(sys.argv[1:]))",
    "rc = main(sys.argv[1:])\n"
    f"print('HEAVY', ','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\nsys.exit(rc)",
)


def _no_run_made(tree) -> bool:
    runs = tree["reports"] / "runs"
    return not runs.exists() or not any(runs.iterdir())


def test_unknown_parameter_is_refused_before_anything_runs(tree, cli_argv, capsys):
    assert main([*cli_argv, "-p", "langauge=en"]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert "unknown parameter 'langauge'" in err and "language" in err
    assert not tree["reports"].exists()  # not even the lock was taken
    assert main([*cli_argv, "-p", "03_report.nosuch=1"]) == ExitStatus.USAGE
    assert "03_report.nosuch" in capsys.readouterr().err
    assert main([*cli_argv, "-p", "raw_dir=/elsewhere"]) == ExitStatus.USAGE
    assert "--raw" in capsys.readouterr().err
    assert main([*cli_argv, "-p", "03_report.modified_code=[]"]) == ExitStatus.USAGE
    assert "--allow-dirty" in capsys.readouterr().err
    assert main([*cli_argv, "-p", "noequals"]) == ExitStatus.USAGE


# Every bad value the issue met, and their kin: (the -p argument, what the one line must name).
BAD_VALUES = [
    ("language=fr", ["language='fr'", "en or zh"]),
    ("period=20050225", ["period=20050225", "not an ISO date"]),
    ("03_report.period=20050225", ["03_report.period=20050225", "not an ISO date"]),
    ("period=2005-02-30", ["period='2005-02-30'", "not a real date"]),
    ("period=2005-03-04", ["period='2005-03-04'", "no such period", "2005-02-25"]),
    ("thresholds_file=/nonexistent.yaml", ["thresholds_file='/nonexistent.yaml'", "no such file"]),
    ("overrides={weak_links.below_cty.share: 3}", ["weak_links.below_cty.share", "did you mean weak_links.below_city"]),
    ("overrides={indicators.avg_score.target: lots}", ["indicators.avg_score.target", "'lots'", "not a number"]),
    ("overrides={indicators.avg_score.target: 200}", ["indicators.avg_score.target", "200", "0 to 100"]),
    ("overrides={indicators.nosuch.target: 1}", ["indicators.nosuch.target", "indicators: report_rate"]),
    ("overrides=[1, 2]", ["overrides=[1, 2]", "not a mapping"]),
    ("pdf=maybe", ["pdf='maybe'", "not a boolean", "true or false"]),
    ("promote_incomplete=fasle", ["promote_incomplete='fasle'", "not a boolean"]),
    ("keep_runs=-1", ["keep_runs=-1", "whole number"]),
    ("kernel=no-such-kernel", ["kernel='no-such-kernel'", "no Jupyter kernel of that name"]),
]


@pytest.mark.parametrize(("param", "named"), BAD_VALUES, ids=[p for p, _ in BAD_VALUES])
def test_bad_value_is_one_line_and_exit_2_before_anything_runs(param, named, tree, cli_argv, capsys):
    assert main([*cli_argv, "-p", param]) == ExitStatus.USAGE
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) <= 300 and out == "", err
    assert lines[0].startswith("nightly: ") and "parameter " in lines[0]
    for text in named:
        assert text in lines[0], (text, lines[0])
    assert _no_run_made(tree)


def test_impossible_date_from_a_real_process_is_not_a_traceback(tree, cli_argv):
    """`-p period=2005-02-30` printed a 45-line traceback with exit 1."""
    done = subprocess.run(nightly_command([*cli_argv, "-p", "period=2005-02-30"]), env=subprocess_env(),
                          capture_output=True, text=True, timeout=60, cwd=config.PROJECT_ROOT)
    assert done.returncode == ExitStatus.USAGE
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "period='2005-02-30': not a real date (day is out of range for month)" in done.stderr


def test_values_given_as_text_are_used_as_values(tree):
    """Overrides as a JSON string, a period as a date: checked, then injected in their plain form."""
    from pipelines.nightly.checks import check_parameters
    from pipelines.nightly.params import load_params

    params = load_params(tree["params"], ['overrides={"indicators.avg_score.target": 98}',
                                          "03_report.period=2005-02-25"])
    checked, declared = check_parameters(params, tree["notebooks"], tree["raw"])
    assert checked.parameters["overrides"] == {"indicators.avg_score.target": 98}
    assert checked.for_notebook("02_metrics", declared["02_metrics"], {})["overrides"] == {
        "indicators.avg_score.target": 98}
    assert checked.per_notebook["03_report"]["period"] == "2005-02-25"
    json_text = load_params(tree["params"], {"overrides": '{"indicators.avg_score.target": 98}'})
    assert check_parameters(json_text, tree["notebooks"], tree["raw"])[0].parameters["overrides"] == {
        "indicators.avg_score.target": 98}


def test_processed_option_is_refused_with_the_reason(tree, cli_argv, capsys):
    assert main([*cli_argv, "--processed", str(tree["root"] / "processed")]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert "--processed is no longer taken" in err and "runs/<run>/tables" in err and err.count("\n") == 1


def test_missing_raw_folder_is_a_usage_error(tree, cli_argv, capsys):
    argv = list(cli_argv)
    argv[argv.index("--raw") + 1] = str(tree["root"] / "nowhere")
    assert main(argv) == ExitStatus.USAGE
    assert "does not exist" in capsys.readouterr().err
    (tree["root"] / "nowhere").mkdir()
    assert main(argv) == ExitStatus.USAGE
    assert "holds no files" in capsys.readouterr().err


def test_missing_notebook_is_a_usage_error(tree, cli_argv, capsys):
    (tree["notebooks"] / "02_metrics.ipynb").unlink()
    assert main(cli_argv) == ExitStatus.USAGE
    assert "02_metrics.ipynb does not exist" in capsys.readouterr().err
    assert not (tree["reports"] / "runs").exists()


def test_lock_held_gives_locked_status(tree, cli_argv, capsys):
    with nightly_lock(tree["reports"]):
        assert main(cli_argv) == ExitStatus.LOCKED
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "another run is in progress" in err and "pid" in err


def test_two_concurrent_runs(tree, cli_argv):
    """One process gets the lock and runs; the second exits at once with the LOCKED status."""
    started = CellStarted()
    try:
        write_notebook(tree["notebooks"] / "01_clean.ipynb", CLEAN_PARAMS, CLEAN_BODY,
                       started.cell(then="", hold=True))
        first = subprocess.Popen(nightly_command([*cli_argv, "--quiet"]), env=subprocess_env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=config.PROJECT_ROOT)
        started.wait(first)  # the first run is inside its step, holding the lock, until released
        second = subprocess.run(nightly_command(cli_argv), env=subprocess_env(), capture_output=True,
                                text=True, timeout=60, cwd=config.PROJECT_ROOT)
        started.release()
    finally:
        started.close()
    assert second.returncode == ExitStatus.LOCKED, second.stderr
    assert "another run is in progress" in second.stderr and f"pid {first.pid}" in second.stderr
    out, err = first.communicate(timeout=120)
    assert first.returncode == ExitStatus.OK, err
    assert out == "" and err == ""  # quiet (as under cron) on success
    runs = list((tree["reports"] / "runs").iterdir())
    assert len(runs) == 1 and (tree["reports"] / "latest").resolve() == runs[0]


def test_unchanged_run_is_skipped_without_heavy_imports(run, tree, cli_argv):
    """The skip path (checks, lock, sweep, fingerprint) imports none of the heavy modules;
    its time is measured by benchmarks/nightly.py, not asserted here."""
    assert run().status == "ok"
    done = subprocess.run([PY, "-c", REPORTING_MAIN, *cli_argv, "--progress"], env=subprocess_env(),
                          capture_output=True, text=True, timeout=60, cwd=config.PROJECT_ROOT)
    assert done.returncode == ExitStatus.OK, done.stderr
    assert "nothing changed" in done.stdout
    assert done.stdout.strip().splitlines()[-1].split() == ["HEAVY"], done.stdout


def test_failure_prints_one_line_naming_step_and_cell(tree, cli_argv):
    write_notebook(tree["notebooks"] / "01_clean.ipynb", CLEAN_PARAMS, CLEAN_BODY,
                   "raise RuntimeError('registry sheet missing')")
    done = subprocess.run(nightly_command(cli_argv), env=subprocess_env(), capture_output=True,
                          text=True, timeout=120, cwd=config.PROJECT_ROOT)
    assert done.returncode == ExitStatus.FAILED
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) <= 300, done.stderr
    assert lines[0].startswith("nightly: FAILED at step 01_clean, cell 3 (In [")
    assert "RuntimeError: registry sheet missing" in lines[0] and "01_clean.ipynb" in lines[0]
    run_dir = next((tree["reports"] / "runs").iterdir())
    assert json.loads((run_dir / "run.json").read_text())["error"]["line"] == lines[0]
    assert not (tree["reports"] / "latest").exists()


@pytest.mark.parametrize("kind", ["cron", "service", "timer"])
def test_print_deploy_fills_in_this_checkout(kind, capsys):
    assert main(["nightly", "--print-deploy", kind]) == 0
    text = capsys.readouterr().out
    assert "/opt/returns-workbench" not in text and "--processed" not in text
    if kind != "timer":
        assert f"{config.PROJECT_ROOT}/.venv/bin/python -m pipelines nightly" in text


def test_parameter_error_is_structured():
    from pipelines.nightly.params import check_against_notebooks, load_params

    params = load_params(None, ["language=en", "03_report.period=2005-02-25", "keep_runs=3"])
    assert params.settings["keep_runs"] == 3 and params.parameters["language"] == "en"
    assert params.per_notebook == {"03_report": {"period": "2005-02-25"}}
    assert params.configured["keep_runs"] == 30  # nightly.yaml's, before -p
    declared = {"01_clean": ["raw_dir", "processed_dir"],
                "02_metrics": ["processed_dir", "thresholds_file", "engine", "memory_limit", "spark_master"],
                "03_report": ["processed_dir", "period", "language"]}
    check_against_notebooks(params, declared)
    with pytest.raises(ParameterError) as info:
        check_against_notebooks(load_params(None, ["colour=red"]), declared)
    assert info.value.status == ExitStatus.USAGE


def test_nightly_yaml_is_allowed_by_the_real_notebooks(tmp_path):
    """nightly.yaml's parameters are declared by the real notebooks and allowed; every parameter a
    real notebook declares has a check (a row in pipelines/params/rules.py) and its validation cell."""
    from pipelines import params as parameters
    from pipelines.nightly.checks import check_parameters
    from pipelines.nightly.params import load_params

    (tmp_path / "2005-02-25").mkdir()
    _, declared = check_parameters(load_params(), config.NOTEBOOKS_DIR, tmp_path)
    assert "modified_code" in declared["03_report"]
    for step, names in declared.items():
        assert set(names) <= set(parameters.NOTEBOOK_PARAMETERS), (step, names)
        nb = json.loads((config.NOTEBOOKS_DIR / f"{step}.ipynb").read_text(encoding="utf-8"))
        code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
        assert "parameters" in nb["cells"][[c["cell_type"] for c in nb["cells"]].index("code")]["metadata"]["tags"]
        assert f'check_notebook(\n    "{step}"' in code[1] or f'check_notebook("{step}"' in code[1], code[1]
        for name in names:
            assert f"{name}={name}" in code[1], (step, name)


@pytest.mark.parametrize("notebook", sorted(p.name for p in config.NOTEBOOKS_DIR.glob("*.ipynb")))
def test_papermill_reads_every_parameter_the_cell_assigns(notebook):
    """papermill parses the parameters cell line by line; a comment it cannot read (quotes and a colon
    after the value) hid 02_metrics' spark_master, and `-p spark_master …` warned 'unknown parameter'."""
    import ast

    import papermill

    nb = json.loads((config.NOTEBOOKS_DIR / notebook).read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    assigned = [t.id for node in ast.parse("".join(cell["source"])).body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)]
    assert assigned
    assert list(papermill.inspect_notebook(str(config.NOTEBOOKS_DIR / notebook))) == assigned
