"""JupyterLab on loopback and headless Chromium, for the browser tests and the README screenshots.

JupyterLab runs in a temporary folder with its own HOME and Jupyter/IPython
directories; its kernels get the API's address and token from the server's
environment (never from a cell). ``stop`` ends it with SIGTERM to its own pid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DROPPED = ("PREO_NB_CASSETTE", "PREO_NB_RECORD", "PREO_API_TOKEN", "PREO_BASE_URL", "JUPYTER_PATH")
NO_NEWS = {"fetchNews": "false", "checkForUpdates": False}


def missing() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    for module in ("playwright", "jupyterlab"):
        try:
            __import__(module)
        except ImportError:
            return f"the browser extra is not installed ({module} is missing): pip install -e '.[browser]'"
    return None


@dataclass
class Lab:
    """A running JupyterLab: its URL, its process and the folder it serves."""

    url: str
    process: subprocess.Popen[bytes]
    root: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(home: Path, extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    folders = {
        "HOME": "home",
        "IPYTHONDIR": "ipython",
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
        "MPLCONFIGDIR": "matplotlib",
        "XDG_CONFIG_HOME": "xdg",
    }
    for name, folder in folders.items():
        env[name] = str(home / folder)
        (home / folder).mkdir(parents=True, exist_ok=True)
    settings = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps(NO_NEWS))
    return {**env, "PREO_NB_PROGRESS": "off", **extra}


def start(root: Path, notebooks: list[Path], env: Mapping[str, str], *, timeout: float = 60) -> Lab:
    """Start JupyterLab serving copies of ``notebooks`` in ``root/notebooks``; ``env`` reaches its kernels."""
    served = root / "notebooks"
    served.mkdir(parents=True, exist_ok=True)
    for notebook in notebooks:
        shutil.copy(notebook, served / notebook.name)
    port = _free_port()
    log = root / "jupyterlab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--IdentityProvider.token=",
        "--LabApp.expose_app_in_browser=True",
        f"--ServerApp.root_dir={served}",
        "--allow-root",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, env=_environment(root / "home", env), cwd=served
        )
    lab = Lab(f"http://127.0.0.1:{port}", process, served, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{lab.url}/api/status", timeout=2).ok:
                return lab
        except requests.ConnectionError:
            pass
        time.sleep(0.25)
    stop(lab)
    raise RuntimeError(f"JupyterLab did not answer within {timeout:g} s:\n{log.read_text()[-3000:]}")


def stop(lab: Lab, timeout: float = 20) -> None:
    """SIGTERM JupyterLab (it stops its kernels too); SIGKILL only if it does not end in time."""
    if lab.process.poll() is None:
        lab.process.send_signal(signal.SIGTERM)
        try:
            lab.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            lab.process.kill()
            lab.process.wait(timeout=timeout)


@contextmanager
def chromium(home: Path, width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A headless Chromium (the system's, through Playwright) with a fresh context; ``home`` is its HOME."""
    from playwright.sync_api import sync_playwright

    home.mkdir(parents=True, exist_ok=True)
    env: dict[str, str | float | bool] = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS, timeout=30_000, env=env
        )
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.set_default_timeout(30_000)
            yield context
        finally:
            browser.close()


def open_and_run(context: Any, lab: Lab, notebook: str, ready: str, *, timeout: float = 60_000) -> Any:
    """Open ``notebook`` in JupyterLab, wait for its kernel, run all cells; return the page once ``ready`` shows."""
    page = context.new_page()
    workspace = Path(notebook).stem  # a fresh workspace per notebook: no tab restored from an earlier page
    page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{notebook}?reset", timeout=timeout)
    page.wait_for_function(
        """() => {
            const app = window.jupyterapp;
            const panel = app && app.shell.currentWidget;
            const kernel = panel && panel.sessionContext && panel.sessionContext.session
                && panel.sessionContext.session.kernel;
            return kernel && kernel.status === 'idle';
        }""",
        timeout=timeout,
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(ready, state="visible", timeout=timeout)
    return page


def text_of(page: Any, selector: str) -> str:
    """The visible text of the first element matching ``selector``."""
    return str(page.locator(selector).first.inner_text())
