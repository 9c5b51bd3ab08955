"""Reading one message after DATA, shared by both doors (submission and inbound).

Why not aiosmtpd's own reader: it reads line by line, and its idle timeout restarts with
every line, so a client trickling a line every few seconds holds the connection (and the
message, and a slot) for ever. This reader takes large blocks and bounds the *whole*
transfer by `limits.timeouts.client_data`: past it the client gets `451 4.4.2` and must be
disconnected (the rest of its message is still on the wire), and nothing is passed on.
"""
from __future__ import annotations

import asyncio

from proxy.smtp import replies

TERMINATOR = b"\r\n.\r\n"
MAX_LINE = 998
"""RFC 5322 2.1.1: at most 998 characters per line, CRLF excluded."""
READ_BLOCK = 1 << 18


class BlockDataReader:
    """Mixin for aiosmtpd's `SMTP`: `_read_data` reads the message up to CRLF.CRLF.

    The protocol sets `data_timeout` (seconds, None = no limit) per connection; after a
    timeout `data_timed_out` is True and the caller must answer and close the transport.
    `data_wire` is the message as received (dot-stuffed) when every line ends in CRLF, so a
    relay can send the client's own bytes on.
    """

    # Commands are still capped by aiosmtpd's per-command limit (512); the bigger stream
    # limit only lets the reader buffer big DATA blocks instead of pausing every 2 KB.
    line_length_limit = 1 << 17
    data_timeout: float | None = None
    data_timed_out = False
    data_wire: bytes | None = None

    def _unread(self, data: bytes) -> None:
        """Give back bytes read past the end of DATA (a pipelining client) to the reader."""
        if data:
            self._reader._buffer[0:0] = data  # type: ignore[attr-defined]

    async def _read_data(self) -> tuple[bytes | None, replies.Reply | None, int]:
        """Read up to CRLF.CRLF in large blocks; returns (content, problem, size).

        The buffer starts with the CRLF that ended the DATA command, so an empty message
        and a first line that is a lone dot are found by the same search. The content is
        un-dot-stuffed with one bytes.replace (RFC 5321 4.5.2). Over the size limit the
        data is drained and dropped, and the reply is sent only at the end (RFC 5321 4.2.5).
        """
        limit = self.data_size_limit or 0  # type: ignore[attr-defined]
        buf = bytearray(b"\r\n")
        scan = 0
        dropped = 0
        reader = self._reader  # type: ignore[attr-defined]
        self.data_timed_out = False
        try:
            # The idle timeout restarts with every block; this bounds the whole transfer, so a
            # client dribbling a byte now and then cannot hold a connection (and a slot) forever.
            async with asyncio.timeout(self.data_timeout):
                while True:
                    chunk = await reader.read(READ_BLOCK)
                    if not chunk:
                        raise ConnectionResetError("client closed the connection during DATA")
                    self._reset_timeout()  # type: ignore[attr-defined]
                    buf += chunk
                    idx = buf.find(TERMINATOR, scan)
                    if idx >= 0:
                        break
                    scan = max(0, len(buf) - 4)
                    if limit and len(buf) + dropped > limit + 2:
                        dropped += len(buf) - 4
                        del buf[:-4]
                        scan = 0
        except TimeoutError:
            self.data_timed_out = True  # the rest of the message is still on the wire: hang up
            return None, replies.fmt(replies.DATA_TIMEOUT, limit=f"{self.data_timeout:g}"), dropped + len(buf)
        self._unread(bytes(buf[idx + 5:]))
        size = dropped + idx
        if dropped:
            return None, replies.fmt(replies.TOO_BIG, limit=limit), size
        wire = bytes(memoryview(buf)[2: idx + 5])  # as received: dot-stuffed, ending in CRLF "." CRLF
        body = bytes(memoryview(buf)[: idx + 2])
        del buf
        if b"\r\n." in body:
            body = body.replace(b"\r\n.", b"\r\n")
        content = body[2:]
        # The upstream can get the client's own bytes (no second normalise + dot-stuff pass)
        # when every line ends in CRLF; bare CR/LF take aiosmtplib's normalising path.
        crlf = content.count(b"\r\n")
        self.data_wire = wire if content and content.count(b"\n") == crlf == content.count(b"\r") else None
        if limit and len(content) > limit:
            return None, replies.fmt(replies.TOO_BIG, limit=limit), len(content)
        if content and max(map(len, content.split(b"\n"))) > MAX_LINE + 1:  # +1: the CR; split is C-fast
            line_no = next(i for i, ln in enumerate(content.split(b"\n"), 1) if len(ln.rstrip(b"\r")) > MAX_LINE)
            return None, replies.fmt(replies.LINE_TOO_LONG, line=line_no), len(content)
        return content, None, len(content)
