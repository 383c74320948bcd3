"""Bulk reads: preo_nb against the loop a user would write; prints a markdown table.

    python benchmarks/run.py                      # every scenario, best of 3 (about 17 minutes)
    python benchmarks/run.py --scenarios ab --repeat 5

Scenarios (docs/benchmarks.md says why each is measured the way it is):

a. 100,000 orders of the large sandbox's festival edition, 50 ms added to each request;
b. the same without added latency, and the raw floor (pages fetched concurrently and
   ``json.loads``-ed, no DataFrame); (a) and (b) also give the limit no client can beat,
   max(latency waves x round trip, the least CPU a read took (client + server) / cores);
c. 250,000 purchases of that edition (``orders.purchases``: every order's detail), memory;
d. ``import preo_nb`` against ``import pandas, requests``;
e. the cost of checking filters: (b)'s read with ``edition_id``, ``created_after``,
   ``created_before`` and ``ordering`` (every row passes them), checks on and off; the
   measure is the CPU time spent in the checks over the read's wall time.

The sandbox runs in its own process (``programs.py serve``) so the server and the client
under test do not share a GIL, and every measured client runs in a fresh process so its
peak RSS is its own. Runs of the clients compared alternate (A B A B ...), and each
figure is the best of ``--repeat`` runs (memory: the largest growth seen).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
MB = 1024 * 1024
IMPORTS = {
    "pandas, requests": "import pandas, requests",
    "preo_nb": "import preo_nb; preo_nb.connect",  # the client loads on first use: measure it ready
}
LAZY = ("ipywidgets", "papermill", "flask", "faker", "preo_nb.sandbox", "preo_nb.widgets", "pyarrow.parquet")
TARGETS = {"a": 4.0, "a_limit": 1.25, "a_cpu": 1.0, "b": 1.5, "b_floor": 1.3, "c": 3.0, "d": 1.3, "e": 5.0}
PAGE_SIZE = 1000  # programs.PAGE_SIZE: every client reads pages of the contract's maximum


def machine() -> dict[str, str]:
    """Where the numbers come from."""
    import pandas

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "Python": platform.python_version(),
        "pandas": pandas.__version__,
        "date": dt.date.today().isoformat(),
        "load before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


class Server:
    """The sandbox in its own processes (``processes`` forked copies, one socket); stops when the benchmark ends."""

    def __init__(self, scale: str = "large", processes: int = 1) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own argv
            [PYTHON, str(HERE / "programs.py"), "serve", scale, str(processes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.info: dict[str, Any] = json.loads(self.process.stdout.readline())
        self.url, self.token, self.edition = self.info["url"], self.info["token"], self.info["edition"]

    def control(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Change the fault switch (latency, throttle) of every copy; return the first copy's state."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(spec) + "\n")
        self.process.stdin.flush()
        states: list[dict[str, Any]] = json.loads(self.process.stdout.readline())
        return states[0]

    def round_trip(self, samples: int = 5) -> float:
        """Median seconds of one page of 1000 orders requested alone: the round trip a wave of pages waits."""
        import statistics

        import requests

        times = []
        for _ in range(samples):
            started = time.perf_counter()
            requests.get(
                f"{self.url}/v1/orders",
                params={"edition_id": self.edition, "page_size": 1000, "page": 2},
                timeout=120,
                headers={"Authorization": f"Bearer {self.token}"},
            ).raise_for_status()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    def cpu(self) -> float:
        """CPU seconds the serving copies have used so far, added up (Linux)."""
        ticks = 0
        for pid in self.info["pids"]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Close stdin: the server stops."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def run_client(name: str, server: Server, workers: int) -> dict[str, Any]:
    """Run one measured client in a fresh process; add the server's CPU time during the run."""
    before = server.cpu()
    out = subprocess.run(  # noqa: S603 - our own argv
        [PYTHON, str(HERE / "programs.py"), name, server.url, server.token, server.edition, str(workers)],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    found["server_cpu"] = server.cpu() - before  # includes the client's start-up, when the server idles
    return found


def compare(names: list[str], server: Server, workers: int, repeat: int) -> dict[str, dict[str, Any]]:
    """Run the clients alternately ``repeat`` times; keep the best time and the largest memory growth."""
    best: dict[str, dict[str, Any]] = {}
    for _ in range(repeat):
        for name in names:
            line = run_client(name, server, workers)
            seen = best.setdefault(name, {**line, "times": []})
            seen["times"].append(line["seconds"])
            if line["seconds"] <= min(seen["times"]):
                seen.update(
                    seconds=line["seconds"],
                    cpu_seconds=line["cpu_seconds"],
                    server_cpu=line["server_cpu"],
                    checks_seconds=line.get("checks_seconds", 0.0),
                )
            seen["rss_growth"] = max(seen["rss_growth"], line["rss_growth"])
            print(f"  {name}: {line['seconds']:.2f} s, {line['rss_growth'] / MB:.0f} MB", file=sys.stderr)
    return best


def import_times(repeat: int) -> dict[str, Any]:
    """Best-of import times in fresh processes, and which optional packages ``import preo_nb`` loaded."""
    times: dict[str, list[float]] = {name: [] for name in IMPORTS}
    probe = (
        "import sys, time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t); print(*sorted(sys.modules))"
    )
    loaded: list[str] = []
    for _ in range(repeat):
        for name, stmt in IMPORTS.items():
            command = [PYTHON, "-c", probe.format(stmt=stmt)]
            out = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603 - our own argv
            seconds, modules = out.stdout.splitlines()[:2]
            times[name].append(float(seconds))
            if name == "preo_nb":
                loaded = [m for m in modules.split() if m in LAZY]
    return {"times": {name: min(values) for name, values in times.items()}, "runs": repeat, "loaded": loaded}


def row(scenario: str, client: str, line: dict[str, Any], ratio: str) -> str:
    """One line of the results table."""
    df = f"{line['df_bytes'] / MB:.0f}" if "df_bytes" in line else "-"
    nested = line.get("df_bytes_nested", 0)
    if nested and nested != line.get("df_bytes"):
        df += f" ({nested / MB:.0f} with nested objects)"
    runs = ", ".join(f"{t:.2f}" for t in line["times"])
    return (
        f"| {scenario} | {client} | {line['rows']:,} | {line['seconds']:.2f} ({runs}) | "
        f"{line['rows'] / line['seconds']:,.0f} | {line['cpu_seconds']:.2f} / {line['server_cpu']:.2f} | "
        f"{line['rss_growth'] / MB:.0f} | {df} | {ratio} |"
    )


def throttled(latency: float) -> list[str]:
    """Scenario t: the medium sandbox throttling each token DRF-style, ``latency`` added; markdown rows.

    t1 reads every purchase of the busiest edition (one page per 1,000 orders, one detail per
    order) at 200 requests/s; t2 files 300 bulk refunds at 25 requests/s; t3 files 40 at a
    strict 5 requests/s. "allowed" is the time the throttle allows for the requests the job
    needs (t1: its pages and details, less the bucket's burst; t2, t3: one POST per purchase).
    """
    server = Server("medium", processes=1)  # one copy: a token's throttle is counted in one process
    lines = []
    try:
        refundable = server.info["refundable"]
        jobs = [
            ("t1 purchases of the 8k-order edition", "purchases", 200, {"edition": server.edition}),
            ("t2 300 bulk refunds", "refunds", 25, {"purchases": refundable[:300], "edition": server.edition}),
            ("t3 40 bulk refunds, strict", "refunds", 5, {"purchases": refundable[300:340], "edition": server.edition}),
        ]
        for name, job, rate, spec in jobs:
            print(f"(t) {name} at {rate} requests/s", file=sys.stderr)
            lines.append(_throttled_job(server, name, job, rate, spec, latency))
    finally:
        server.stop()
    return lines


def _throttled_job(server: Server, name: str, job: str, rate: int, spec: dict[str, Any], latency: float) -> str:
    import requests

    earlier = _requests_of(server, spec.get("purchases", []))
    server.control({"clear": True, "latency": latency, "throttle": {"rate": rate}})
    out = subprocess.run(  # noqa: S603 - our own argv
        [PYTHON, str(HERE / "programs.py"), "throttled", job, server.url, server.token, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    refused = server.control({})["throttle"]["refused"]
    server.control({"clear": True})
    if job == "purchases":
        orders = requests.get(
            f"{server.url}/v1/orders",
            params={"edition_id": spec["edition"], "page_size": 1},
            headers={"Authorization": f"Bearer {server.token}"},
            timeout=60,
        ).json()["count"]
        needed = orders + -(-orders // 1000)
        allowed = (needed - rate) / rate  # the bucket starts full: its burst is free
        duplicates = 0
    else:
        needed = len(spec["purchases"])
        allowed = needed / rate
        filed = _requests_of(server, spec["purchases"])
        duplicates = sum(max(0, filed[pid] - earlier[pid] - 1) for pid in spec["purchases"])
    return (
        f"| {name} | {rate}/s | {needed} | {found['seconds']:.1f} s | {allowed:.1f} s | "
        f"{found['seconds'] / allowed:.2f}x | {found['failed']} | {duplicates} | {refused} |"
    )


def _requests_of(server: Server, purchases: list[str]) -> dict[str, int]:
    """How many refund requests each purchase has (read with the throttle off): a job's duplicates, by difference."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {server.token}"
    return {
        pid: session.get(f"{server.url}/v1/refunds", params={"purchase_id": pid}, timeout=60).json()["count"]
        for pid in purchases
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default="abcde", help="which of a, b, c, d, e, t to run (default: a-e)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each client; the best counts (default 3)")
    parser.add_argument("--workers", type=int, default=8, help="page_workers of preo_nb and of the raw floor")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to each request in (a)")
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="forked copies of the sandbox serving (a)-(e), one socket (default: one per core)",
    )
    args = parser.parse_args()
    info = machine()
    if args.scenarios == "t":  # the throttling scenarios report on their own
        print("| job | throttle | requests needed | took | allowed | ratio | failed | duplicates | 429s |")
        print("|---|---|---|---|---|---|---|---|---|")
        print("\n".join(throttled(args.latency)))
        print(f"\nload before {info['load before']}, after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return 0
    results: dict[str, Any] = {}
    if "d" in args.scenarios:
        results["d"] = import_times(max(5, args.repeat))
    if set(args.scenarios) & set("abce"):
        started = time.perf_counter()
        server = Server(processes=args.processes)
        info["sandbox"] = (
            f"seed 1, scale large, {args.processes} forked copies on one socket, threaded; "
            f"seeded and serving in {time.perf_counter() - started:.0f} s"
        )
        try:
            if "a" in args.scenarios:
                print(f"(a) orders, {args.latency * 1000:.0f} ms latency", file=sys.stderr)
                server.control({"latency": args.latency})
                results["a_rtt"] = server.round_trip()
                results["a"] = compare(
                    ["baseline_orders", "preo_orders", "floor_orders"], server, args.workers, args.repeat
                )
                server.control({"clear": True})
            if "b" in args.scenarios:
                print("(b) orders, no added latency", file=sys.stderr)
                results["b_rtt"] = server.round_trip()
                results["b"] = compare(
                    ["baseline_orders", "preo_orders", "floor_orders"], server, args.workers, args.repeat
                )
            if "e" in args.scenarios:
                print("(e) orders with filters, checks on and off", file=sys.stderr)
                results["e"] = compare(["preo_filtered_unchecked", "preo_filtered"], server, args.workers, args.repeat)
            if "c" in args.scenarios:
                print("(c) purchases", file=sys.stderr)
                results["c"] = compare(["baseline_purchases", "preo_purchases"], server, args.workers, args.repeat)
        finally:
            server.stop()
    info["load after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(report(info, results, args))
    return 0


def report(info: dict[str, str], results: dict[str, Any], args: argparse.Namespace) -> str:
    """The markdown: machine, results table, targets."""
    lines = [
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in info.items()),
        "",
        f"preo_nb with `page_workers={args.workers}`; the raw floor uses as many threads. "
        f"Times in seconds: best of {args.repeat} (every run in brackets); RSS growth is the largest seen.",
        "",
        "| scenario | client | rows | seconds | rows/s | CPU s: client / server | peak RSS growth (MB) "
        "| DataFrame (MB) | ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    targets: list[str] = []
    if "a" in results:
        base, preo, floor = (results["a"][k] for k in ("baseline_orders", "preo_orders", "floor_orders"))
        speedup = base["seconds"] / preo["seconds"]
        lines += [
            row(f"(a) orders, +{args.latency * 1000:.0f} ms", "baseline loop", base, ""),
            row("", "preo_nb", preo, f"**{speedup:.1f}x** faster than the baseline"),
            row("", "raw floor", floor, f"preo_nb takes {preo['seconds'] / floor['seconds']:.2f}x the floor"),
        ]
        targets.append(
            _target("(a) preo_nb vs baseline, latency", f">= {TARGETS['a']}x faster", speedup, speedup >= TARGETS["a"])
        )
        found, over_limit, over_cpu = limit_row(results["a"], results["a_rtt"], args.workers)
        lines.append(found)
        wanted = f"<= {TARGETS['a_limit']}x the limit"
        targets.append(_target("(a) preo_nb vs the limit", wanted, over_limit, over_limit <= TARGETS["a_limit"]))
        wanted = f"<= {TARGETS['a_cpu']:.2f}x the floor's"
        targets.append(_target("(a) preo_nb's client CPU / floor's", wanted, over_cpu, over_cpu <= TARGETS["a_cpu"]))
    if "b" in results:
        base, preo, floor = (results["b"][k] for k in ("baseline_orders", "preo_orders", "floor_orders"))
        speedup, over_floor = base["seconds"] / preo["seconds"], preo["seconds"] / floor["seconds"]
        lines += [
            row("(b) orders, no added latency", "baseline loop", base, ""),
            row("", "preo_nb", preo, f"**{speedup:.2f}x** faster than the baseline"),
            row("", "raw floor", floor, f"preo_nb takes **{over_floor:.2f}x** the floor"),
            limit_row(results["b"], results["b_rtt"], args.workers)[0],
        ]
        targets.append(
            _target("(b) preo_nb vs baseline", f">= {TARGETS['b']}x faster", speedup, speedup >= TARGETS["b"])
        )
        targets.append(
            _target(
                "(b) preo_nb vs raw floor",
                f"<= {TARGETS['b_floor']}x the floor's time",
                over_floor,
                over_floor <= TARGETS["b_floor"],
            )
        )
    if "c" in results:
        base, preo = results["c"]["baseline_purchases"], results["c"]["preo_purchases"]
        growth = preo["rss_growth"] / preo["df_bytes"]  # pandas' figure: the stricter of the two
        nested = preo["rss_growth"] / preo["df_bytes_nested"]
        summary = (
            f"{base['seconds'] / preo['seconds']:.1f}x faster; RSS growth **{growth:.2f}x** the "
            f"DataFrame ({nested:.2f}x with nested objects)"
        )
        lines += [row("(c) purchases (order details)", "baseline loop", base, ""), row("", "preo_nb", preo, summary)]
        wanted = f"<= {TARGETS['c']}x the DataFrame's memory_usage"
        targets.append(_target("(c) preo_nb peak RSS growth", wanted, growth, growth <= TARGETS["c"]))
    if "e" in results:
        off, on = results["e"]["preo_filtered_unchecked"], results["e"]["preo_filtered"]
        inside = 100 * on["checks_seconds"] / on["seconds"]
        cost = 100 * (on["seconds"] - off["seconds"]) / off["seconds"]
        lines += [
            row("(e) orders, 4 filters", "checks off", off, ""),
            row(
                "",
                "preo_nb (checks on)",
                on,
                f"**{on['checks_seconds']:.3f} s** of CPU in the checks: **{inside:.1f}%** of the read "
                f"(on vs off: {cost:+.1f}%, noisy on a shared machine)",
            ),
        ]
        targets.append(
            _target("(e) CPU in the filter checks", f"<= {TARGETS['e']:.0f}% of the read's time", inside, inside <= 5)
        )
    if "d" in results:
        times = results["d"]["times"]
        ratio = times["preo_nb"] / times["pandas, requests"]
        loaded = ", ".join(results["d"]["loaded"]) or "none of " + ", ".join(LAZY)
        lines += [
            "",
            f"(d) import, best of {results['d']['runs']} fresh processes: `import pandas, requests` "
            f"{times['pandas, requests'] * 1000:.0f} ms, `import preo_nb` {times['preo_nb'] * 1000:.0f} ms "
            f"(**{ratio:.2f}x**); optional packages loaded by `import preo_nb`: {loaded}.",
        ]
        targets.append(
            _target("(d) import preo_nb", f"<= {TARGETS['d']}x pandas + requests", ratio, ratio <= TARGETS["d"])
        )
    lines += ["", "| target | wanted | measured | holds |", "|---|---|---:|---|", *targets]
    return "\n".join(lines)


def limit_row(clients: dict[str, dict[str, Any]], rtt: float, workers: int) -> tuple[str, float, float]:
    """The table's line for the limit no client beats, and preo_nb's time and client CPU over it and the floor's.

    The limit is max(latency waves x round trip, CPU / cores): the first page alone, then
    the other pages ``workers`` at a time, each wave waiting one round trip; and the CPU
    the read cannot do without spread over the machine's cores: the least any client's
    read took, its own CPU and the server's during its run. That was the raw floor's
    (fetching and ``json.loads``-ing) until preo_nb read pages straight into Arrow
    without making dicts; since then preo_nb's own read takes less, so it bounds instead.
    """
    preo, floor = clients["preo_orders"], clients["floor_orders"]
    pages = -(-floor["rows"] // PAGE_SIZE)
    waves = 1 + -(-(pages - 1) // workers)
    cores = os.cpu_count() or 1
    latency_bound = waves * rtt
    least = min((preo, floor), key=lambda line: line["cpu_seconds"] + line["server_cpu"])
    cpu_bound = (least["cpu_seconds"] + least["server_cpu"]) / cores
    limit = max(latency_bound, cpu_bound)
    over_limit, over_cpu = preo["seconds"] / limit, preo["cpu_seconds"] / floor["cpu_seconds"]
    floors = max(latency_bound, (floor["cpu_seconds"] + floor["server_cpu"]) / cores)
    who = "preo_nb's" if least is preo else "the floor's"
    why = (
        f"max({waves} waves x {rtt * 1000:.0f} ms = {latency_bound:.2f}, least CPU of a read, {who} "
        f"({least['cpu_seconds']:.2f} + {least['server_cpu']:.2f} CPU s) / {cores} cores = {cpu_bound:.2f}); "
        f"preo_nb takes **{over_limit:.2f}x** the limit ({preo['seconds'] / floors:.2f}x with the floor's CPU "
        f"in it), the floor {floor['seconds'] / limit:.2f}x; its client CPU **{over_cpu:.2f}x** the floor's"
    )
    line = f"|  | limit | {floor['rows']:,} | {limit:.2f} | {floor['rows'] / limit:,.0f} | | | - | {why} |"
    return line, over_limit, over_cpu


def _target(name: str, wanted: str, measured: float, holds: bool) -> str:
    return f"| {name} | {wanted} | {measured:.2f} | {'yes' if holds else '**no**'} |"


if __name__ == "__main__":
    sys.exit(main())
