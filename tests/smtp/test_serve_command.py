"""`replyguard serve` as a process: out-of-the-box maildir, config errors, SIGTERM, certs."""
from __future__ import annotations

import os
import shutil
import signal
import smtplib
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from smtp_sinks import ServeProcess, Sink, SinkBehaviour

ROOT = Path(__file__).resolve().parents[2]
MSG = b"From: agent@example.com\r\nTo: c@example.jp\r\nSubject: Re: hi\r\n\r\nhello\r\n\r\n-- \r\nagent\r\n"


Serve = ServeProcess


def test_out_of_the_box_maildir_with_swaks(tmp_path):
    assert shutil.which("swaks"), "swaks is needed (scripts/sysdeps.sh installs it)"
    srv = Serve(tmp_path)
    try:
        out = subprocess.run(["swaks", "--to", "x@example.com", "--server", f"127.0.0.1:{srv.port}", "-tls"],
                             capture_output=True, text=True, timeout=30)
    finally:
        assert srv.stop() == 0
    assert out.returncode == 0, out.stdout + out.stderr
    assert "250 2.0.0 delivered to local maildir" in out.stdout
    files = list((tmp_path / "state" / "outbox" / "new").iterdir())
    assert len(files) == 1 and str(files[0]) in out.stdout
    assert (tmp_path / "state" / "certs" / "gateway.key").stat().st_mode & 0o077 == 0
    assert any("generated a self-signed certificate" in x for x in srv.lines)


def test_config_error_is_one_line_with_position(tmp_path):
    cfg = tmp_path / "gw.yaml"
    cfg.write_text("upstream:\n  host: mail.example.com\n  tls: starttsl\n")
    out = subprocess.run([sys.executable, "-m", "proxy", "serve", "--config", str(cfg)],
                         capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 2
    assert out.stderr.strip() == (f"replyguard: {cfg}:3:8: upstream.tls: must be one of starttls, implicit, none, "
                                  "not 'starttsl'")
    assert "Traceback" not in out.stderr


def test_sigterm_finishes_transaction_in_flight(tmp_path):
    with Sink(behaviour=SinkBehaviour(delay={"DATA": 1.0})) as sink:
        srv = Serve(tmp_path, "--upstream", f"127.0.0.1:{sink.port}", "--upstream-tls", "none")
        idle = smtplib.SMTP("127.0.0.1", srv.port, timeout=10)
        idle.ehlo("idle.test")
        c = smtplib.SMTP("127.0.0.1", srv.port, timeout=10)
        c.ehlo("agent.test")
        c.mail("agent@example.com")
        c.rcpt("c@example.jp")
        result: list[tuple[int, bytes]] = []
        t = threading.Thread(target=lambda: result.append(c.data(MSG)))
        t.start()
        time.sleep(0.4)  # DATA is now waiting on the slow upstream
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        with pytest.raises(OSError):  # no longer accepting
            smtplib.SMTP("127.0.0.1", srv.port, timeout=2)
        t.join(10)
        assert srv.proc.wait(15) == 0
        assert result and result[0][0] == 250
        assert [m.content for m in sink.messages] == [MSG]
        assert idle.noop()[0] == 421  # idle sessions were told 421 and closed
        with pytest.raises(smtplib.SMTPServerDisconnected):
            idle.noop()


def test_certs_command(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = lambda *a: subprocess.run([sys.executable, "-m", "proxy", "certs", "--state-dir", "st", *a],  # noqa: E731
                                    capture_output=True, text=True, cwd=tmp_path, env=env)
    first = run()
    assert first.returncode == 0 and first.stdout.startswith("created: st/certs/gateway.crt")
    key = tmp_path / "st" / "certs" / "gateway.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert run().stdout.startswith("exists:")
    assert run("--force").stdout.startswith("created:")
