"""Just enough of the MTA side of the milter protocol to have OpenDKIM sign a message.

Why: `opendkim-testmsg` signs with rsa-sha1 (which RFC 8301 forbids verifiers
to accept), so to test with what a Postfix + OpenDKIM site really sends we
drive the `opendkim` milter itself over TCP, as Postfix would, and apply the
header it asks to insert. Protocol version 6; we offer no "no-reply" flags,
so every command gets an answer.
"""
from __future__ import annotations

import socket
import struct


def _send(sock: socket.socket, cmd: bytes, data: bytes = b"") -> None:
    sock.sendall(struct.pack("!I", len(data) + 1) + cmd + data)


def _recv(sock: socket.socket) -> tuple[bytes, bytes]:
    head = _exact(sock, 4)
    body = _exact(sock, struct.unpack("!I", head)[0])
    return body[:1], body[1:]


def _exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("milter closed the connection")
        buf += chunk
    return buf


def _z(*parts: str | bytes) -> bytes:
    return b"".join((p.encode() if isinstance(p, str) else p) + b"\0" for p in parts)


def _step(sock: socket.socket, cmd: bytes, data: bytes = b"") -> list[tuple[bytes, bytes]]:
    """Send one command and collect replies up to the final continue/accept."""
    _send(sock, cmd, data)
    replies = []
    while True:
        code, body = _recv(sock)
        replies.append((code, body))
        if code in (b"c", b"a", b"r", b"t", b"d", b"y"):
            return replies
        if code == b"p":  # progress
            continue


def sign_with_milter(raw: bytes, host: str, port: int, *, mail_from: str, rcpt: str) -> bytes:
    """Return `raw` with the header fields the milter added at end of message, inserted on top."""
    head, _, body = raw.partition(b"\r\n\r\n")
    headers: list[tuple[str, str]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\r\n" + line.decode())
        else:
            name, _, value = line.decode().partition(":")
            headers.append((name, value.lstrip(" ")))
    with socket.create_connection((host, port), timeout=10) as sock:
        _send(sock, b"O", struct.pack("!III", 6, 0x1FF, 0))
        code, _ = _recv(sock)
        assert code == b"O", code
        _send(sock, b"D", b"C" + _z("j", "mx.replyguard.test", "{daemon_name}", "MTA"))
        _step(sock, b"C", _z("localhost") + b"4" + struct.pack("!H", 25) + _z("127.0.0.1"))
        _step(sock, b"H", _z("localhost"))
        _send(sock, b"D", b"M" + _z("i", "4ABCD1234"))
        _step(sock, b"M", _z("<%s>" % mail_from))
        _step(sock, b"R", _z("<%s>" % rcpt))
        for name, value in headers:
            _step(sock, b"L", _z(name, value))
        _step(sock, b"N")
        for i in range(0, len(body), 65535):
            _step(sock, b"B", body[i:i + 65535])
        replies = _step(sock, b"E")
        _send(sock, b"Q")
    added = []
    for code, data in replies:
        if code == b"i":  # insheader: index, name, value
            _, rest = data[:4], data[4:]
            name, value = rest.rstrip(b"\0").split(b"\0", 1)
            added.append(name + b": " + value.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n"))
        elif code == b"h":  # addheader
            name, value = data.rstrip(b"\0").split(b"\0", 1)
            added.append(name + b": " + value.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n"))
    return b"".join(h + b"\r\n" for h in added) + raw
