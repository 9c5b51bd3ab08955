"""A tiny local webmail for the demo and the end-to-end tests: the far side of the proxy.

It plays three mail APIs well enough for a client — a JMAP endpoint (`/jmap/session`,
`/jmap/api/`), Gmail's `messages.send` and drafts, Graph's `sendMail`/`reply` and drafts — and records every
request that reaches it, byte for byte, as the aiosmtpd sink does for SMTP. `GET /` serves a
reply form (a customer's mail and a prefilled answer) whose Send button submits the reply
over JMAP and shows the server's answer — so a refusal from replyguard is visible in the
browser. Only ever listens on 127.0.0.1.

    python -m addons.demo_webmail --port 8025 [--state-dir var]   # --state-dir: store the
                                                                   # demo original for the engine
"""
from __future__ import annotations

import argparse
import json
import re
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from addons.demo_page import ORIGINAL, PAGE


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def jmap_answer(request: dict, serial: int) -> dict:
    """Every /set create succeeds with a fresh id; other calls get an empty answer."""
    responses = []
    for name, args, call_id in request.get("methodCalls", []):
        if name.endswith("/set"):
            created = {k: {"id": f"{name[0]}{serial}-{k}", "blobId": f"B{serial}-{k}", "threadId": "T1"}
                       for k in (args.get("create") or {})}
            responses.append([name, {"accountId": args.get("accountId"), "oldState": str(serial),
                                     "newState": str(serial + 1), "created": created or None}, call_id])
        else:
            responses.append([name, {"accountId": args.get("accountId"), "list": []}, call_id])
    return {"methodResponses": responses, "sessionState": "demo-1"}


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, format: str, *args: object) -> None:  # tests and demo stay quiet
        pass

    def _answer(self, status: int, body: bytes = b"", ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path in ("/", "/index.html"):
            self._answer(200, PAGE.encode(), "text/html; charset=utf-8")
        elif self.path == "/jmap/session":
            session = {"apiUrl": "/jmap/api/", "accounts": {"demo": {"name": "support"}}, "state": "demo-1"}
            self._answer(200, json.dumps(session).encode())
        elif self.path == "/original.eml":
            self._answer(200, ORIGINAL, "message/rfc822")
        elif self.path == "/sent":
            sent = [{"method": r.method, "path": r.path, "body": r.body.decode("utf-8", "replace")} for r in self.server.records]
            self._answer(200, json.dumps(sent, ensure_ascii=False).encode())
        else:
            self._answer(404, b'{"error": "not found"}')

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        serial = self.server.record(Recorded("POST", self.path, dict(self.headers.items()), body))
        path = self.path.split("?", 1)[0]
        if path.startswith("/jmap/api"):
            self._answer(200, json.dumps(jmap_answer(json.loads(body or b"{}"), serial)).encode())
        elif re.search(r"/gmail/v1/users/[^/]+/(messages|drafts)/send$", path):
            self._answer(200, json.dumps({"id": f"g{serial}", "threadId": "t1", "labelIds": ["SENT"]}).encode())
        elif re.search(r"/gmail/v1/users/[^/]+/drafts$", path):
            self._answer(200, json.dumps({"id": f"r{serial}", "message": {"id": f"g{serial}", "threadId": "t1"}}).encode())
        elif re.search(r"/(sendMail|reply|replyAll|send)$", path, re.IGNORECASE):
            self._answer(202)
        elif re.search(r"^/(v1\.0|beta)/.+/messages$", path):  # Graph saves a draft: the resource, with its id
            self._answer(201, json.dumps({**json.loads(body or b"{}"), "id": f"AAMk{serial}"}).encode())
        else:
            self._answer(404, b'{"error": "not found"}')


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int):
        super().__init__(("127.0.0.1", port), _Handler)
        self.records: list[Recorded] = []
        self.lock = threading.Lock()

    def record(self, item: Recorded) -> int:
        with self.lock:
            self.records.append(item)
            return len(self.records)


class DemoWebmail:
    """The server as a context manager: `with DemoWebmail() as mail: mail.url, mail.records`.
    With `tls` (a server SSLContext) it speaks HTTPS, as the real APIs do."""

    def __init__(self, port: int = 0, tls: ssl.SSLContext | None = None):
        self.server = _Server(port)
        self.scheme = "https" if tls else "http"
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, name="demo-webmail", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def records(self) -> list[Recorded]:
        with self.server.lock:
            return list(self.server.records)

    def __enter__(self) -> "DemoWebmail":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def remember_original(state_dir: str | Path) -> None:
    """Put the demo's customer mail into the store, so the engine can compare the reply with it."""
    from proxy.message import parse
    from proxy.store import SQLiteStore

    SQLiteStore(Path(state_dir) / "replyguard.db").add_original(ORIGINAL, parse(ORIGINAL))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--state-dir", help="store the demo original in this state dir's store first")
    args = parser.parse_args(argv)
    if args.state_dir:
        remember_original(args.state_dir)
    with DemoWebmail(args.port) as mail:
        print(f"demo webmail on {mail.url}/ (requests recorded at {mail.url}/sent)", flush=True)
        try:
            mail.thread.join()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
