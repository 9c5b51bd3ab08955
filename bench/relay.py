#!/usr/bin/env python3
"""How much the submission gateway costs per message, against the same libraries doing nothing.

Run by hand (`.venv/bin/python bench/relay.py`, about 1.5 minutes by default; on a machine
shared with other jobs prefer `nice -n -15 …` as root, all targets inherit it). Every target
relays to the same aiosmtpd sink, and each runs in its own process (so the client, the
relay and the sink do not share one GIL):

  direct       client -> sink
  zero-relay   client -> aiosmtpd + aiosmtplib relay that does nothing else -> sink
               (one upstream session per client session, aiosmtpd's line-wise DATA reader)
  replyguard   client -> `proxy.smtp.submission` (accept-all decider) -> sink
  rg-noparse   the same with proxy.message.parse stubbed out: what the SMTP door itself costs
  rg+policy    client -> replyguard with the default policy engine (policies/default.yaml) -> sink
  postfix      client -> a private Postfix relaying to the sink (after-queue), when it can run here

Messages: Japanese text, 4 KB and 100 KB, as UTF-8 (8BITMIME) and as ISO-2022-JP (7bit).
Connections: 1 and 16, each reusing its session for all its messages. Plain TCP on loopback
(TLS costs the same on every path and would hide the per-message work).

Printed per cell: msgs/s, p50/p99 latency, p50/p99 *added* latency (minus direct), and the
ratios: each target / direct, replyguard / zero-relay, replyguard / postfix.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

FROM = "agent@example.com"
TO = "yamada@example.jp"
LINE = "いつもお世話になっております。ご注文の商品につきまして、本日発送の手配をいたしました。"


# --- messages ---------------------------------------------------------------------


def make_message(size: int, charset: str) -> tuple[bytes, list[str]]:
    """A reply of about `size` bytes that passes the default policy (signed, no other customer)."""
    codec = "iso-2022-jp" if charset == "iso-2022-jp" else "utf-8"
    head = (
        "From: =?UTF-8?B?5L2Q6JekIOiKseWtkA==?= <agent@example.com>\r\n"
        "To: =?UTF-8?B?5bGx55SwIOWkqumDjg==?= <yamada@example.jp>\r\n"
        "Subject: =?UTF-8?B?44GU5rOo5paH44Gr44Gk44GE44Gm?=\r\n"
        "Message-ID: <bench@example.com>\r\n"
        "Date: Thu, 26 Nov 2026 10:00:00 +0900\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={charset.upper()}\r\n"
        f"Content-Transfer-Encoding: {'7bit' if codec == 'iso-2022-jp' else '8bit'}\r\n\r\n"
    ).encode("ascii")
    sig = "\r\n-- \r\n佐藤 花子\r\nサポートセンター\r\n".encode(codec)
    greeting = "山田様\r\n\r\n".encode(codec)
    line = (LINE + "\r\n").encode(codec)
    body = greeting
    while len(head) + len(body) + len(line) + len(sig) <= size:
        body += line
    msg = head + body + sig
    return msg, (["BODY=8BITMIME"] if codec == "utf-8" else [])


# --- servers (each `--serve ROLE` runs in its own process) -------------------------


def serve_sink() -> None:
    from aiosmtpd.smtp import SMTP

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            return "250 2.0.0 ok"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        srv = await loop.create_server(lambda: SMTP(Handler(), enable_SMTPUTF8=True, hostname="sink"),
                                       "127.0.0.1", 0)
        print("PORT", srv.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def serve_zero(upstream_port: int) -> None:
    """The baseline the issue names: aiosmtpd + aiosmtplib, session reuse, no other work."""
    import aiosmtplib
    from aiosmtpd.smtp import SMTP

    class Relay:
        async def _up(self, server):
            up = getattr(server, "_bench_up", None)
            if up is None or not up.is_connected:
                up = aiosmtplib.SMTP(hostname="127.0.0.1", port=upstream_port, start_tls=False)
                await up.connect()
                await up.ehlo()
                server._bench_up = up
            return up

        async def handle_MAIL(self, server, session, envelope, address, options):
            up = await self._up(server)
            resp = await up.execute_command(b"MAIL", b"FROM:<" + address.encode() + b">",
                                            *(o.encode() for o in options))
            if resp.code == 250:
                envelope.mail_from = address
            return f"{resp.code} {resp.message}"

        async def handle_RCPT(self, server, session, envelope, address, options):
            resp = await (await self._up(server)).execute_command(b"RCPT", b"TO:<" + address.encode() + b">")
            if resp.code == 250:
                envelope.rcpt_tos.append(address)
            return f"{resp.code} {resp.message}"

        async def handle_DATA(self, server, session, envelope):
            try:
                resp = await (await self._up(server)).data(envelope.original_content)
            except aiosmtplib.SMTPResponseException as exc:
                return f"{exc.code} {exc.message}"
            return f"{resp.code} {resp.message}"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        srv = await loop.create_server(lambda: SMTP(Relay(), enable_SMTPUTF8=True, hostname="zero"), "127.0.0.1", 0)
        print("PORT", srv.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def serve_gateway(state_dir: str, upstream_port: int, **handler: Any) -> None:
    """Run the submission door on a free loopback port relaying to `upstream_port`; print
    `PORT n` for `Child`, then serve until killed. `handler`: SubmissionHandler's keywords."""
    import logging

    from proxy.config import GatewayConfig, ListenerConfig, UpstreamConfig
    from proxy.smtp.submission import Gateway, SubmissionHandler

    logging.basicConfig(level=logging.WARNING)
    cfg = GatewayConfig(state_dir=state_dir, listeners=[ListenerConfig(address="127.0.0.1:0", tls="none")],
                        upstream=UpstreamConfig(host="127.0.0.1", port=upstream_port, tls="none", auth="none"))

    async def main() -> None:
        gw = Gateway(cfg, SubmissionHandler(cfg, **handler), hostname="replyguard")
        (_host, port), = await gw.start()
        print("PORT", port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def serve_replyguard(upstream_port: int, policy: bool, stub_parse: bool = False) -> None:
    from proxy.smtp import submission

    if stub_parse:
        # "door only": what the SMTP path itself costs, with proxy.message.parse stubbed out
        from proxy.message import ParsedMessage

        submission.parse = lambda raw: ParsedMessage(  # type: ignore[assignment]
            raw=raw, headers=None, message_id=None, in_reply_to=(), references=(), subject="",  # type: ignore[arg-type]
            from_=None, to=(), cc=(), reply_to=(), text="", own_text="", signature=None, quotes=())

    state = tempfile.mkdtemp(prefix="rg-bench-")
    decider = None
    if policy:
        from proxy.policy.reload import gateway_engine

        decider, _watcher = gateway_engine(ROOT / "policies" / "default.yaml", state)
    serve_gateway(state, upstream_port, decider=decider)


class Child:
    """A `SCRIPT --serve ROLE` child process (this script unless `script` is given); `port` is
    where it listens."""

    def __init__(self, *args: str, script: str = __file__):
        self.proc = subprocess.Popen([sys.executable, script, "--serve", *args], stdout=subprocess.PIPE,
                                     text=True, cwd=ROOT)
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"{args[0]} did not start: {line!r}")
        self.port = int(line.split()[1])

    def cpu(self) -> float:
        """CPU seconds (user+system) this child used so far: robust when the machine is busy."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# --- client -------------------------------------------------------------------------


async def run_cell(port: int, msg: bytes, opts: list[str], conns: int, seconds: float) -> dict[str, float]:
    import aiosmtplib

    latencies: list[float] = []
    errors = 0
    warm = 0
    warmup_end = time.perf_counter() + min(0.3, seconds / 5)
    end = warmup_end + seconds

    async def one() -> None:
        nonlocal errors, warm
        c = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=30)
        await c.connect()
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                break
            try:
                refused, _ = await c.sendmail(FROM, [TO], msg, mail_options=opts)
                ok = not refused
            except aiosmtplib.SMTPException:
                ok = False
            t1 = time.perf_counter()
            if t0 < warmup_end:
                warm += 1
            else:
                if ok:
                    latencies.append(t1 - t0)
                else:
                    errors += 1
        await c.quit()

    t_start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(conns)))
    measured = time.perf_counter() - max(warmup_end, t_start)
    lat = sorted(latencies) or [float("nan")]
    return {
        "rate": len(latencies) / measured if measured > 0 else 0.0,
        "p50": statistics.median(lat) * 1000,
        "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
        "n": len(latencies),
        "errors": errors,
        "warm": warm,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--seconds", type=float, default=1.5, help="measured time per cell (default 1.5)")
    ap.add_argument("--no-postfix", action="store_true")
    ap.add_argument("--no-policy", action="store_true", help="skip the rg+policy target")
    args = ap.parse_args()

    if args.serve:
        role = args.serve[0]
        if role == "sink":
            serve_sink()
        elif role == "zero":
            serve_zero(int(args.serve[1]))
        elif role in ("replyguard", "rg+policy", "rg-noparse"):
            serve_replyguard(int(args.serve[1]), role == "rg+policy", role == "rg-noparse")
        return 0

    children: list[Child] = []
    postfix = None
    try:
        sink = Child("sink")
        children.append(sink)
        targets: dict[str, int] = {"direct": sink.port}
        procs: dict[str, Child] = {"direct": sink}
        zero = Child("zero", str(sink.port))
        children.append(zero)
        targets["zero-relay"] = zero.port
        procs["zero-relay"] = zero
        rg = Child("replyguard", str(sink.port))
        children.append(rg)
        targets["replyguard"] = rg.port
        procs["replyguard"] = rg
        nop = Child("rg-noparse", str(sink.port))
        children.append(nop)
        targets["rg-noparse"] = nop.port
        procs["rg-noparse"] = nop
        if not args.no_policy:
            try:
                pol = Child("rg+policy", str(sink.port))
                children.append(pol)
                targets["rg+policy"] = pol.port
                procs["rg+policy"] = pol
            except RuntimeError as exc:
                print(f"(rg+policy skipped: {exc})")
        if not args.no_postfix:
            from postfix_instance import PostfixInstance, available

            reason = available()
            if reason is None:
                postfix = PostfixInstance(relay_to=("127.0.0.1", sink.port)).start()
                targets["postfix"] = postfix.port
            else:
                print(f"(postfix skipped: {reason})")

        print(f"cpus={os.cpu_count()}  seconds/cell={args.seconds}  python={sys.version.split()[0]}")
        results: dict[tuple[str, str, int], dict[str, float]] = {}
        kinds = [(4 * 1024, "utf-8"), (4 * 1024, "iso-2022-jp"), (100 * 1024, "utf-8"), (100 * 1024, "iso-2022-jp")]
        for size, charset in kinds:
            msg, opts = make_message(size, charset)
            label = f"{size // 1024}KB {charset}"
            for conns in (1, 16):
                for name, port in targets.items():
                    cpu0 = procs[name].cpu() if name in procs else None
                    r = asyncio.run(run_cell(port, msg, opts, conns, args.seconds))
                    if cpu0 is not None and r["n"]:
                        # whole cell incl. warm-up, per measured message: comparable across targets
                        r["cpu"] = (procs[name].cpu() - cpu0) * 1000 / (r["n"] + r.get("warm", 0))
                    results[(label, name, conns)] = r
                print_block(label, conns, targets, results)
        print_summary(targets, results)
    finally:
        for c in children:
            c.stop()
        if postfix is not None:
            postfix.stop()
    return 0


def print_block(label: str, conns: int, targets: dict[str, int], results: dict) -> None:
    direct = results[(label, "direct", conns)]
    print(f"\n{label}, {conns} connection{'s' if conns > 1 else ''}")
    print(f"  {'target':<11} {'msgs/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'+p50':>6} {'+p99':>6} {'x direct':>8} "
          f"{'cpu ms/msg':>10} {'err':>4}")
    for name in targets:
        r = results[(label, name, conns)]
        print(f"  {name:<11} {r['rate']:8.0f} {r['p50']:7.2f} {r['p99']:7.2f} "
              f"{r['p50'] - direct['p50']:6.2f} {r['p99'] - direct['p99']:6.2f} "
              f"{r['rate'] / direct['rate']:8.2f} "
              f"{(format(r['cpu'], '10.2f') if 'cpu' in r else 'n/a'.rjust(10))} {int(r['errors']):4d}")


def print_summary(targets: dict[str, int], results: dict) -> None:
    print("\nratios (msgs/s)")
    cells = sorted({(k[0], k[2]) for k in results}, key=lambda c: (c[0], c[1]))
    for label, conns in cells:
        get = lambda n: results.get((label, n, conns), {}).get("rate")  # noqa: E731
        parts = []
        for num, den in (("replyguard", "zero-relay"), ("rg+policy", "zero-relay"), ("rg-noparse", "zero-relay"),
                         ("replyguard", "postfix"),
                         ("zero-relay", "direct"), ("postfix", "direct")):
            a, b = get(num), get(den)
            if a and b:
                parts.append(f"{num}/{den} {a / b:.2f}")
        cpu = lambda n: results.get((label, n, conns), {}).get("cpu")  # noqa: E731
        for name in ("replyguard", "rg+policy", "rg-noparse"):
            if cpu(name) and cpu("zero-relay"):
                parts.append(f"cpu {name}/zero-relay {cpu(name) / cpu('zero-relay'):.2f}")
        print(f"  {label:<17} c={conns:<2}  " + "  ".join(parts))


if __name__ == "__main__":
    sys.exit(main())
