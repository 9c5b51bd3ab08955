"""Before-queue relay over real sockets: client -> replyguard -> aiosmtpd sink."""
from __future__ import annotations

import smtplib
import socket
import time
from pathlib import Path

import pytest
from smtp_sinks import Sink, SinkBehaviour, client_tls

from proxy.config import TimeoutsConfig

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "smtp"
ISO = (FIXTURES / "reply-iso2022jp.eml").read_bytes()
UTF8 = (FIXTURES / "reply-utf8-8bit.eml").read_bytes()


def client(gw, cert=None) -> smtplib.SMTP:
    c = smtplib.SMTP("127.0.0.1", gw.port, timeout=10)
    c.ehlo("agent.test")
    if cert is not None:
        c.starttls(context=client_tls(cert))
        c.ehlo("agent.test")
    return c


def test_starttls_both_sides_delivers_byte_identical(make_gateway, gateway_cert):
    with Sink(starttls=True) as sink:
        gw = make_gateway(sink, upstream_tls="starttls")
        with client(gw, gateway_cert[0]) as c:
            c.sendmail("agent@example.com", ["yamada@example.jp"], ISO)
            c.sendmail("agent@example.com", ["yamada@example.jp", "cc@example.jp"], UTF8,
                       mail_options=["BODY=8BITMIME"])
        got = sink.wait_for(2)
        assert [m.content for m in got] == [ISO, UTF8]
        assert got[1].rcpt_tos == ["yamada@example.jp", "cc@example.jp"]
        assert all(m.tls for m in got)
        assert "BODY=8BITMIME" in got[1].mail_options
        assert sink.connections == 1  # one upstream session reused for both messages


def test_client_gets_upstream_final_reply(make_gateway, sink):
    gw = make_gateway(sink)
    with client(gw) as c:
        c.mail("agent@example.com")
        c.rcpt("yamada@example.jp")
        code, text = c.data(ISO)
    assert code == 250 and b"queued as SINK1" in text


def test_size_and_smtputf8_pass_through(make_gateway, sink):
    gw = make_gateway(sink)
    with client(gw) as c:
        assert c.has_extn("smtputf8") and c.has_extn("8bitmime") and c.has_extn("size")
        c.sendmail("agent@例え.jp", ["山田@example.jp"], UTF8,
                   mail_options=["SMTPUTF8", "BODY=8BITMIME", f"SIZE={len(UTF8)}"])
    m = sink.wait_for(1)[0]
    assert m.mail_from == "agent@例え.jp" and m.rcpt_tos == ["山田@example.jp"]
    assert {"SMTPUTF8", "BODY=8BITMIME", f"SIZE={len(UTF8)}"} <= set(m.mail_options)
    assert m.content == UTF8


def test_refused_recipient_is_refused_at_rcpt_with_upstream_text(make_gateway, sink):
    sink.behaviour.rcpt_replies["nobody@example.jp"] = "550 5.1.1 <nobody@example.jp>: user unknown here"
    gw = make_gateway(sink)
    with client(gw) as c:
        c.mail("agent@example.com")
        code, text = c.rcpt("nobody@example.jp")
        assert (code, text) == (550, b"5.1.1 <nobody@example.jp>: user unknown here")
        assert c.rcpt("yamada@example.jp")[0] == 250
        assert c.data(ISO)[0] == 250
    m = sink.wait_for(1)
    assert len(m) == 1 and m[0].rcpt_tos == ["yamada@example.jp"]


@pytest.mark.parametrize("reply", ["451 4.3.0 queue full, later", "554 5.7.0 content refused by upstream"])
def test_upstream_error_at_data_is_passed_back(make_gateway, sink, reply):
    sink.behaviour.data_reply = reply
    gw = make_gateway(sink)
    with client(gw) as c:
        c.mail("agent@example.com")
        c.rcpt("yamada@example.jp")
        code, text = c.data(ISO)
        assert f"{code} {text.decode()}" == reply
        # the session goes on: the next message is relayed once the upstream recovers
        sink.behaviour.data_reply = None
        c.sendmail("agent@example.com", ["yamada@example.jp"], ISO)
    assert len(sink.wait_for(1)) == 1


def test_upstream_mail_refusal(make_gateway, sink):
    sink.behaviour.mail_reply = "553 5.7.1 sender not owned by user"
    gw = make_gateway(sink)
    with client(gw) as c:
        code, text = c.mail("boss@example.com")
    assert (code, text) == (553, b"5.7.1 sender not owned by user")


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_upstream_down_gives_451_and_readable_text(make_gateway, sink):
    gw = make_gateway(sink)
    sink.stop()
    with client(gw) as c:
        code, text = c.mail("agent@example.com")
    assert code == 451 and text.startswith(b"4.4.1 replyguard: mail server 127.0.0.1:")
    assert b"unreachable" in text and b"try again later" in text


def test_upstream_slow_past_timeout_at_data(make_gateway):
    with Sink(behaviour=SinkBehaviour(delay={"DATA": 1.5})) as sink:
        gw = make_gateway(sink, timeouts=TimeoutsConfig(connect=2, command=2, data=0.5))
        with client(gw) as c:
            c.mail("agent@example.com")
            c.rcpt("yamada@example.jp")
            t0 = time.monotonic()
            code, text = c.data(ISO)
            assert time.monotonic() - t0 < 1.4
        assert code == 451 and text.startswith(b"4.4.2 ") and b"did not answer in time" in text
        time.sleep(1.5)
        # before-queue cannot stop a slow upstream from finishing: at most one copy, never two
        assert len(sink.messages) <= 1


def test_upstream_slow_at_rcpt(make_gateway):
    with Sink(behaviour=SinkBehaviour(delay={"RCPT": 1.0})) as sink:
        gw = make_gateway(sink, timeouts=TimeoutsConfig(connect=2, command=0.3, data=2))
        with client(gw) as c:
            c.mail("agent@example.com")
            code, text = c.rcpt("yamada@example.jp")
            assert code == 451 and text.startswith(b"4.4.2")
            # the transaction is gone on both sides: DATA is refused, nothing delivered
            assert c.docmd("DATA")[0] == 503
        time.sleep(1.2)
        assert sink.messages == []


def test_upstream_drops_connection_mid_data(make_gateway, sink):
    sink.behaviour.drop_at_data = True
    gw = make_gateway(sink)
    with client(gw) as c:
        c.mail("agent@example.com")
        c.rcpt("yamada@example.jp")
        code, text = c.data(ISO)
        assert code == 451 and b"closed the connection" in text
        sink.behaviour.drop_at_data = False
        c.sendmail("agent@example.com", ["yamada@example.jp"], ISO)  # reconnects upstream
    assert [m.content for m in sink.wait_for(1)] == [ISO]
    assert sink.connections == 2


def test_client_disconnect_mid_data_delivers_nothing(make_gateway, sink):
    gw = make_gateway(sink)
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
    f = s.makefile("rb")
    f.readline()
    for cmd in (b"EHLO x\r\n", b"MAIL FROM:<agent@example.com>\r\n", b"RCPT TO:<yamada@example.jp>\r\n", b"DATA\r\n"):
        s.sendall(cmd)
        while True:
            line = f.readline()
            if line[3:4] != b"-":
                break
    s.sendall(ISO[:200])
    s.close()
    time.sleep(0.3)
    assert sink.messages == []
    with client(gw) as c:  # the gateway goes on
        c.sendmail("agent@example.com", ["yamada@example.jp"], ISO)
    assert len(sink.wait_for(1)) == 1


def test_eight_bit_undeclared_is_relayed_when_upstream_speaks_8bitmime(make_gateway, sink):
    gw = make_gateway(sink)  # limits.undeclared_8bit: auto (msmtp and scripts never declare it)
    with client(gw) as c:
        c.sendmail("agent@example.com", ["yamada@example.jp"], UTF8)
    assert [m.content for m in sink.wait_for(1)] == [UTF8]


def test_eight_bit_on_a_7bit_path_is_refused_clearly(make_gateway):
    with Sink(eightbit=False) as sink:
        gw = make_gateway(sink)
        with client(gw) as c:
            assert c.has_extn("8bitmime")
            code, text = c.mail("agent@example.com", ["BODY=8BITMIME"])
            assert code == 555 and b"does not support 8BITMIME" in text
            c.mail("agent@example.com")
            c.rcpt("yamada@example.jp")
            code, text = c.data(UTF8)
            assert code == 554 and text.startswith(b"5.6.1 ") and b"BODY=8BITMIME" in text
            c.sendmail("agent@example.com", ["yamada@example.jp"], ISO)  # 7-bit ISO-2022-JP is fine
        assert [m.content for m in sink.wait_for(1)] == [ISO]


def test_eight_bit_undeclared_strict_mode(make_gateway, sink):
    gw = make_gateway(sink)
    gw.config.limits.undeclared_8bit = "reject"
    with client(gw) as c:
        c.mail("agent@example.com")
        c.rcpt("yamada@example.jp")
        assert c.data(UTF8)[0] == 554
        c.sendmail("agent@example.com", ["yamada@example.jp"], UTF8, mail_options=["BODY=8BITMIME"])
    assert [m.content for m in sink.wait_for(1)] == [UTF8]


def test_header_line_too_long(make_gateway, sink):
    gw = make_gateway(sink)
    msg = b"From: a@example.com\r\nX-Long: " + b"x" * 1200 + b"\r\n\r\nbody\r\n"
    with client(gw) as c:
        c.mail("agent@example.com")
        c.rcpt("yamada@example.jp")
        code, text = c.data(msg)
        assert code == 554 and b"line 2 is longer than 998" in text
        c.sendmail("agent@example.com", ["yamada@example.jp"], ISO)
    assert [m.content for m in sink.wait_for(1)] == [ISO]


def test_message_over_size_limit(make_gateway, sink):
    gw = make_gateway(sink, max_message_size=50_000)
    big = ISO + (b"y" * 98 + b"\r\n") * 1000
    with client(gw) as c:
        assert c.docmd("MAIL FROM:<a@example.com> SIZE=999999")[0] == 552
        c.mail("agent@example.com")
        c.rcpt("yamada@example.jp")
        code, text = c.data(big)
        assert code == 552 and b"5.3.4" in text and b"limit 50000" in text
        c.sendmail("agent@example.com", ["yamada@example.jp"], ISO)
    assert [m.content for m in sink.wait_for(1)] == [ISO]


def test_dot_lines_and_empty_message(make_gateway, sink):
    gw = make_gateway(sink)
    msg = b".\r\n..\r\nSubject: dots\r\n\r\n.\r\n. x\r\n"
    with client(gw) as c:
        c.sendmail("agent@example.com", ["yamada@example.jp"], msg)
        c.sendmail("agent@example.com", ["yamada@example.jp"], b"")
    got = sink.wait_for(2)
    assert got[0].content == msg and got[1].content == b"\r\n"  # smtplib ends every message with CRLF


def test_too_many_recipients(make_gateway, sink):
    gw = make_gateway(sink, max_recipients=2)
    with client(gw) as c:
        c.mail("agent@example.com")
        assert c.rcpt("a@example.jp")[0] == 250
        assert c.rcpt("b@example.jp")[0] == 250
        code, text = c.rcpt("c@example.jp")
    assert code == 452 and text.startswith(b"4.5.3")


def test_maildir_default_without_upstream(make_gateway, tmp_path):
    gw = make_gateway(None)
    with client(gw) as c:
        c.mail("agent@example.com")
        c.rcpt("yamada@example.jp")
        code, text = c.data(ISO)
    assert code == 250 and b"delivered to local maildir" in text
    path = Path(text.decode().split("maildir ")[1].split(" ")[0])
    assert path.parent == tmp_path / "state" / "outbox" / "new"
    data = path.read_bytes()
    assert data == b"Return-Path: <agent@example.com>\r\nDelivered-To: yamada@example.jp\r\n" + ISO
    assert list((tmp_path / "state" / "outbox" / "tmp").iterdir()) == []


def test_too_many_connections(make_gateway, sink):
    gw = make_gateway(sink, max_connections=1)
    with client(gw):
        with pytest.raises(smtplib.SMTPConnectError) as exc:
            smtplib.SMTP("127.0.0.1", gw.port, timeout=5)
        assert exc.value.smtp_code == 421


def test_bare_newlines_are_normalised_not_smuggled(make_gateway, sink):
    """Bare LF lines take the normalising path; a bare-LF "." line cannot end the message."""
    gw = make_gateway(sink)
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
    f = s.makefile("rb")
    f.readline()

    def cmd(line: bytes) -> bytes:
        s.sendall(line)
        while True:
            reply = f.readline()
            if reply[3:4] != b"-":
                return reply

    cmd(b"EHLO x\r\n")
    cmd(b"MAIL FROM:<agent@example.com>\r\n")
    cmd(b"RCPT TO:<yamada@example.jp>\r\n")
    assert cmd(b"DATA\r\n").startswith(b"354")
    reply = cmd(b"Subject: lf\nbare line\n.\nMAIL FROM:<evil@example.com>\r\nlast\r\n.\r\n")
    assert reply.startswith(b"250")
    cmd(b"QUIT\r\n")
    s.close()
    got = sink.wait_for(1)
    assert len(got) == 1
    assert got[0].content == b"Subject: lf\r\nbare line\r\n.\r\nMAIL FROM:<evil@example.com>\r\nlast\r\n"


def test_implicit_tls_listener_and_implicit_tls_upstream(make_gateway, gateway_cert):
    from proxy.config import ListenerConfig

    with Sink(implicit_tls=True) as sink:
        gw = make_gateway(sink, upstream_tls="implicit",
                          listeners=[ListenerConfig(address="127.0.0.1:0", tls="implicit")])
        with smtplib.SMTP_SSL("127.0.0.1", gw.port, timeout=10, context=client_tls(gateway_cert[0])) as c:
            c.ehlo("agent.test")
            assert not c.has_extn("starttls")
            c.sendmail("agent@example.com", ["yamada@example.jp"], ISO)
        assert [m.content for m in sink.wait_for(1)] == [ISO]


def test_upstream_certificate_is_verified_by_default(make_gateway):
    with Sink(starttls=True) as sink:
        gw = make_gateway(sink, upstream_tls="starttls")
        gw.config.upstream.ca_file = None  # the sink's self-signed certificate is not trusted now
        with client(gw) as c:
            code, text = c.mail("agent@example.com")
        assert code == 451 and text.startswith(b"4.7.5 replyguard: TLS with mail server")
        assert b"CERTIFICATE_VERIFY_FAILED" in text or b"certificate" in text.lower()
        assert sink.messages == []


def test_null_sender_for_read_receipts(make_gateway, sink):
    gw = make_gateway(sink)
    mdn = b"From: agent@example.com\r\nTo: c@example.jp\r\nSubject: Read: hi\r\n\r\nread\r\n"
    with client(gw) as c:
        assert c.docmd("MAIL FROM:<>")[0] == 250
        assert c.rcpt("c@example.jp")[0] == 250
        assert c.data(mdn)[0] == 250
    m = sink.wait_for(1)[0]
    assert m.mail_from == "<>" and m.content == mdn  # aiosmtpd's spelling of the null path


def test_upstream_without_starttls_is_a_tls_failure_not_a_plaintext_fallback(make_gateway, sink):
    gw = make_gateway(sink, upstream_tls="starttls")  # the plain sink offers no STARTTLS
    with client(gw) as c:
        code, text = c.mail("agent@example.com")
    assert code == 451 and text.startswith(b"4.7.5 replyguard: TLS with mail server") and b"STARTTLS" in text
    assert sink.messages == []


def test_any_message_arrives_byte_identical(make_gateway, sink):
    """Property: whatever lines a client sends (dots, empty lines, 8-bit), the upstream gets them unchanged."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    gw = make_gateway(sink)
    line = st.lists(st.sampled_from([".", "..", "...", ". x", "x.", "", "Subject: 件名", "本文", "\t", " ", "a" * 80]),
                    max_size=6).map("".join)
    c = client(gw)

    @settings(max_examples=60, deadline=None)
    @given(st.lists(line, min_size=1, max_size=25))
    def roundtrip(lines):
        msg = ("\r\n".join(lines) + "\r\n").encode()
        before = len(sink.messages)
        c.sendmail("agent@example.com", ["yamada@example.jp"], msg, mail_options=["BODY=8BITMIME"])
        got = sink.wait_for(before + 1)
        assert got[before].content == msg

    try:
        roundtrip()
    finally:
        c.quit()


def test_helo_client_and_reset_mid_transaction(make_gateway, sink):
    gw = make_gateway(sink)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        assert c.helo("old.client")[0] == 250
        assert c.mail("agent@example.com")[0] == 250
        assert c.rcpt("yamada@example.jp")[0] == 250
        assert c.helo("old.client")[0] == 250  # resets the transaction here and upstream
        assert c.docmd("DATA")[0] == 503
        c.sendmail("agent@example.com", ["c@example.jp"], b"Subject: plain\r\n\r\nhi\r\n")
    got = sink.wait_for(1)
    assert len(got) == 1 and got[0].rcpt_tos == ["c@example.jp"]
