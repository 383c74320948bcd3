"""The ``preo-nb`` command: sandbox, demo, and the messages it gives."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import requests

from preo_nb import cli, testing

ROOT = Path(__file__).resolve().parents[1]


def preo_nb_command(*args, cwd, timeout=240):
    env = {**os.environ, "PREO_NB_PROGRESS": "text"}
    env.pop(testing.CASSETTE_ENV, None)
    return subprocess.run([sys.executable, "-m", "preo_nb.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_demo_writes_an_executed_notebook_with_its_chart_and_html(tmp_path):
    done = preo_nb_command("demo", "--output", "out", "--scale", "tiny", "--notebooks", str(ROOT / "notebooks"),
                           "--check-contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    notebook = tmp_path / "out" / "orders_report.ipynb"
    assert str(notebook) in done.stdout and (tmp_path / "out" / "orders_report.html").is_file()
    outputs = [o for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert testing.find_secrets(notebook.read_text()) == []


def test_demo_names_the_failing_cell_and_exits_non_zero(tmp_path):
    broken = nbformat.read(ROOT / "notebooks" / "orders_report.ipynb", as_version=4)
    broken.cells.insert(3, nbformat.v4.new_code_cell('raise RuntimeError("the report broke here")'))
    (tmp_path / "nb").mkdir()
    nbformat.write(broken, tmp_path / "nb" / "orders_report.ipynb")
    done = preo_nb_command("demo", "--output", "out", "--scale", "tiny", "--notebooks", "nb", cwd=tmp_path)
    assert done.returncode == 1
    # the executed notebook holds papermill's injected-parameters cell, so the failing cell is number 4 there
    assert 'cell 4 (In [4]: raise RuntimeError("the report broke here"))' in done.stderr
    assert "failed: RuntimeError: the report broke here" in done.stderr
    assert (tmp_path / "out" / "orders_report.ipynb").is_file()


def test_sandbox_command_prints_url_and_a_token_per_role(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "preo_nb.cli", "sandbox", "--port", "0", "--scale", "tiny"],
                               stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        lines = [process.stdout.readline() for _ in range(5)]
        url = lines[0].split(" on ")[1].strip()
        tokens = dict(line.strip().split(" token: ") for line in lines[1:])
        assert set(tokens) == {"admin", "manager", "staff", "guest"}
        assert url.startswith("http://127.0.0.1:")
        me = requests.get(url + "/v1/auth/me", headers={"Authorization": f"Bearer {tokens['staff']}"}, timeout=10)
        assert me.status_code == 200 and me.json()["organizations"][0]["role"] == "staff"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_missing_extra_is_named_with_the_pip_command(monkeypatch, capsys):
    real = cli.importlib.util.find_spec
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: None if name == "papermill" else real(name))
    assert cli.main(["demo"]) == 1
    assert "pip install 'preo_nb[notebooks]'" in capsys.readouterr().err


def test_no_runbooks_found_is_explained(tmp_path, capsys):
    assert cli.main(["demo", "--notebooks", str(tmp_path)]) == 1
    assert "no orders_report.ipynb" in capsys.readouterr().err
