"""The foreground server behind ``preo-nb sandbox``."""

from __future__ import annotations

import subprocess
import sys

import requests

SCRIPT = "from preo_nb.sandbox import serve; serve(port=0, seed=1, scale='tiny')"


def test_serve_announces_url_and_tokens_then_serves() -> None:
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", SCRIPT], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        url = lines[0].split(" on ")[1].strip()
        assert url.startswith("http://127.0.0.1:")
        tokens = dict(line.strip().split(" token: ") for line in lines[1:])
        assert set(tokens) == {"admin", "manager", "staff", "guest"}
        me = requests.get(
            f"{url}/v1/auth/me",
            headers={"Authorization": f"Bearer {tokens['staff']}"},
            timeout=10,
        )
        assert me.json()["organizations"][0]["role"] == "staff"
    finally:
        process.terminate()
        process.wait(timeout=10)
