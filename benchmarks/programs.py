"""The programs ``run.py`` measures, each run in a fresh process; and the sandbox server.

    python benchmarks/programs.py serve SCALE PROCESSES  # prints one JSON line, serves until stdin closes
    python benchmarks/programs.py CLIENT URL TOKEN EDITION WORKERS

A client prints one JSON line: seconds, rows, peak RSS growth (bytes over the RSS
just before the read, after imports and connecting) and the DataFrame's memory.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

PAGE_SIZE = 1000  # the contract's maximum, used by every client


def rss() -> int:
    """Resident set size now, in bytes (Linux)."""
    with open("/proc/self/statm") as stats:
        return int(stats.read().split()[1]) * resource.getpagesize()


def peak_rss() -> int:
    """Peak resident set size of this process so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def deep_bytes(value: Any, seen: set[int]) -> int:
    """Bytes held by a JSON-like value and everything inside it; objects in ``seen`` count once."""
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        return size + sum(deep_bytes(k, seen) + deep_bytes(v, seen) for k, v in value.items())
    if isinstance(value, list | tuple):
        return size + sum(deep_bytes(v, seen) for v in value)
    return size


def frame_bytes(df: Any) -> tuple[int, int]:
    """pandas' ``memory_usage(deep=True)``, and the same with nested lists and dicts counted whole.

    pandas counts an object cell with ``sys.getsizeof``, so a list of dicts in a cell
    counts as an empty list; the second number adds what the cells keep alive, each
    object once (equal strings may be one object).
    """
    pandas_deep = int(df.memory_usage(deep=True, index=True).sum())
    nested, seen = 0, set[int]()
    for name in df.columns:
        if df[name].dtype == object:
            cells = [v for v in df[name] if isinstance(v, dict | list)]
            nested += sum(deep_bytes(v, seen) - sys.getsizeof(v) for v in cells)
    return pandas_deep, pandas_deep + nested


def baseline_orders(session: Any, url: str, edition: str) -> Any:
    """The loop a user writes: follow ``next``, ``json_normalize`` each page, ``concat`` once."""
    import pandas as pd

    frames: list[Any] = []
    link: str | None = f"{url}/v1/orders"
    params: dict[str, Any] | None = {"edition_id": edition, "page_size": PAGE_SIZE}
    while link:
        body = session.get(link, params=params, timeout=60).json()
        frames.append(pd.json_normalize(body["results"]))
        link, params = body["next"], None
    return pd.concat(frames, ignore_index=True)


def baseline_purchases(session: Any, url: str, edition: str) -> Any:
    """The same loop for purchases: each order's detail, the purchases of a page normalized together."""
    import pandas as pd

    frames: list[Any] = []
    link: str | None = f"{url}/v1/orders"
    params: dict[str, Any] | None = {"edition_id": edition, "page_size": PAGE_SIZE}
    while link:
        body = session.get(link, params=params, timeout=60).json()
        rows = []
        for order in body["results"]:
            detail = session.get(f"{url}/v1/orders/{order['id']}", timeout=60).json()
            rows += [{"order_id": detail["id"], **p} for p in detail["purchases"]]
        frames.append(pd.json_normalize(rows))
        link, params = body["next"], None
    return pd.concat(frames, ignore_index=True)


def floor_orders(session: Any, url: str, edition: str, workers: int) -> list[dict[str, Any]]:
    """The raw floor: every page fetched concurrently and ``json.loads``-ed, no DataFrame."""
    params = {"edition_id": edition, "page_size": PAGE_SIZE}
    first = json.loads(session.get(f"{url}/v1/orders", params=params, timeout=60).content)
    last = -(-first["count"] // len(first["results"]))

    def fetch(page: int) -> list[dict[str, Any]]:
        reply = session.get(f"{url}/v1/orders", params={**params, "page": page}, timeout=60)
        results: list[dict[str, Any]] = json.loads(reply.content)["results"]
        return results

    records = list(first["results"])
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for page in pool.map(fetch, range(2, last + 1)):
            records += page
    return records


def measure(read: Callable[[], Any]) -> dict[str, Any]:
    """Time ``read()`` and the memory it takes; return the JSON line's fields."""
    gc.collect()
    before = rss()
    cpu = time.process_time()
    started = time.perf_counter()
    result = read()
    seconds = time.perf_counter() - started
    growth = peak_rss() - before
    line: dict[str, Any] = {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "rows": len(result),
        "rss_growth": growth,
    }
    if hasattr(result, "memory_usage"):
        line["df_bytes"], line["df_bytes_nested"] = frame_bytes(result)
        line["columns"] = len(result.columns)
    return line


#: Filters every order of the edition passes, each of a kind the client checks column by column:
#: the rows stay 100,000 and every one is checked against each (scenario e).
EVERY_ROW_FILTERS: dict[str, Any] = {
    "created_after": "2000-01-01T00:00:00Z",
    "created_before": "2100-01-01T00:00:00Z",
    "ordering": "-created",
}


def client(name: str, url: str, token: str, edition: str, workers: int) -> dict[str, Any]:
    """Run one measured client against the sandbox at ``url``."""
    import pandas  # noqa: F401 - imported before measuring, like in a notebook
    import requests

    if name.startswith("preo"):
        import preo_nb

        preo = preo_nb.connect(base_url=url, token=token, env_file=False, page_workers=workers)
        from preo_nb import _verify

        checking = _verify.Verifier.page
        spent = [0.0]

        def timed(self: Any, records: Any) -> None:
            """The CPU time of the checks, summed over the pages: the reader thread's own, so not the
            waits for the GIL while the page-fetching threads decode JSON (wall time would count those)."""
            started = time.thread_time()
            checking(self, records)
            spent[0] += time.thread_time() - started

        if name.endswith("_unchecked"):  # the same read with the filter checks off: their cost, by difference
            _verify.Verifier.page = lambda self, records: None  # type: ignore[method-assign]
        else:
            _verify.Verifier.page = timed  # type: ignore[method-assign]
        read = {
            "preo_orders": lambda: preo.orders.list(edition_id=edition, progress=False),
            "preo_purchases": lambda: preo.orders.purchases(edition_id=edition, progress=False),
            "preo_filtered": lambda: preo.orders.list(**EVERY_ROW_FILTERS, edition_id=edition, progress=False),
            "preo_filtered_unchecked": lambda: preo.orders.list(
                **EVERY_ROW_FILTERS, edition_id=edition, progress=False
            ),
        }[name]
        line = measure(read)
        line["checks_seconds"] = spent[0]
        return line
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=max(10, workers)))
    reads: dict[str, Callable[[], Any]] = {
        "baseline_orders": lambda: baseline_orders(session, url, edition),
        "baseline_purchases": lambda: baseline_purchases(session, url, edition),
        "floor_orders": lambda: floor_orders(session, url, edition, workers),
    }
    return measure(reads[name])


def throttled(job: str, url: str, token: str, spec: dict[str, Any]) -> dict[str, Any]:
    """One job against a throttling sandbox: purchase-level reads, or bulk refunds (then counted per purchase)."""
    import tempfile

    import preo_nb
    from preo_nb import _limiter, bulk

    preo = preo_nb.connect(base_url=url, token=token, env_file=False)
    started = time.perf_counter()
    failed = 0
    if job == "purchases":
        rows = len(preo.orders.purchases(edition_id=spec["edition"], progress=False))
    else:
        with tempfile.TemporaryDirectory() as folder:
            journal = bulk.refund_purchases(
                preo,
                spec["purchases"],
                reason="event_cancelled",
                journal=f"{folder}/j.sqlite",
                edition_id=spec["edition"],
                progress=False,
            )
        rows = int((journal["state"] == "done").sum())
        failed = len(journal) - rows
    seconds = time.perf_counter() - started
    limiter = _limiter.of(preo._http)
    return {"seconds": seconds, "rows": rows, "failed": failed, "client_429": limiter.throttled}


def serve(scale: str = "large", processes: int = 1) -> None:
    """Seed a sandbox and serve it from ``processes`` forked copies accepting on one socket.

    Prints one JSON line: URL, admin token, biggest edition, refundable purchases and the
    serving copies' pids. Then reads fault settings from stdin, a JSON object a line, has
    every copy apply them (its own ``POST /_sandbox/faults``) and prints their answers as a
    JSON list, a line; when stdin closes, the copies stop.

    One Python process renders on one core at a time (the GIL), so a server meant to use a
    machine's cores, as a production one does, runs a copy per core. The orders list of the
    busiest edition is filtered and sorted once before forking, so every copy starts warm.
    """
    import gc
    import os
    import signal
    import socket

    from werkzeug.test import Client

    from preo_nb.sandbox import start
    from preo_nb.sandbox.web import serving

    started = time.perf_counter()
    sb = start(seed=1, scale=scale, in_process=True)
    app = sb.transport.app
    admin = {"Authorization": f"Bearer {sb.token}"}
    edition = sb.store.busiest_edition()["id"]
    warm = Client(app).get("/v1/orders", query_string={"edition_id": edition, "page_size": PAGE_SIZE}, headers=admin)
    assert warm.status_code == 200, warm.status_code
    refundable = [p["api_id"] for p in sb.store.purchases(edition_id=edition, status="paid", refundable=True)[:400]]
    listening = socket.create_server((serving.HOST, 0), backlog=128)
    gc.freeze()  # the seeded heap stays shared with the copies instead of being copied by the collector
    copies = [_serve_copy(app, listening.fileno(), admin) for _ in range(processes)]
    seeded = time.perf_counter() - started
    info = {
        "url": f"http://{serving.HOST}:{listening.getsockname()[1]}",
        "token": sb.token,
        "edition": edition,
        "seed_seconds": seeded,
        "refundable": refundable,
        "pids": [pid for pid, _, _ in copies],
    }
    print(json.dumps(info), flush=True)
    for line in sys.stdin:
        for _, orders, _ in copies:
            orders.write(line)
            orders.flush()
        print(json.dumps([json.loads(answers.readline()) for _, _, answers in copies]), flush=True)
    for pid, _, _ in copies:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)


def _serve_copy(app: Any, fd: int, admin: dict[str, str]) -> tuple[int, Any, Any]:
    """Fork a copy serving ``app`` on the socket ``fd``; return its pid and its fault-setting pipes."""
    import os
    import threading

    from werkzeug.test import Client

    from preo_nb.sandbox.web import serving

    to_copy, from_copy = os.pipe(), os.pipe()
    pid = os.fork()
    if pid:
        os.close(to_copy[0])
        os.close(from_copy[1])
        return pid, os.fdopen(to_copy[1], "w"), os.fdopen(from_copy[0])
    os.close(to_copy[1])
    os.close(from_copy[0])
    orders, answers = os.fdopen(to_copy[0]), os.fdopen(from_copy[1], "w")

    def obey() -> None:
        for line in orders:
            reply = Client(app).post("/_sandbox/faults", data=line, content_type="application/json", headers=admin)
            answers.write(json.dumps(reply.get_json()) + "\n")
            answers.flush()

    threading.Thread(target=obey, daemon=True).start()
    try:
        serving.server(app, 0, fd=fd).serve_forever()
    finally:
        os._exit(0)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "throttled":
        job, url, token = sys.argv[2:5]
        print(json.dumps(throttled(job, url, token, json.loads(sys.argv[5]))), flush=True)
    else:
        name, url, token, edition, workers = sys.argv[1:6]
        print(json.dumps(client(name, url, token, edition, int(workers))), flush=True)
