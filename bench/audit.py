#!/usr/bin/env python3
"""What the compliance log costs: records/s appended, and relay throughput with the log on vs off.

Run by hand: `.venv/bin/python bench/audit.py [--records 2000] [--seconds 3]` (about a minute).

1. Append rate of `proxy.audit.AuditLog` in this process, for each fsync policy
   (always = durable before return, with group commit; batch; none) and 1 / 8 / 32 writer
   threads (the gateway's concurrent sessions), with a realistic record (envelope, 5 rules
   run, one finding with short evidence, subject, Message-ID). Printed: records/s and the
   p50/p99 time one `record()` call takes. The log is written under --dir (default: a temp
   dir on the same disk as the repository, i.e. the disk a gateway would use — not tmpfs).

2. Relay throughput: the real submission door (`proxy.smtp.submission`, accept-all
   decider) relaying to an aiosmtpd sink, each in its own process, driven by aiosmtplib
   clients (bench/relay.py's client). Once with no auditor, once with the recommended
   setting (fsync: always) and with fsync: batch, 1 and 16 connections, 4 KB messages.
   Printed: msgs/s and the cost in percent. Target (issue 6): the log costs <= 10 %.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from proxy.audit import AuditLog, verify  # noqa: E402
from proxy.decision import EnvelopeInfo  # noqa: E402
from proxy.message import parse  # noqa: E402
from proxy.policy.verdict import Action, Finding, Verdict  # noqa: E402

TARGET_COST = 0.10
ENV = EnvelopeInfo(door="submission", mail_from="agent@example.com", rcpt_tos=("yamada@example.jp",),
                   client_ip="127.0.0.1", helo="agent-pc", auth_user="agent")
VERDICT = Verdict(
    Action.WARN,
    (Finding("signature-missing", Action.WARN, "署名がありません", evidence="佐藤 花子", where="signature"),),
    rules_run=("subject-changed", "quote-altered", "signature-missing", "other-customer-data", "apology-missing"),
    policy_version="sha256:0f3c9a",
)
MESSAGE = parse(b"From: agent@example.com\r\nTo: yamada@example.jp\r\nSubject: Re: order 12345\r\n"
                b"Message-ID: <bench-1@example.com>\r\n\r\nbody\r\n")


# --- 1. append rate -------------------------------------------------------------------------


def append_rate(directory: Path, fsync: str, threads: int, records: int) -> dict[str, float]:
    """`records` appends spread over `threads` threads; the log is verified afterwards."""
    shutil.rmtree(directory, ignore_errors=True)
    log = AuditLog(directory, fsync=fsync)
    per_thread = max(1, records // threads)
    latencies: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        mine = []
        for _ in range(per_thread):
            t0 = time.perf_counter()
            log.record(envelope=ENV, outcome="warned", reply="250 2.0.0 queued as 4F2A", message=MESSAGE,
                       verdict=VERDICT)
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    log.close()
    result = verify(directory)
    assert result.ok and result.count == per_thread * threads, result
    lat = sorted(latencies)
    return {"rate": len(lat) / elapsed, "p50": statistics.median(lat) * 1000,
            "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000}


# --- 2. relay with the log on / off ------------------------------------------------------------


def serve_gateway(upstream_port: int, fsync: str, log_dir: str) -> None:
    import relay  # bench/relay.py: the gateway child

    auditor = AuditLog(Path(log_dir) / "audit", fsync=fsync) if fsync != "off" else None
    relay.serve_gateway(log_dir, upstream_port, auditor=auditor)


def relay_cost(seconds: float, base: Path, rounds: int) -> list[tuple[int, dict[str, float], dict[str, float], dict[str, float], int]]:
    """Median msgs/s per setting (off, always, batch) at 1 and 16 connections."""
    import relay  # bench/relay.py: its sink role and its client

    msg, opts = relay.make_message(4096, "utf-8")
    sink = relay.Child("sink")
    out = []
    try:
        for conns in (1, 16):
            rates: dict[str, list[float]] = {m: [] for m in MODES}
            cpu: dict[str, list[float]] = {m: [] for m in MODES}
            p50: dict[str, list[float]] = {m: [] for m in MODES}
            logged = 0
            for _ in range(rounds):           # interleave the settings so drift hits all alike
                for mode in MODES:
                    d = tempfile.mkdtemp(prefix="rg-audit-bench-", dir=base)
                    gw = relay.Child(str(sink.port), mode, d, script=__file__)
                    try:
                        cpu0 = gw.cpu()
                        cell = asyncio.run(relay.run_cell(gw.port, msg, opts, conns, seconds))
                        cpu[mode].append((gw.cpu() - cpu0) / max(1, cell["n"] + cell["warm"]))
                    finally:
                        gw.stop()
                    rates[mode].append(cell["rate"])
                    p50[mode].append(cell["p50"])
                    if mode != "off":
                        result = verify(Path(d) / "audit")
                        assert result.ok
                        logged += result.count
                    shutil.rmtree(d, ignore_errors=True)
            out.append((conns, {m: statistics.median(r) for m, r in rates.items()},
                        {m: statistics.median(c) * 1e6 for m, c in cpu.items()},
                        {m: statistics.median(x) for m, x in p50.items()}, logged))
    finally:
        sink.stop()
    return out


MODES = ("off", "always", "batch")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve_gateway(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=2000, help="appends per cell (default 2000)")
    ap.add_argument("--seconds", type=float, default=3.0, help="measured time per relay cell (default 3)")
    ap.add_argument("--rounds", type=int, default=3, help="off/on alternations per relay cell (default 3)")
    ap.add_argument("--dir", type=Path, default=None, help="where to write (default: a temp dir under the repo)")
    ap.add_argument("--no-relay", action="store_true")
    args = ap.parse_args()
    base = args.dir or ROOT
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".bench-audit-", dir=base))
    try:
        print(f"compliance log append rate ({os.uname().sysname}, log on {work})")
        print(f"{'fsync':8} {'threads':>7} {'records/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
        for fsync in ("always", "batch", "none"):
            for threads in (1, 8, 32):
                r = append_rate(work / f"{fsync}-{threads}", fsync, threads, args.records)
                print(f"{fsync:8} {threads:7d} {r['rate']:10.0f} {r['p50']:8.3f} {r['p99']:8.3f}", flush=True)
        if args.no_relay:
            return 0
        print()
        print("relay, 4 KB messages, accept-all: log off vs fsync always (recommended) vs batch")
        print(f"{'conns':>5} {'setting':>8} {'msg/s':>7} {'cost':>7} {'p50 ms':>7} {'gateway CPU us/msg':>19} {'CPU cost':>9}")
        worst = 0.0
        for conns, rate, cpu, p50, logged in relay_cost(args.seconds, work, args.rounds):
            for mode in MODES:
                cost = 1 - rate[mode] / rate["off"] if rate["off"] else float("nan")
                cpu_cost = cpu[mode] / cpu["off"] - 1 if cpu["off"] else float("nan")
                if mode == "always":
                    worst = max(worst, cost)
                print(f"{conns:5d} {mode:>8} {rate[mode]:7.0f} {cost if mode != 'off' else 0:7.1%} {p50[mode]:7.2f} "
                      f"{cpu[mode]:19.0f} {cpu_cost if mode != 'off' else 0:9.1%}", flush=True)
            print(f"      ({logged} records written and verified)")
        print(f"worst throughput cost with fsync always: {worst:.1%} (target <= {TARGET_COST:.0%}): "
              f"{'OK' if worst <= TARGET_COST else 'ABOVE TARGET'}; a serial client waits one disk flush per "
              f"message, concurrent clients share it")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
