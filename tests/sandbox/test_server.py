"""The foreground server behind ``preo-nb sandbox``."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from pathlib import Path

import requests

import preo_nb
from preo_nb.config import load_settings

SCRIPT = "from preo_nb.sandbox import serve; serve(port=0, seed=1, scale='tiny')"


def read_lines(process: subprocess.Popen[str], count: int, timeout: float = 30) -> list[str]:
    """The first ``count`` lines the process prints; fewer if it prints no more within ``timeout`` s."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line.rstrip("\n")) for line in stdout], daemon=True).start()
    found = []
    try:
        while len(found) < count:
            found.append(lines.get(timeout=timeout))
    except queue.Empty:
        pass
    return found


def test_serve_announces_url_and_tokens_then_serves() -> None:
    process = subprocess.Popen([sys.executable, "-u", "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
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


def test_serve_prints_the_two_env_lines_to_connect(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-u", "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        lines = read_lines(process, 8)
        assert len(lines) == 8, lines
        url = lines[0].split(" on ")[1].strip()
        admin = lines[1].split(" token: ")[1]
        assert lines[5] == "Connect from a notebook with these two lines in a .env file next to it:"
        assert lines[6:] == [f"PREO_BASE_URL={url}", f"PREO_API_TOKEN={admin}"]
        env = tmp_path / ".env"
        env.write_text("\n".join(lines[6:]) + "\n")
        preo = preo_nb.Client(load_settings(env_file=env))
        roles = {org["role"] for org in preo.auth.me()["organizations"]}
        assert roles == {"admin"}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_copies_of_one_sandbox_serve_one_listening_socket() -> None:
    """``serving.server(fd=...)``: servers sharing a socket (the benchmark forks one per core) answer on its port."""
    import socket

    from preo_nb.sandbox import start
    from preo_nb.sandbox.web import serving

    sandbox = start(seed=1, scale="tiny", in_process=True)
    listening = socket.create_server((serving.HOST, 0))
    port = listening.getsockname()[1]
    copies = [serving.server(sandbox.transport.app, 0, fd=listening.fileno()) for _ in range(2)]
    threads = [threading.Thread(target=copy.serve_forever, daemon=True) for copy in copies]
    for thread in threads:
        thread.start()
    try:
        assert [copy.socket.getsockname()[1] for copy in copies] == [port, port]
        reply = requests.get(
            f"http://{serving.HOST}:{port}/v1/auth/me", headers={"Authorization": f"Bearer {sandbox.token}"}, timeout=10
        )
        assert reply.status_code == 200 and reply.json()["email"]
    finally:
        for copy in copies:
            copy.shutdown()
            copy.server_close()
        listening.close()
