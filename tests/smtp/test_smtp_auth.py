"""AUTH pass-through, account mode, and that credentials never reach a log line."""
from __future__ import annotations

import base64
import logging
import smtplib

import pytest
from smtp_sinks import Sink, client_tls

from proxy.config import AccountConfig, ListenerConfig
from proxy.smtp.accounts import UsersFile, hash_password, verify_password

MSG = b"From: agent@example.com\r\nTo: c@example.jp\r\nSubject: hi\r\n\r\nhello\r\n"
SECRET = "s3cret-Pa55"


@pytest.fixture
def auth_sink():
    with Sink(auth={"agent": SECRET}) as s:
        yield s


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_passthrough_good_password_over_starttls(make_gateway, gateway_cert, auth_sink, mech):
    gw = make_gateway(auth_sink, listeners=[ListenerConfig(address="127.0.0.1:0", auth_without_tls="never")])
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.ehlo("agent.test")
        assert not c.has_extn("auth")  # not offered before TLS
        c.starttls(context=client_tls(gateway_cert[0]))
        c.ehlo("agent.test")
        assert c.has_extn("auth")
        c.user, c.password = "agent", SECRET
        code, _ = c.auth(mech, getattr(c, f"auth_{mech.lower()}"))
        assert code == 235
        c.sendmail("agent@example.com", ["c@example.jp"], MSG)
        c.sendmail("agent@example.com", ["c@example.jp"], MSG)
    got = auth_sink.wait_for(2)
    assert [m.auth_user for m in got] == ["agent", "agent"] and got[0].content == MSG
    assert auth_sink.connections == 1


def test_passthrough_bad_password_is_535(make_gateway, auth_sink):
    gw = make_gateway(auth_sink)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.ehlo("agent.test")
        with pytest.raises(smtplib.SMTPAuthenticationError) as exc:
            c.login("agent", "wrong")
        assert exc.value.smtp_code == 535
        # not logged in: the upstream itself refuses the mail (530 passed through)
        code, text = c.mail("agent@example.com")
        assert code == 530
        c.login("agent", SECRET)
        c.sendmail("agent@example.com", ["c@example.jp"], MSG)
    assert len(auth_sink.wait_for(1)) == 1


def test_auth_refused_before_starttls_when_not_loopback_exempt(make_gateway, auth_sink):
    gw = make_gateway(auth_sink, listeners=[ListenerConfig(address="127.0.0.1:0", auth_without_tls="never")])
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.ehlo("agent.test")
        code, text = c.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0agent\0" + SECRET.encode()).decode())
    assert code == 538 and b"STARTTLS" in text


def test_auth_allowed_in_clear_on_loopback_by_default(make_gateway, auth_sink):
    gw = make_gateway(auth_sink)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.ehlo("agent.test")
        assert c.has_extn("auth")
        assert c.login("agent", SECRET)[0] == 235


def test_upstream_down_during_auth_is_temporary(make_gateway, auth_sink):
    gw = make_gateway(auth_sink)
    auth_sink.stop()
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.ehlo("agent.test")
        code, text = c.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0agent\0" + SECRET.encode()).decode())
    assert code == 454 and b"try again" in text


def test_credentials_never_logged(make_gateway, auth_sink, caplog):
    caplog.set_level(logging.DEBUG)
    gw = make_gateway(auth_sink)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.ehlo("agent.test")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            c.login("agent", SECRET + "x")
        c.login("agent", SECRET)
        c.sendmail("agent@example.com", ["c@example.jp"], MSG)
    encoded = base64.b64encode(b"\0agent\0" + SECRET.encode()).decode()
    text = caplog.text + repr([r.args for r in caplog.records])
    assert "agent" in text  # the user name is logged …
    assert SECRET not in text and encoded not in text and base64.b64encode(SECRET.encode()).decode() not in text


def test_account_mode_local_users_shared_upstream_login(make_gateway, auth_sink, tmp_path):
    pwfile = tmp_path / "upstream.pw"
    pwfile.write_text(SECRET + "\n")
    users = tmp_path / "users"
    UsersFile(users).set("hanako", "local-pw")
    gw = make_gateway(auth_sink, auth="account",
                      account=AccountConfig(user="agent", password_file=str(pwfile), users_file=str(users)))
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.ehlo("agent.test")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            c.login("hanako", "wrong")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            c.login("nobody", "local-pw")
        assert c.login("hanako", "local-pw")[0] == 235
        c.sendmail("agent@example.com", ["c@example.jp"], MSG)
    got = auth_sink.wait_for(1)
    assert got[0].auth_user == "agent"  # upstream saw the shared account


def test_password_hash_roundtrip():
    h = hash_password("パスワード")
    assert h.startswith("scrypt$") and verify_password(h, "パスワード")
    assert not verify_password(h, "password") and not verify_password("garbage", "x")


def test_passthrough_login_replayed_after_upstream_reconnect(make_gateway, auth_sink):
    gw = make_gateway(auth_sink)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=10) as c:
        c.ehlo("agent.test")
        c.login("agent", SECRET)
        auth_sink.behaviour.drop_at_data = True
        c.mail("agent@example.com")
        c.rcpt("c@example.jp")
        assert c.data(MSG)[0] == 451  # upstream dropped: not sent, client retries
        auth_sink.behaviour.drop_at_data = False
        c.sendmail("agent@example.com", ["c@example.jp"], MSG)  # new upstream session, same login
    got = auth_sink.wait_for(1)
    assert [m.auth_user for m in got] == ["agent"] and auth_sink.connections == 2


def test_non_utf8_password_bytes_pass_through(tmp_path):
    with Sink(auth={"agent": "pa\u00dfwort"}) as sink:  # latin-1 bytes upstream: refused there, no crash here
        import smtplib as _s

        from proxy.config import GatewayConfig, UpstreamConfig
        from smtp_sinks import GatewayThread

        cfg = GatewayConfig(state_dir=str(tmp_path), listeners=[ListenerConfig(address="127.0.0.1:0", tls="none")],
                            upstream=UpstreamConfig(host=sink.host, port=sink.port, tls="none"))
        with GatewayThread(cfg) as gw, _s.SMTP("127.0.0.1", gw.port, timeout=10) as c:
            c.ehlo("x")
            blob = base64.b64encode(b"\0agent\0pa\xdfwort").decode()
            code, _ = c.docmd("AUTH", f"PLAIN {blob}")
            assert code in (535, 454)  # refused cleanly by the upstream, no 451 internal error
            assert c.noop()[0] == 250
