"""Connecting to Temporal over TLS and mTLS with samskab's settings, against a real server.

The test server speaks plain gRPC, so it stands behind a TLS terminator here, as
a self-hosted Temporal often stands behind an ingress: the terminator presents a
certificate from a test CA, asks for a client certificate from the same CA
(mTLS) and passes the bytes on. The client side is exactly what the API, the
worker and the CLI use (``app.temporal.connect`` with the ``SAMSKAB_TEMPORAL_TLS_*``
settings), so a handshake that succeeds here is the product's own.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import ipaddress
import os
import ssl
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.settings import Settings
from app.temporal import connect


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _issue(subject: str, key, issuer_name: x509.Name, issuer_key, *, ca: bool = False, server: bool = False):
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )  # fmt: skip
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)  # fmt: skip
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    elif not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(folder: Path, name: str, cert, key) -> tuple[Path, Path]:
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


def make_pki(folder: Path, label: str) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, signed by the CA."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue(f"samskab test CA {label}", ca_key, _name(f"samskab test CA {label}"), ca_key, ca=True)
    server_key, client_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    server = _issue("localhost", server_key, ca.subject, ca_key, server=True)
    client = _issue("samskab-worker", client_key, ca.subject, ca_key)
    ca_path, _ = _write(folder, f"ca-{label}", ca, ca_key)
    server_cert, server_key_path = _write(folder, f"server-{label}", server, server_key)
    client_cert, client_key_path = _write(folder, f"client-{label}", client, client_key)
    return {"ca": ca_path, "server_cert": server_cert, "server_key": server_key_path,
            "client_cert": client_cert, "client_key": client_key_path}  # fmt: skip


class TlsTerminator:
    """Accepts TLS (h2, client certificate required) and relays to a plain gRPC server."""

    def __init__(self, upstream: str, pki: dict[str, Path]) -> None:
        self.upstream_host, port = upstream.rsplit(":", 1)
        self.upstream_port = int(port)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki["ca"]))
        self.context.load_cert_chain(pki["server_cert"], pki["server_key"])
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.context.set_alpn_protocols(["h2"])
        self.handshakes_refused = 0
        self.relayed = 0
        self._server: asyncio.base_events.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.context,
                                                  ssl_handshake_timeout=5)  # fmt: skip
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"{host}:{port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in self._writers:  # the client keeps its connection open: cut it
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.relayed += 1
        up_reader, up_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        self._writers += [writer, up_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while chunk := await source.read(65536):
                    sink.write(chunk)
                    await sink.drain()
            except (ConnectionError, ssl.SSLError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest_asyncio.fixture
async def tls_server(env, tmp_path):
    pki = make_pki(tmp_path, "right")
    terminator = TlsTerminator(env.client.service_client.config.target_host, pki)
    address = await terminator.start()
    yield address, pki, terminator
    await terminator.stop()


#: A Temporal that samskab did not start is production: every secret must be given.
CODEC_KEY = base64.b64encode(os.urandom(32)).decode()


def tls_settings(tmp_path: Path, address: str, **files) -> Settings:
    return Settings(data_dir=tmp_path, temporal_address=address, temporal_namespace="default", codec_key=CODEC_KEY,
                    temporal_tls_server_name="localhost", **files)  # fmt: skip


async def test_mtls_with_the_settings_reaches_the_server_and_runs_a_call(tls_server, tmp_path):
    address, pki, terminator = tls_server
    settings = tls_settings(tmp_path, address, temporal_tls_ca_file=pki["ca"], temporal_tls_cert_file=pki["client_cert"],
                            temporal_tls_key_file=pki["client_key"])  # fmt: skip
    client = await connect(settings)
    # Real calls over the TLS connection: start a workflow (no worker takes it), read it, end it.
    handle = await client.start_workflow("TlsProbe", id=f"tls-probe-{os.getpid()}", task_queue="tls-probe")
    assert (await handle.describe()).id == handle.id
    await handle.terminate("probe done")
    assert terminator.relayed >= 1


async def test_without_a_client_certificate_the_handshake_is_refused(tls_server, tmp_path):
    address, pki, _ = tls_server
    settings = tls_settings(tmp_path, address, temporal_tls_ca_file=pki["ca"])
    with pytest.raises(RuntimeError):
        await asyncio.wait_for(connect(settings), timeout=30)


async def test_a_server_certificate_from_another_ca_is_not_trusted(tls_server, tmp_path):
    address, _, _ = tls_server
    other = make_pki(tmp_path, "other")
    settings = tls_settings(tmp_path, address, temporal_tls_ca_file=other["ca"], temporal_tls_cert_file=other["client_cert"],
                            temporal_tls_key_file=other["client_key"])  # fmt: skip
    with pytest.raises(RuntimeError):
        await asyncio.wait_for(connect(settings), timeout=30)


async def test_plain_text_to_a_tls_server_fails_rather_than_sending_in_the_clear(tls_server, tmp_path):
    address, _, _ = tls_server
    with pytest.raises(RuntimeError):
        await asyncio.wait_for(connect(Settings(data_dir=tmp_path, temporal_address=address, codec_key=CODEC_KEY)),
                               timeout=30)  # fmt: skip
