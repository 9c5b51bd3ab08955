"""Many agents at once: every message delivered exactly once, sessions reused."""
from __future__ import annotations

import asyncio

import aiosmtplib

SESSIONS, PER_SESSION = 50, 10


def test_50_sessions_10_messages_each_exactly_once(make_gateway, sink):
    gw = make_gateway(sink)

    async def agent(i: int) -> list[int]:
        c = aiosmtplib.SMTP(hostname="127.0.0.1", port=gw.port, start_tls=False, timeout=20)
        await c.connect()
        codes = []
        for j in range(PER_SESSION):
            msg = (f"From: agent{i}@example.com\r\nTo: c@example.jp\r\nMessage-ID: <{i}.{j}@t>\r\n"
                   f"Subject: Re: 問い合わせ {i}/{j}\r\n\r\n本文 {i} {j}\r\n").encode()
            errors, _ = await c.sendmail(f"agent{i}@example.com", ["c@example.jp"], msg)
            assert errors == {}
            codes.append(250)
        await c.quit()
        return codes

    async def main() -> list[list[int]]:
        return await asyncio.gather(*(agent(i) for i in range(SESSIONS)))

    results = asyncio.run(main())
    assert sum(map(len, results)) == SESSIONS * PER_SESSION
    got = sink.wait_for(SESSIONS * PER_SESSION, timeout=10)
    ids = sorted(m.content.split(b"Message-ID: <")[1].split(b">")[0] for m in got)
    expected = sorted(f"{i}.{j}@t".encode() for i in range(SESSIONS) for j in range(PER_SESSION))
    assert ids == expected  # exactly once each
    assert sink.connections == SESSIONS  # one upstream session per client session
