"""End to end through real peers: swaks → `replyguard inbound` → aiosmtpd sink.

What must hold (DESIGN.md, before-queue): the sink gets the annotated copy with our four
headers and the customer's body unchanged; the sender gets 250 only after the sink said
250; a refused recipient is refused to the sender; a sink that is down gives 451. The
original is then in the store, and `replyguard check` on a reply finds it by In-Reply-To.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dnsfixture_proc import dns_server
from test_annotate import FIXTURES, OUR_ID, added_headers, body, signed  # noqa: F401 - fixture reuse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from smtp_sinks import Sink, SinkBehaviour  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SWAKS = shutil.which("swaks")
RG = [sys.executable, "-m", "proxy"]
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


@pytest.fixture(scope="module")
def dns(signed):  # noqa: F811
    with dns_server(signed[1]) as ns:
        yield ns


class Inbound:
    """`replyguard inbound` as a process; stopped by its pid."""

    def __init__(self, next_hop: str, nameserver: str, state_dir: Path, *extra: str):
        self.proc = subprocess.Popen(
            RG + ["inbound", "--listen", "127.0.0.1:0", "--next-hop", next_hop, "--nameserver", nameserver,
                  "--state-dir", str(state_dir), "--authserv-id", OUR_ID, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=ENV, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        m = re.search(r"listening on ([\d.]+):(\d+)", line)
        if not m:
            self.stop()
            raise RuntimeError("inbound did not start: %r %s" % (line, self.proc.stderr.read() if self.proc.stderr else ""))
        self.address = "%s:%s" % (m.group(1), m.group(2))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def sink():
    with Sink() as s:
        yield s


@pytest.fixture
def inbound(sink, dns, tmp_path):
    server = Inbound("127.0.0.1:%d" % sink.port, dns, tmp_path)
    yield server
    server.stop()


def swaks(server: str, data: Path, *, to: str = "support@shop.example", extra: tuple[str, ...] = ()):
    assert SWAKS, "swaks is installed by scripts/sysdeps.sh"
    return subprocess.run(
        [SWAKS, "--server", server, "--from", "taro.yamada@corp.test", "--to", to, "--helo", "mx.corp.test",
         "--data", "@" + str(data), "--timeout", "30", *extra],
        capture_output=True, text=True, timeout=60,
    )


def test_swaks_to_sink_annotated_stored_and_matched_by_check(signed, inbound, sink, tmp_path):  # noqa: F811
    raw = signed[0]
    msg = tmp_path / "in.eml"
    msg.write_bytes(raw)
    result = swaks(inbound.address, msg)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"<-\s+250 2\.0\.0 queued as SINK1", result.stdout), result.stdout  # the sink's own reply

    assert len(sink.messages) == 1
    got = sink.messages[0]
    assert got.mail_from == "taro.yamada@corp.test" and got.rcpt_tos == ["support@shop.example"]
    h = added_headers(got.content)
    assert h["authentication-results"].startswith(OUR_ID + ";")
    assert re.search(r"\bdkim=pass\b", h["authentication-results"])
    assert re.search(r"\bdmarc=pass\b", h["authentication-results"])
    # the session's client IP (127.0.0.1) is what SPF saw: not in corp.test's -all record
    assert re.search(r"\bspf=fail\b", h["authentication-results"])
    assert h["x-sender-anonymity"].startswith("identified;")
    assert h["x-sender-class"] == "corporate"
    assert re.match(r"(complaint|question|other); score=", h["x-support-category"])
    assert body(got.content).rstrip(b"\r\n") == body(raw).rstrip(b"\r\n")

    # one compliance record, in the same hash chain `replyguard audit verify` checks
    records = [json.loads(line) for f in sorted((tmp_path / "audit").glob("*.jsonl"))
               for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    inbound_records = [r for r in records if r.get("door") == "inbound"]
    assert len(inbound_records) == 1
    assert inbound_records[0]["outcome"] == "delivered"
    assert inbound_records[0]["message_id"] == "corporate-1@corp.test"
    assert inbound_records[0]["detail"]["sender_class"] == "corporate"
    verify = subprocess.run(RG + ["audit", "verify", "--state-dir", str(tmp_path)], capture_output=True,
                            cwd=REPO, env=ENV, timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr

    # the original is remembered; a reply to it is checked against it (no --original)
    def check(reply: str) -> dict:
        proc = subprocess.run(RG + ["check", str(FIXTURES / reply), "--state-dir", str(tmp_path), "--json"],
                              capture_output=True, cwd=REPO, env=ENV, timeout=60)
        assert proc.returncode in (0, 1), proc.stderr.decode()
        return json.loads(proc.stdout)

    changed = check("reply-subject-changed.eml")
    assert "subject-changed" in {f["rule"] for f in changed["findings"]}
    kept = check("reply-subject-kept.eml")
    assert "subject-changed" not in {f["rule"] for f in kept["findings"]}


def test_refused_recipient_is_refused_to_the_sender(inbound, sink, tmp_path):
    sink.behaviour = SinkBehaviour(rcpt_replies={"nobody@shop.example": "550 5.1.1 no such user"})
    msg = tmp_path / "in.eml"
    msg.write_bytes((FIXTURES / "slow-domain.eml").read_bytes().replace(b"slow.test", b"corp.test"))
    result = swaks(inbound.address, msg, to="nobody@shop.example")
    assert result.returncode != 0
    assert "550 5.1.1 no such user" in result.stdout
    assert sink.messages == []


def test_next_hop_data_refusal_is_passed_back(inbound, sink, tmp_path):
    sink.behaviour = SinkBehaviour(data_reply="554 5.7.0 content refused")
    msg = tmp_path / "in.eml"
    msg.write_bytes((FIXTURES / "slow-domain.eml").read_bytes().replace(b"slow.test", b"corp.test"))
    result = swaks(inbound.address, msg)
    assert result.returncode != 0
    assert "554 5.7.0 content refused" in result.stdout


def test_next_hop_down_gives_451(dns, tmp_path):
    with Sink() as s:
        dead = "127.0.0.1:%d" % s.port
    server = Inbound(dead, dns, tmp_path)
    try:
        msg = tmp_path / "in.eml"
        msg.write_bytes((FIXTURES / "slow-domain.eml").read_bytes().replace(b"slow.test", b"corp.test"))
        start = time.monotonic()
        result = swaks(server.address, msg)
        assert result.returncode != 0
        assert re.search(r"<\*\*\s+451 4\.4\.\d", result.stdout), result.stdout
        assert time.monotonic() - start < 30
    finally:
        server.stop()


def test_lmtp_listener_answers_per_recipient(signed, sink, dns, tmp_path):  # noqa: F811
    server = Inbound("127.0.0.1:%d" % sink.port, dns, tmp_path, "--lmtp")
    try:
        msg = tmp_path / "in.eml"
        msg.write_bytes(signed[0])
        result = swaks(server.address, msg, to="a@shop.example,b@shop.example", extra=("--protocol", "LMTP"))
        assert result.returncode == 0, result.stdout
        assert len(re.findall(r"<-\s+250 2\.0\.0 queued as SINK1", result.stdout)) == 2, result.stdout
        assert sink.messages[0].rcpt_tos == ["a@shop.example", "b@shop.example"]
        assert "x-sender-class" in added_headers(sink.messages[0].content)
    finally:
        server.stop()


class LmtpSink:
    """A Dovecot-like LMTP next hop: DATA answered per recipient; `full@…` fails after DATA."""

    def __init__(self) -> None:
        from aiosmtpd.lmtp import LMTP
        from smtp_sinks import LoopThread

        self.messages: list[tuple[list[str], bytes]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content or b"")))
                return "\r\n".join(
                    "452 4.2.2 <%s> mailbox full" % r if r.startswith("full@") else "250 2.0.0 <%s> saved" % r
                    for r in envelope.rcpt_tos
                )

        self._lt = LoopThread("lmtp-sink")

        async def serve():
            import asyncio

            return await asyncio.get_running_loop().create_server(
                lambda: LMTP(Handler(), hostname="lmtp.test"), "127.0.0.1", 0)

        self._server = self._lt.call(serve())
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close():
            self._server.close()

        self._lt.call(close())
        self._lt.close()


def test_lmtp_both_sides_each_recipient_gets_the_next_hops_answer(signed, dns, tmp_path):  # noqa: F811
    sink = LmtpSink()
    server = Inbound("127.0.0.1:%d" % sink.port, dns, tmp_path, "--lmtp", "--next-hop-lmtp")
    try:
        msg = tmp_path / "in.eml"
        msg.write_bytes(signed[0] + b".leading dot line\r\n")
        result = swaks(server.address, msg, to="a@shop.example,full@shop.example", extra=("--protocol", "LMTP"))
        assert re.search(r"<-\s+250 2\.0\.0 <a@shop\.example> saved", result.stdout), result.stdout
        assert re.search(r"<\*\*\s+452 4\.2\.2 <full@shop\.example> mailbox full", result.stdout), result.stdout
        rcpts, content = sink.messages[0]
        assert rcpts == ["a@shop.example", "full@shop.example"]
        assert "x-sender-anonymity" in added_headers(content)
        assert b"\r\n.leading dot line\r\n" in content  # dot-stuffed by us, un-stuffed by the next hop
    finally:
        server.stop()
        sink.stop()


def test_smtp_listener_in_front_of_lmtp_next_hop(dns, tmp_path):
    sink = LmtpSink()
    server = Inbound("127.0.0.1:%d" % sink.port, dns, tmp_path, "--next-hop-lmtp")
    try:
        msg = tmp_path / "in.eml"
        msg.write_bytes((FIXTURES / "slow-domain.eml").read_bytes().replace(b"slow.test", b"corp.test"))
        result = swaks(server.address, msg)
        assert result.returncode == 0, result.stdout
        assert re.search(r"<-\s+250 2\.0\.0 <support@shop\.example> saved", result.stdout), result.stdout
    finally:
        server.stop()
        sink.stop()


# ----------------------------------------------------------------------------- the handler alone


class FakeHop:
    """Stands in for the next-hop session: records what it was sent, answers as told."""

    def __init__(self, answers):
        self.answers = answers
        self.sent: list[bytes] = []
        self.rsets = 0
        self.in_transaction = True
        self.connected = True

    async def data(self, content):
        self.sent.append(content)
        return self.answers

    async def rset(self):
        self.rsets += 1


def _handler_call(annotator, answers, *, lmtp=False, rcpts=("a@shop.example",)):
    import asyncio

    from aiosmtpd.smtp import Envelope, Session

    from proxy.config import TimeoutsConfig, UpstreamConfig
    from proxy.smtp.inbound import InboundHandler

    handler = InboundHandler(annotator, UpstreamConfig(host="127.0.0.1"), TimeoutsConfig(), lmtp=lmtp)
    server = type("Server", (), {})()
    server.next_hop = FakeHop(answers)

    async def run():
        session = Session(asyncio.get_running_loop())
        session.peer = ("192.0.2.1", 40000)
        session.host_name = "mx.corp.test"
        envelope = Envelope()
        envelope.mail_from = "taro.yamada@corp.test"
        envelope.rcpt_tos = list(rcpts)
        envelope.original_content = (FIXTURES / "slow-domain.eml").read_bytes()
        return await handler.handle_DATA(server, session, envelope)

    try:
        return asyncio.run(run()), server.next_hop
    finally:
        handler.close()


def test_annotation_failure_is_451_and_nothing_goes_on():
    async def broken(raw, **kw):
        raise RuntimeError("bug in a check")

    from proxy.smtp.upstream import Answer

    reply, hop = _handler_call(broken, Answer(250, "2.0.0 ok"))
    assert reply.startswith("451 4.3.0 ")
    assert hop.sent == [] and hop.rsets == 1


def test_session_values_reach_the_pipeline_and_lmtp_answers_per_recipient():
    from proxy.inbound.annotate import Annotation
    from proxy.inbound.anonymity import SenderVerdict
    from proxy.smtp.upstream import Answer

    seen = {}

    async def annotator(raw, **kw):
        seen.update(kw)
        return Annotation(b"X-Test: 1\r\n" + raw, "id; none", SenderVerdict("pseudonymous", ("x",), "unknown"),
                          "other", 0.5, 0)

    answers = [Answer(250, "2.0.0 <a@shop.example> saved"), Answer(452, "4.2.2 <b@shop.example> full")]
    reply, hop = _handler_call(annotator, answers, lmtp=True, rcpts=("a@shop.example", "b@shop.example"))
    assert seen == {"client_ip": "192.0.2.1", "helo": "mx.corp.test", "mail_from": "taro.yamada@corp.test"}
    assert hop.sent[0].startswith(b"X-Test: 1\r\n")
    assert reply.split("\r\n") == ["250 2.0.0 <a@shop.example> saved", "452 4.2.2 <b@shop.example> full"]


# ----------------------------------------------------------------------------- robustness, real sockets


class Client:
    """A raw SMTP client on a real socket (swaks cannot trickle or interleave)."""

    def __init__(self, address: str, timeout: float = 30):
        import socket

        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.buf = b""
        assert self.reply().startswith("220")

    def reply(self) -> str:
        """One whole reply (multi-line joined with \\n), or "" when the server hung up."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return "\n".join(lines)
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            if line[3:4] != b"-":
                return "\n".join(lines)

    def cmd(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def start(self, rcpt: str = "support@shop.example") -> None:
        assert self.cmd("EHLO mx.corp.test").startswith("250")
        assert self.cmd("MAIL FROM:<taro.yamada@corp.test>").startswith("250")
        assert self.cmd("RCPT TO:<%s>" % rcpt).startswith("250")

    def close(self) -> None:
        self.sock.close()


def test_client_trickling_data_is_cut_off_after_client_data(sink, dns, tmp_path):
    """limits.timeouts.client_data bounds the whole DATA transfer (as on the submission
    door): a header line every 0.6 s keeps the idle timer happy for ever, but after 2 s the
    client gets 451 4.4.2 and is disconnected, and nothing reaches the next hop."""
    cfg = tmp_path / "gw.yaml"
    cfg.write_text("limits:\n  timeouts: {client_idle: 30s, client_data: 2s}\n", encoding="utf-8")
    server = Inbound("127.0.0.1:%d" % sink.port, dns, tmp_path, "--config", str(cfg))
    try:
        c = Client(server.address)
        c.start()
        assert c.cmd("DATA").startswith("354")
        start = time.monotonic()
        reply = ""
        for i in range(40):  # up to 24 s of trickling
            try:
                c.sock.sendall(b"X-Trickle-%d: still typing\r\n" % i)
            except OSError:
                break
            c.sock.settimeout(0.6)
            try:
                reply = c.reply()
                break
            except TimeoutError:
                continue
        elapsed = time.monotonic() - start
        assert reply.startswith("451 4.4.2 "), reply
        assert 1.5 < elapsed < 5, elapsed
        c.sock.settimeout(5)
        assert c.reply() == ""  # disconnected
        c.close()
        time.sleep(0.3)
        assert sink.messages == []
        # the door still works for the next client
        ok = Client(server.address)
        ok.start()
        assert ok.cmd("DATA").startswith("354")
        ok.sock.sendall(b"From: taro.yamada@corp.test\r\nSubject: hi\r\n\r\nhello\r\n.\r\n")
        assert ok.reply().startswith("250"), "after a cut-off the next message must pass"
        ok.cmd("QUIT")
        ok.close()
        assert len(sink.messages) == 1
    finally:
        server.stop()


def test_deeply_nested_mail_is_delivered_annotated_and_does_not_stall_other_sessions(sink, dns, tmp_path):
    """1000-level MIME nesting: annotated (category other) and delivered, not 451; its
    parsing runs in a worker thread, so another session's commands keep being answered.
    (--log-level WARNING: at INFO aiosmtpd logs every NOOP, and a stderr pipe nobody reads
    would fill up and block the server.)"""
    import threading

    sys.path.insert(0, str(REPO / "tests"))
    from robust_mutate import dot_stuff, nested

    msg = nested(1000).replace(b"From: a@example.com", b"From: taro.yamada@corp.test")
    inbound = Inbound("127.0.0.1:%d" % sink.port, dns, tmp_path, "--log-level", "WARNING")
    other = Client(inbound.address)
    other.start("someone@shop.example")
    gaps: list[float] = []
    stop = threading.Event()

    def noop_loop() -> None:
        while not stop.is_set():
            t0 = time.monotonic()
            assert other.cmd("NOOP").startswith("250")
            gaps.append(time.monotonic() - t0)
            time.sleep(0.005)

    c = Client(inbound.address)
    c.start()
    assert c.cmd("DATA").startswith("354")
    pinger = threading.Thread(target=noop_loop)
    pinger.start()
    try:
        time.sleep(0.2)
        c.sock.sendall(dot_stuff(msg))
        reply = c.reply()
        time.sleep(0.1)
    finally:
        stop.set()
        pinger.join(10)
        inbound.stop()
    assert reply.startswith("250"), reply
    assert len(sink.messages) == 1
    h = added_headers(sink.messages[0].content)
    assert h["x-support-category"].startswith("other; score=0.00 (body not read"), h
    assert "dkim=none" in h["authentication-results"]
    assert body(sink.messages[0].content).rstrip(b"\r\n") == body(msg).rstrip(b"\r\n")
    assert gaps and max(gaps) < 0.15, "another session waited %.2fs for NOOP" % max(gaps)
    c.close()
    other.close()
