"""Running a notebook headless: a failure never replaces the last good result, and says where it broke."""

import nbformat
import pytest

from preo_nb import runner

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def notebook(tmp_path, name, *sources):
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources], metadata=KERNEL), path
    )
    return path


def test_a_failed_run_leaves_the_last_good_one_and_names_the_failing_line(tmp_path):
    good = notebook(tmp_path, "good", "print('all well')")
    target = tmp_path / "runs" / "report.ipynb"
    ran = runner.run_notebook(good, target, timeout=60)
    assert ran.notebook == target and ran.kernel_errors == []
    before = target.read_bytes()

    broken = notebook(tmp_path, "broken", "from pathlib import Path\nrows = [1, 2]\nrows[5]\nprint('never')")
    with pytest.raises(runner.RunbookFailed) as info:
        runner.run_notebook(broken, target, timeout=60)
    assert "cell 0 (In [1], line 3: rows[5]) failed: IndexError" in str(info.value)
    assert target.read_bytes() == before  # the last good run is untouched
    assert info.value.notebook == tmp_path / "runs" / "report.failed.ipynb" and info.value.notebook.is_file()
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.failed.ipynb", "report.ipynb"]  # nothing aside

    failure_page = runner.export_html(info.value.notebook)
    logs = notebook(
        tmp_path,
        "logs",
        "log = get_ipython().kernel.log\n"
        "log.error('KeyboardInterrupt caught in kernel.')\n"
        "log.error('the comm channel broke')",
    )
    ran = runner.run_notebook(logs, target, timeout=60)
    assert not info.value.notebook.exists() and not failure_page.exists()  # a later good run takes the failure away
    # what the kernel logged is reported, not hidden; the interrupt every shutdown sends is not the runbook's
    assert ran.kernel_errors == ["the comm channel broke"]


def test_a_report_without_code_leaves_out_how_to_run_it(tmp_path):
    executed = nbformat.v4.new_notebook(metadata=KERNEL)
    executed.cells = [
        nbformat.v4.new_markdown_cell("# Sales"),
        nbformat.v4.new_markdown_cell("Run it with PREO_NB_CASSETTE=...", metadata={"tags": [runner.NOTEBOOK_ONLY]}),
        nbformat.v4.new_code_cell(
            "secret_sauce = 6 * 7\nsecret_sauce",
            execution_count=1,
            outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "4242"}, execution_count=1)],
        ),
    ]
    nbformat.write(executed, tmp_path / "out.ipynb")
    report = runner.export_html(tmp_path / "out.ipynb", no_input=True).read_text(encoding="utf-8")
    body = report[report.index("<body") :]
    assert "Sales" in body and "4242" in body
    assert "PREO_NB_CASSETTE" not in body and "secret_sauce" not in body
    with_code = runner.export_html(tmp_path / "out.ipynb").read_text(encoding="utf-8")
    assert "PREO_NB_CASSETTE" in with_code and "secret_sauce" in with_code
