"""What the README claims and the code can check: the Python version, the commands, how to install.

The extras and their package counts are held in ``test_core_install.py``.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

import pytest

from preo_nb import cli
from preo_nb.probe import Finding, Report

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIG = configparser.ConfigParser()
CONFIG.read(ROOT / "setup.cfg")


def lowest_python() -> str:
    """The lowest Python version setup.cfg declares (``>=3.11`` -> ``3.11``)."""
    declared = CONFIG["options"]["python_requires"]
    assert re.fullmatch(r">=\d+\.\d+", declared), declared
    return declared.removeprefix(">=")


def test_one_python_version_is_declared_checked_and_documented() -> None:
    lowest = lowest_python()
    assert set(re.findall(r"Python (\d+\.\d+)\+", README)) == {lowest}  # "Python 3.11+"
    assert CONFIG["mypy"]["python_version"] == lowest  # types are checked for the lowest version
    ruff = tomllib.loads((ROOT / "ruff.toml").read_text())
    assert ruff["target-version"] == "py" + lowest.replace(".", "")
    assert f"Programming Language :: Python :: {lowest}" in CONFIG["metadata"]["classifiers"]


def code_lines(prefix: str) -> list[str]:
    """The lines of the README's code blocks that start with ``prefix`` (after any ``VAR=value``)."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", README, flags=re.DOTALL)
    lines = [re.sub(r"^(\w+=\S+ )+", "", line.strip()) for block in blocks for line in block.splitlines()]
    return [line.split("  #")[0].strip() for line in lines if line.startswith(prefix)]


def help_text(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit):
        cli.main([*args, "--help"])
    return capsys.readouterr().out


def test_every_preo_nb_command_the_readme_shows_exists_with_its_options(capsys) -> None:
    commands = code_lines("preo-nb ")
    assert len(commands) >= 10
    for line in commands:
        words = line.split()
        usage = help_text(capsys, words[1])
        unknown = [word for word in words[2:] if word.startswith("-") and word not in usage]
        assert unknown == [], line


def test_every_install_command_works_today() -> None:
    """No package index has preo_nb: a checkout (``-e .``) or a built wheel, never ``pip install preo_nb``."""
    installs = re.findall(r"pip install [^`#;]*", re.sub(r"\s+", " ", README))
    assert len(installs) >= 4
    working = r"pip install (-e '?\.|'(dist/)?preo_nb-\S+\.whl|jupyterlab)"
    assert [line for line in installs if not re.match(working, line)] == []
    sources = [path for path in (ROOT / "preo_nb").rglob("*.py") if "pip install 'preo_nb[" in path.read_text()]
    assert sources == []  # the messages name the extra through errors.install_command


def test_the_check_contract_summary_the_readme_quotes_is_the_one_it_prints() -> None:
    report = Report("http://127.0.0.1:8765", [Finding("auth.scheme", "PASS", "inferred", "ok")])
    printed = next(line for line in report.table().splitlines() if " pass, " in line)
    shape = re.sub(r"\d+", r"\\d+", re.escape(printed.split(" against ")[0]))
    quoted = re.findall(shape.replace(r"\ ", r"\s+"), README)
    assert quoted and all(re.search(r"\s0\s+fail", q) for q in quoted)
    assert "passes every check" not in README
