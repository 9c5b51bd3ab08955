"""Inbound annotation throughput: messages/s and p99 per message, warm and cold DNS cache.

    .venv/bin/python bench/inbound.py [--warm N] [--cold N] [--store]

What is measured: the whole `annotate` pipeline (strip forged headers, DKIM + SPF + DMARC +
ARC, reply-path lookups, sender class, complaint classifier, header rendering) on a 4 KB
DKIM-signed mail (rsa-sha256, 2048-bit key made for the run with dkimpy), one message
after another on one event loop — i.e. one core. DNS answers come from a real local DNS
server (shared/tools/dnsfixture.py on 127.0.0.1):

* warm: the resolver's TTL cache already holds every answer (the steady state of a
  gateway that sees the same senders all day);
* cold: the cache is emptied before each message, so every lookup goes over UDP to the
  local server (the first mail of a new sender, minus real-world network latency).

Target (issue 5): >= 300 msg/s warm on one core.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import subprocess
import sys
import tempfile
import time
from email.header import Header
from pathlib import Path

import dkim
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from proxy.inbound.annotate import annotate  # noqa: E402
from proxy.inbound.dns import DnspythonResolver, TtlCache  # noqa: E402

DNSFIXTURE = REPO.parent / "shared" / "tools" / "dnsfixture.py"
TARGET_WARM = 300.0


def make_key() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, base64.b64encode(pub).decode("ascii")


def make_message(pem: bytes, size: int = 4096) -> bytes:
    """A Japanese customer question of about `size` bytes, signed for corp.test."""
    line = "先日購入した商品の配送について確認させてください。注文番号は 12345 です。\n"
    text = ""
    while len(text.encode("iso-2022-jp")) < size - 1250:
        text += line
    body = text.encode("iso-2022-jp").replace(b"\n", b"\r\n")
    head = (
        "Received: from mx.corp.test (mx.corp.test [192.0.2.17])\r\n"
        "\tby mx.shop.example (Postfix) with ESMTPS id BENCH1\r\n"
        "\tfor <support@shop.example>; Thu, 26 Nov 2026 09:00:00 +0000\r\n"
        "Date: Thu, 26 Nov 2026 18:00:00 +0900\r\n"
        "From: %s <taro.yamada@corp.test>\r\n"
        "To: support@shop.example\r\n"
        "Subject: %s\r\n"
        "Message-ID: <bench-1@corp.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
        "Content-Transfer-Encoding: 7bit\r\n\r\n"
    ) % (Header("山田 太郎", "iso-2022-jp").encode(), Header("配送日について", "iso-2022-jp").encode())
    raw = head.encode("ascii") + body
    sig = dkim.sign(raw, b"bench", b"corp.test", pem, include_headers=[b"from", b"to", b"subject", b"date",
                                                                       b"message-id"])
    return sig + raw


def zone(pub: str) -> dict:
    return {
        "corp.test": [{"MX": "10 mx.corp.test."}, {"TXT": "v=spf1 ip4:192.0.2.16/28 -all"}],
        "mx.corp.test": [{"A": "192.0.2.17"}],
        "_dmarc.corp.test": [{"TXT": "v=DMARC1; p=quarantine"}],
        "bench._domainkey.corp.test": [{"TXT": "v=DKIM1; k=rsa; p=" + pub}],
    }


async def run(raw: bytes, nameserver: str, n: int, *, cold: bool, store) -> tuple[list[float], float]:
    cache = TtlCache()
    resolver = DnspythonResolver(nameserver, cache=cache)
    kwargs = dict(client_ip="192.0.2.17", helo="mx.corp.test", mail_from="taro.yamada@corp.test",
                  resolver=resolver, authserv_id="replyguard.bench", store=store)
    out = await annotate(raw, **kwargs)  # warm-up: imports, PSL, cache fill
    assert b"dkim=pass" in out and b"X-Sender-Anonymity: identified" in out, out[:1200]
    times = []
    cpu0 = time.process_time()
    for _ in range(n):
        if cold:
            cache.clear()
        t0 = time.perf_counter()
        await annotate(raw, **kwargs)
        times.append(time.perf_counter() - t0)
    return times, time.process_time() - cpu0


def report(label: str, result: tuple[list[float], float]) -> float:
    """Wall-clock rate and latencies, plus the rate one fully available core would give
    (messages / CPU seconds of this process) — the figure that does not depend on what
    else the machine is doing."""
    times, cpu = result
    rate = len(times) / sum(times)
    cpu_rate = len(times) / cpu if cpu > 0 else float("inf")
    p50 = statistics.median(times) * 1000
    p99 = sorted(times)[max(0, int(len(times) * 0.99) - 1)] * 1000
    print("%-5s  %6d msgs  %8.1f msg/s wall  %8.1f msg/s per CPU-second  p50 %6.2f ms  p99 %6.2f ms"
          % (label, len(times), rate, cpu_rate, p50, p99))
    return cpu_rate


def breakdown(raw: bytes, n: int = 300) -> None:
    """CPU per message of the two shared stages the pipeline calls (to tell where time goes)."""
    from proxy.inbound.classify import classify
    from proxy.message import parse

    t0 = time.process_time()
    for _ in range(n):
        parsed = parse(raw)
    t1 = time.process_time()
    for _ in range(n):
        classify(parsed)
    t2 = time.process_time()
    print("of which: message.parse %.2f ms, classify %.2f ms per message (CPU)"
          % ((t1 - t0) / n * 1000, (t2 - t1) / n * 1000))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warm", type=int, default=2000, help="messages with a warm DNS cache")
    ap.add_argument("--cold", type=int, default=300, help="messages with a cold DNS cache")
    ap.add_argument("--store", action="store_true", help="also remember each message in a SQLite store")
    args = ap.parse_args()

    pem, pub = make_key()
    raw = make_message(pem)
    with tempfile.TemporaryDirectory(prefix="bench-inbound-") as tmp:
        zpath = Path(tmp) / "zone.yaml"
        zpath.write_text(yaml.safe_dump(zone(pub)), encoding="utf-8")
        dns = subprocess.Popen([sys.executable, str(DNSFIXTURE), str(zpath)], stdout=subprocess.PIPE, text=True)
        try:
            assert dns.stdout is not None
            port = dns.stdout.readline().strip()
            nameserver = "127.0.0.1:%s" % port
            store = None
            if args.store:
                from proxy.store import SQLiteStore

                store = SQLiteStore(Path(tmp) / "replyguard.db")
            print("inbound annotate bench: %d-byte DKIM-signed mail, DNS at %s, store %s"
                  % (len(raw), nameserver, "on" if store else "off"))
            warm = report("warm", asyncio.run(run(raw, nameserver, args.warm, cold=False, store=store)))
            report("cold", asyncio.run(run(raw, nameserver, args.cold, cold=True, store=store)))
            breakdown(raw)
        finally:
            dns.kill()
            dns.wait()
    print("target >= %.0f msg/s warm on one core: %s (%.1f msg/s per CPU-second)"
          % (TARGET_WARM, "met" if warm >= TARGET_WARM else "NOT met", warm))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
