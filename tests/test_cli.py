"""The ``preo-nb`` command: sandbox, demo, and the messages it gives."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import requests
from report_figures import RECOMPUTE, assert_figures_add_up

from preo_nb import bulk_command, cli, errors, testing

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def in_process(monkeypatch, capsys):
    """``run(*args, cwd=..., sandbox=..., token=...)``: ``preo-nb`` in this process (``cli.main``), connected
    to ``sandbox`` by environment as a user's shell would; returns (exit code, stdout, stderr). Each command
    keeps a real-process path elsewhere: ``demo``, ``run`` and ``sandbox`` here, ``bulk-refund`` in
    tests/acceptance/test_soak.py, ``check-contract`` in tests/acceptance/test_check_contract.py."""

    def run(*args, cwd, sandbox=None, token=None, progress="off"):
        monkeypatch.chdir(cwd)
        monkeypatch.setenv("PREO_NB_PROGRESS", progress)
        monkeypatch.delenv(testing.CASSETTE_ENV, raising=False)
        if sandbox is not None:
            monkeypatch.setenv("PREO_BASE_URL", sandbox.url)
            monkeypatch.setenv("PREO_API_TOKEN", token or sandbox.token)
        capsys.readouterr()
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def preo_nb_command(*args, cwd, timeout=240, sandbox=None):
    """Run ``preo-nb``; with ``sandbox``, connected to it as a real API (by environment)."""
    env = {**os.environ, "PREO_NB_PROGRESS": "text"}  # a user's setting: the kernels must still not show progress
    env.pop(testing.CASSETTE_ENV, None)
    if sandbox is not None:
        env.update(PREO_BASE_URL=sandbox.url, PREO_API_TOKEN=sandbox.token)
    return subprocess.run(
        [sys.executable, "-m", "preo_nb.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


RUNBOOKS = [
    "campaign_report",
    "cancelled_event_refunds",
    "import_external_orders",
    "orders_report",
    "refund_queue_daily",
    "webhook_health",
]


def outputs_of(notebook):
    return [o for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code" for o in c.outputs]


def shown_text(notebook):
    """Everything a reader sees as text: printed lines and Markdown displays."""
    return "".join(o.get("text", "") + o.get("data", {}).get("text/markdown", "") for o in outputs_of(notebook))


STDERR_BOX = 'data-mime-type="application/vnd.jupyter.stderr"'


def test_demo_runs_every_runbook_and_writes_an_index(tmp_path):
    done = preo_nb_command("demo", "--output", "out", "--scale", "tiny", "--check-contract", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Done: 6 of 6 runbooks ran cleanly." in done.stdout
    assert "[IPKernelApp]" not in done.stderr and "without encryption" not in done.stderr  # a quiet console
    out = tmp_path / "out"
    index = (out / "index.html").read_text()
    assert "report to forward (no code)" in index and "notebook with code" in index
    for name in RUNBOOKS:
        notebook, page = out / f"{name}.ipynb", (out / f"{name}.html").read_text(encoding="utf-8")
        assert f"href='{name}.html'" in index and f"href='{name}.ipynb'" in index
        assert not [o for o in outputs_of(notebook) if o.output_type == "error"], name
        assert testing.find_secrets(notebook.read_text()) == []
        body = page[page.index("<body") :]
        assert "preo_nb.connect()" not in body and "# Parameters" not in body, name  # forwardable: no code
        assert "PREO_API_TOKEN" not in body and "PREO_NB_CASSETTE" not in body, name  # no how-to-run for readers
        assert "row_heading" not in body, name  # no pandas index column
        if name in RECOMPUTE:
            assert_figures_add_up(notebook, name)  # the live reports add up too
    assert any("image/png" in o.get("data", {}) for o in outputs_of(out / "orders_report.ipynb"))
    assert "sales since 25 August 2026, 02:00 (Europe/Copenhagen)" in shown_text(out / "orders_report.ipynb")
    candidates = out / "exports" / "cancelled-event-refunds-candidates"
    assert candidates.with_suffix(".csv").is_file() and candidates.with_suffix(".xlsx").is_file()
    refunds_page = (out / "cancelled_event_refunds.html").read_text(encoding="utf-8")
    assert 'href="exports/cancelled-event-refunds-candidates.csv"' in refunds_page  # linked from the report
    assert 'href="exports/cancelled-event-refunds-candidates.xlsx"' in refunds_page


def test_demo_names_the_failing_cell_and_exits_non_zero(tmp_path, in_process):
    broken = nbformat.read(ROOT / "preo_nb" / "notebooks" / "orders_report.ipynb", as_version=4)
    broken.cells.insert(
        4, nbformat.v4.new_code_cell('from pathlib import Path\n\nraise RuntimeError("the report broke here")')
    )
    (tmp_path / "nb").mkdir()
    nbformat.write(broken, tmp_path / "nb" / "orders_report.ipynb")
    done = in_process("demo", "--output", "out", "--scale", "tiny", "--notebooks", "nb", cwd=tmp_path)
    assert done.returncode == 1
    # the executed notebook holds papermill's injected-parameters cell, so the failing cell is number 5 there
    assert 'cell 5 (In [4], line 3: raise RuntimeError("the report broke here"))' in done.stderr  # the failing line
    assert "failed: RuntimeError: the report broke here" in done.stderr
    assert (tmp_path / "out" / "orders_report.failed.ipynb").is_file()
    assert not (tmp_path / "out" / "orders_report.html").exists()  # no report that looks finished
    index = (tmp_path / "out" / "index.html").read_text()
    assert "href='orders_report.failed.html'>failure page (with code)" in index
    assert f"There is no earlier good report at {tmp_path / 'out' / 'orders_report.html'}." in done.stderr


def test_run_takes_parameters_and_a_sandbox(tmp_path):
    parameters = ["-p", "max_amount", "2.5", "-p", "approve_reasons", '["overcharge"]']
    done = preo_nb_command(
        "run",
        "refund_queue_daily",
        "--sandbox",
        "--scale",
        "tiny",
        *parameters,
        "--output",
        "daily.ipynb",
        "--html",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    notebook = nbformat.read(tmp_path / "daily.ipynb", as_version=4)
    given = dict(notebook.metadata.papermill.parameters)
    assert given.pop("edition_id").startswith("edt_")  # the rehearsal's sandbox fills in the required id
    assert given == {"max_amount": 2.5, "approve_reasons": ["overcharge"]}
    assert "amount up to EUR 2.50" in shown_text(tmp_path / "daily.ipynb")
    assert (tmp_path / "daily.html").is_file()


def test_run_refuses_an_unknown_parameter_before_starting(tmp_path, in_process):
    done = in_process("run", "orders_report", "-p", "edition", "x", cwd=tmp_path)
    assert done.returncode == 1 and "orders_report has no parameter edition" in done.stderr
    assert not (tmp_path / "runs").exists()


def test_run_without_a_token_says_where_to_put_it(tmp_path, in_process, monkeypatch):
    monkeypatch.delenv("PREO_API_TOKEN", raising=False)
    done = in_process("run", "orders_report", "-p", "edition_id", "edt_x", cwd=tmp_path)
    assert done.returncode == 1 and "PREO_API_TOKEN" in done.stderr and ".env" in done.stderr
    assert "token=" not in done.stderr  # the command line has no such option


def test_run_against_a_real_api_requires_the_edition(tmp_path, sandbox, in_process):
    done = in_process("run", "orders_report", "--no-input", cwd=tmp_path, sandbox=sandbox)  # as if the real API
    assert done.returncode == 1
    assert "preo-nb: edition_id: is required: pass -p edition_id" in done.stderr
    assert list(tmp_path.iterdir()) == []  # no kernel ran


def test_warnings_are_shown_in_the_commands_own_terms(monkeypatch, capsys):
    from preo_nb.commands import run as run_command
    from preo_nb.config import load_settings

    def warns(args):  # the two ConfigurationWarnings a command can meet, from where they are raised
        load_settings(base_url="http://127.0.0.1:9/v1", token="x" * 32, env_file=False)
        load_settings(base_url="http://127.0.0.1:9", env_file=False)  # the token from the environment
        return 0

    monkeypatch.setattr(run_command, "run", warns)
    monkeypatch.setenv("PREO_API_TOKEN", "x" * 32)
    assert cli.main(["run", "orders_report"]) == 0
    first, second = capsys.readouterr().err.splitlines()
    assert first.startswith("preo-nb: warning: base_url 'http://127.0.0.1:9/v1' ends in /v1")
    assert second.startswith("preo-nb: warning: the base URL http://127.0.0.1:9 comes from --base-url, but the API")
    assert ".py:" not in first + second and "Warning:" not in first + second


@pytest.mark.parametrize("value", ["", "0", "null", "None", '"false"'])
def test_run_refuses_a_dry_run_that_is_not_a_boolean_before_any_kernel_starts(
    tmp_path, sandbox, live, value, in_process
):
    edition = sandbox.store.edition(org=2)["id"]  # hundreds of refundable tickets
    before = live.refunds.list(edition_id=edition)
    done = in_process(
        "run",
        "cancelled_event_refunds",
        "-p",
        "edition_id",
        edition,
        "-p",
        "dry_run",
        value,
        cwd=tmp_path,
        sandbox=sandbox,
    )
    assert done.returncode == 1
    assert "preo-nb: dry_run: must be True or False" in done.stderr
    assert list(tmp_path.iterdir()) == []  # no kernel ran, nothing was written
    pd.testing.assert_frame_equal(live.refunds.list(edition_id=edition), before)


def test_a_rehearsal_writes_under_its_own_folder_and_says_so(tmp_path, in_process):
    done = in_process(
        "run", "cancelled_event_refunds", "--sandbox", "--scale", "tiny", "-p", "dry_run", "false", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    rehearsal = tmp_path / "preo-rehearsal"
    journal = rehearsal / "exports" / "cancelled-event-refunds.sqlite"
    assert f"everything it writes goes under {rehearsal}" in done.stdout
    assert f"journal: {journal}" in done.stdout and journal.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preo-rehearsal"]  # nowhere a real run writes
    refused = in_process(
        "run",
        "cancelled_event_refunds",
        "--sandbox",
        "-p",
        "dry_run",
        "false",
        "-p",
        "journal",
        str(tmp_path / "exports" / "real.sqlite"),
        cwd=tmp_path,
    )
    assert refused.returncode == 1 and "journal: a rehearsal writes only under" in refused.stderr


def test_a_report_without_code_shows_formatted_money_and_its_summary_first(tmp_path, sandbox, live, in_process):
    edition = sandbox.store.busiest_edition()["id"]
    since = sandbox.store.recent_since(edition)
    done = in_process(
        "run",
        "orders_report",
        "-p",
        "edition_id",
        edition,
        "-p",
        "since",
        since,
        "-p",
        "output_dir",
        "reports",
        "--no-input",
        cwd=tmp_path,
        sandbox=sandbox,
    )
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "runs" / "orders_report.html").read_text(encoding="utf-8")
    body = page[page.index("<body") :]
    assert "preo_nb.connect()" not in body and "highlight" not in body  # no code
    assert "NBVAL" not in body.upper().replace("CELLTAG_NBVAL", "")  # no test markers (tags stay in class names)
    assert STDERR_BOX not in body
    orders = live.orders.list(edition_id=edition, created_after=since)
    revenue = orders.loc[orders["status"].isin(["completed", "confirmed"]), "amount"].sum()
    assert revenue > 1000 and f"EUR {revenue:,.2f}" in body  # currency and thousands separator
    assert body.index(f"EUR {revenue:,.2f}") < body.index("<table")  # the summary comes before any table
    assert (tmp_path / "reports" / edition / "orders.csv").is_file()  # relative to the current folder
    assert f"output_dir: {tmp_path / 'reports'}" in done.stdout

    failed = in_process(
        "run", "orders_report", "-p", "edition_id", "edt_nonexistent1", "--no-input", cwd=tmp_path, sandbox=sandbox
    )
    assert failed.returncode == 1
    assert (tmp_path / "runs" / "orders_report.html").read_text(encoding="utf-8") == page  # the good report stays
    assert (tmp_path / "runs" / "orders_report.failed.html").is_file()
    assert f"The failed run is {tmp_path / 'runs' / 'orders_report.failed.html'}." in failed.stderr
    assert f"The last good report, {tmp_path / 'runs' / 'orders_report.html'}, is untouched." in failed.stderr
    assert "line 9: edition = preo.editions.retrieve(edition_id)) failed: NotFound" in failed.stderr


def test_run_reads_relative_paths_from_the_current_folder_and_shows_no_progress(tmp_path, sandbox, live, in_process):
    edition = sandbox.store.busiest_edition()["id"]
    pd.DataFrame(
        {
            "Ref": ["BO-1", "BO-2"],
            "Mail": ["a@box.example", "b@box.example"],
            "Item": ["Day ticket", "Burger"],
            "Count": [2, 1],
        }
    ).to_csv(tmp_path / "box-office.csv", index=False)
    overrides = {"Ref": "order_id", "Mail": "customer_email", "Item": "product_code", "Count": "quantity"}
    done = in_process(
        "run",
        "import_external_orders",
        "-p",
        "csv_path",
        "box-office.csv",
        "-p",
        "edition_id",
        edition,
        "-p",
        "mapping_overrides",
        json.dumps(overrides),
        "--no-input",
        cwd=tmp_path,
        sandbox=sandbox,
        progress="text",  # a user's setting: the kernel must still not show progress
    )
    assert done.returncode == 0, done.stderr
    assert sorted(live.orders.list(edition_id=edition, type="imported")["order_number"]) == ["BO-1", "BO-2"]
    assert not [o for o in outputs_of(tmp_path / "runs" / "import_external_orders.ipynb") if o.get("name") == "stderr"]
    assert STDERR_BOX not in (tmp_path / "runs" / "import_external_orders.html").read_text(encoding="utf-8")


def test_runbooks_lists_six_with_their_parameters(tmp_path, in_process):
    done = in_process("runbooks", cwd=tmp_path)  # the runbooks shipped in the package
    assert done.returncode == 0, done.stderr
    for name in RUNBOOKS:
        assert f"\n{name}: " in "\n" + done.stdout
    assert "-p dry_run True" in done.stdout and '-p since "2026-08-30"' in done.stdout
    assert "-p edition_id ID (required: the edition (edt_...))" in done.stdout
    assert "edt_6030d0a35dde" not in done.stdout  # a sandbox's id is no default against the real API


def test_the_command_line_loads_no_command_until_it_runs():
    probe = (
        "import sys; from preo_nb import cli; cli._parser(); "
        "print(sorted(m for m in ('papermill', 'nbconvert', 'flask', 'jupyter_client') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr  # `preo-nb --help` stays fast


def test_parameter_values_are_typed():
    assert [cli.parse_value(v) for v in ("2.5", "3", "true", "False", "None", '["a"]', "2026-08-27", "text")] == [
        2.5,
        3,
        True,
        False,
        None,
        ["a"],
        "2026-08-27",
        "text",
    ]


def test_sandbox_command_prints_url_and_a_token_per_role(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "preo_nb.cli", "sandbox", "--port", "0", "--scale", "tiny"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
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
    said = capsys.readouterr().err
    assert "needs the notebooks extra (papermill is not installed)" in said
    assert "pip install -e '.[notebooks]'" in said and "-py3-none-any.whl[notebooks]'" in said


def test_no_runbooks_found_is_explained(tmp_path, capsys):
    assert cli.main(["demo", "--notebooks", str(tmp_path)]) == 1
    assert "no runbooks in" in capsys.readouterr().err


# bulk-refund


def bulk_refund(run, sandbox, tmp_path, *args, token=None):
    """``preo-nb bulk-refund`` in this process (``in_process``), connected to ``sandbox``."""
    return run(
        "bulk-refund",
        "--reason",
        "event_cancelled",
        "--journal",
        "j.sqlite",
        *args,
        cwd=tmp_path,
        sandbox=sandbox,
        token=token,
    )


def refund_requests_of(sandbox, ids):
    return [r for r in sandbox.store.refunds() if r["purchase"]["api_id"] in ids]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ('api_id,product.name,price\npur_1,"Burger, large",5.50\npur_2,Day ticket,40\n', ["pur_1", "pur_2"]),
        ("\ufeffname,Purchase_ID\nA,pur_1\nB, pur_2 \nC,\n", ["pur_1", "pur_2"]),
        ("id,price\npur_1,5\n", ["pur_1"]),
        ("pur_1\n\n pur_2\npur_3\n", ["pur_1", "pur_2", "pur_3"]),
    ],
)
def test_bulk_refund_reads_the_id_column_or_a_plain_list(tmp_path, text, ids):
    (tmp_path / "ids.csv").write_text(text, encoding="utf-8")
    assert bulk_command.read_ids(tmp_path / "ids.csv") == ids


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("product.name,price\nBurger,5\n", "no purchase id column; the columns found are product.name, price"),
        ("Purchase ID\npur_1\n", "the columns found are Purchase ID"),
        ("id,purchase.api_id\nrfr_1,pur_1\n", "more than one column could hold the purchase ids (id, purchase.api_id)"),
        ("api_id\n\n", "holds no purchase ids"),
        ("", "holds no purchase ids"),
    ],
)
def test_bulk_refund_refuses_a_file_without_a_clear_id_column(tmp_path, text, says):
    (tmp_path / "ids.csv").write_text(text, encoding="utf-8")
    with pytest.raises(errors.UsageError) as info:
        bulk_command.read_ids(tmp_path / "ids.csv")
    assert says in str(info.value)


def test_bulk_refund_takes_what_orders_purchases_gives(sandbox, tmp_path, in_process):
    sandbox.reset()
    edition = sandbox.store.edition(org=2)["id"]
    purchases = pd.DataFrame(sandbox.store.purchases(edition_id=edition, status="paid", refundable=True)[:5])
    purchases["product.name"] = purchases["product"].str.get("name")
    purchases[["api_id", "product.name", "price"]].to_csv(tmp_path / "p.csv", index=False)
    done = bulk_refund(in_process, sandbox, tmp_path, "--purchases", "p.csv")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "done: 5" in done.stdout and len(done.stdout.splitlines()) == 2
    assert sorted(
        r["purchase"]["api_id"]
        for r in refund_requests_of(sandbox, set(purchases["api_id"]))
        if r["reason"] == "event_cancelled"
    ) == sorted(purchases["api_id"])


def test_bulk_refund_says_what_is_left_and_exits_non_zero_until_done(sandbox, tmp_path, in_process):
    sandbox.reset()
    ids = [p["api_id"] for p in sandbox.store.purchases(status="paid", refundable=True)[:6]]
    (tmp_path / "ids.txt").write_text("\n".join(ids))
    wrong = bulk_refund(in_process, sandbox, tmp_path, "--purchases", "ids.txt", token="sbx_" + "0" * 32)
    assert wrong.returncode == 1 and "401" in wrong.stderr and refund_requests_of(sandbox, ids) == []

    sandbox.faults.fail_next("GET", "/v1/refunds", 401, times=2)
    first = bulk_refund(in_process, sandbox, tmp_path, "--purchases", "ids.txt")
    assert first.returncode == 2, first.stdout + first.stderr
    assert "done: 4\npending (401 token rejected; fix the token and run again): 2\nNot finished: 2 of 6" in first.stdout

    again = bulk_refund(in_process, sandbox, tmp_path, "--purchases", "ids.txt")
    assert again.returncode == 0 and again.stdout.endswith("done: 6\n"), again.stdout + again.stderr
    assert sorted(r["purchase"]["api_id"] for r in refund_requests_of(sandbox, ids)) == sorted(ids)


def test_bulk_refund_exits_3_when_preo_refused_some(sandbox, tmp_path, in_process):
    sandbox.reset()
    ids = [p["api_id"] for p in sandbox.store.purchases(status="refunded")[:2]]
    (tmp_path / "ids.txt").write_text("\n".join(ids))
    done = bulk_refund(in_process, sandbox, tmp_path, "--purchases", "ids.txt")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "failed (409 nothing_to_refund; Preo refused these refunds" in done.stdout
    assert "Not refunded: 2 of 2 purchases" in done.stdout


def test_bulk_refund_workers_beyond_the_default_connections_get_them_and_nonsense_is_refused(
    sandbox, tmp_path, in_process, capsys
):
    sandbox.reset()
    ids = [p["api_id"] for p in sandbox.store.purchases(status="paid", refundable=True)[:3]]
    (tmp_path / "ids.txt").write_text("\n".join(ids))
    done = bulk_refund(in_process, sandbox, tmp_path, "--purchases", "ids.txt", "--workers", "24")
    assert done.returncode == 0, done.stdout + done.stderr  # 24 in flight: the client is sized for it (12 workers)
    assert "done: 3" in done.stdout
    for nonsense in ("0", "-3", "65", "many"):
        with pytest.raises(SystemExit) as exited:  # argparse's usage error, before anything is read or sent
            bulk_refund(in_process, sandbox, tmp_path, "--purchases", "ids.txt", "--workers", nonsense)
        assert exited.value.code == 2
        assert f"--workers: must be a whole number from 1 to 64, not '{nonsense}'" in capsys.readouterr().err
