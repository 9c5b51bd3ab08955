"""`replyguard addons`: the mitmdump command line it builds and the CA it makes (no process started)."""
from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from proxy.cli import UsageError, build_parser
from proxy.commands.addons import allow_host_patterns, init_ca, mitmdump_argv


def argv_for(*args: str) -> list[str]:
    return mitmdump_argv(build_parser().parse_args(["addons", *args]))


def option_values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_listens_on_loopback_with_the_entry_script_and_options(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\n")
    argv = argv_for("--state-dir", str(tmp_path), "--listen-port", "18081", "--policy", str(policy), "--", "-q")
    assert option_values(argv, "--listen-host") == ["127.0.0.1"]
    assert option_values(argv, "--listen-port") == ["18081"]
    assert option_values(argv, "-s")[0].endswith("addons/entry.py")
    assert set(option_values(argv, "--set")) == {f"confdir={tmp_path / 'mitmproxy'}", f"replyguard_state_dir={tmp_path}",
                                                 f"replyguard_policy={policy}"}
    assert argv[-1] == "-q"


def test_a_missing_policy_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such policy file"):
        argv_for("--policy", str(tmp_path / "nope.yaml"))


@pytest.mark.parametrize("host, matches, misses", [
    ("gmail.googleapis.com", ["gmail.googleapis.com:443"], ["evilgmail.googleapis.com:443", "gmail.googleapis.com.evil:443"]),
    ("127.0.0.1:8025", ["127.0.0.1:8025"], ["127.0.0.1:8026", "127.0.0.10:8025"]),
])
def test_allow_hosts_patterns_match_exactly_one_host(host: str, matches: list[str], misses: list[str]) -> None:
    (pattern,) = allow_host_patterns([host])
    assert all(re.search(pattern, m) for m in matches)
    assert not any(re.search(pattern, m) for m in misses)


def test_only_api_hosts_are_allowed_by_default(tmp_path: Path) -> None:
    allowed = option_values(argv_for("--state-dir", str(tmp_path)), "--allow-hosts")
    assert any(re.search(p, "graph.microsoft.com:443") for p in allowed)
    assert not any(re.search(p, "www.example.com:443") for p in allowed)


def test_init_ca_makes_a_named_private_ca_once(tmp_path: Path) -> None:
    from cryptography import x509

    confdir = tmp_path / "mitmproxy"
    cert = init_ca(confdir)
    first = cert.read_bytes()
    name = x509.load_pem_x509_certificate(first).subject.rfc4514_string()
    assert "CN=replyguard mitmproxy CA" in name and "O=replyguard" in name
    assert stat.S_IMODE(confdir.stat().st_mode) == 0o700
    assert init_ca(confdir).read_bytes() == first           # never replaced behind the user's back


def test_with_a_config_and_no_state_dir_the_configs_state_dir_is_used(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(f"state_dir: {tmp_path / 'st'}\n", encoding="utf-8")
    argv = argv_for("--config", str(config))
    sets = option_values(argv, "--set")
    assert f"replyguard_config={config}" in sets
    assert not any(s.startswith("replyguard_state_dir=") for s in sets)
    assert f"confdir={tmp_path / 'st' / 'mitmproxy'}" in sets
