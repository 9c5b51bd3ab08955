"""The gateway's own TLS certificate: find it, or make a self-signed one on first run.

Why generate: `make run` on a fresh clone must give a gateway a mail client can use with
STARTTLS at once, and private keys are never committed. A self-signed certificate is what
a local submission proxy needs (the client is told to trust it once, see docs/clients.md);
sites with a real certificate point `tls.cert_file` / `tls.key_file` at it instead.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_NAME = "gateway.crt"
KEY_NAME = "gateway.key"


def default_paths(state_dir: str | Path, certs_dir: str | Path = "certs") -> tuple[Path, Path]:
    """certs/gateway.{crt,key} when a certs/ directory exists here, else <state_dir>/certs/."""
    base = Path(certs_dir) if Path(certs_dir).is_dir() else Path(state_dir) / "certs"
    return base / CERT_NAME, base / KEY_NAME


def generate(cert_path: Path, key_path: Path, hostname: str | None = None, days: int = 825) -> None:
    """Write a new self-signed ECDSA P-256 certificate and key (key mode 0600, atomic)."""
    hostname = hostname or socket.getfqdn() or "localhost"
    key = ec.generate_private_key(ec.SECP256R1())
    names = sorted({hostname, "localhost"})
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    sans += [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1"))]
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, hostname),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "replyguard (self-signed)"),
    ])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_atomic(key_path, key_bytes, 0o600)
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def ensure(cert_path: Path, key_path: Path, hostname: str | None = None) -> bool:
    """Make sure both files exist; returns True when a new pair was generated."""
    if cert_path.exists() and key_path.exists():
        return False
    if cert_path.exists() != key_path.exists():
        missing = key_path if cert_path.exists() else cert_path
        raise FileNotFoundError(f"{missing} is missing but its partner exists; remove both to regenerate")
    generate(cert_path, key_path, hostname)
    return True


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """TLS context for the listeners (clients are not asked for certificates)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert_path), str(key_path))
    return ctx
