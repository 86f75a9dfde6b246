"""Identity from the municipality's identity provider (JWKS, issuer, audience), and
how samskab connects to Temporal (TLS, mTLS, API key, envconfig profiles)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from temporalio.service import TLSConfig

from app.settings import DEFAULT_JWT_KEY, Settings
from app.temporal import connect_options
from app.tokens import InvalidToken, verify_token

ISSUER = "https://login.kommune.example/tenant/v2.0"


@pytest.fixture
def provider():
    """An identity provider's JWKS endpoint on a free port, serving one RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="idp-key-1", use="sig", alg="RS256")
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield key, f"http://127.0.0.1:{server.server_address[1]}/keys"
    server.shutdown()


def claims(**overrides):
    now = int(time.time())
    return {"sub": "cw-anne", "role": "caseworker", "municipality": "0101", "aud": "samskab", "iss": ISSUER,
            "iat": now, "exp": now + 600, **overrides}  # fmt: skip


def test_a_token_from_the_identity_provider_is_verified_against_its_jwks(provider):
    key, url = provider
    settings = Settings(jwks_url=url, jwt_issuer=ISSUER)
    token = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": "idp-key-1"})

    assert verify_token(settings, token).person_id == "cw-anne"


@pytest.mark.parametrize(
    "attack",
    ["another issuer", "another audience", "the development key", "another RSA key", "alg none"],
)
def test_tokens_not_from_the_identity_provider_are_refused(provider, attack):
    key, url = provider
    settings = Settings(jwks_url=url, jwt_issuer=ISSUER)
    if attack == "another issuer":
        token = jwt.encode(claims(iss="https://evil.example"), key, algorithm="RS256", headers={"kid": "idp-key-1"})
    elif attack == "another audience":
        token = jwt.encode(claims(aud="other-app"), key, algorithm="RS256", headers={"kid": "idp-key-1"})
    elif attack == "the development key":
        token = jwt.encode(claims(), DEFAULT_JWT_KEY, algorithm="HS256", headers={"kid": "idp-key-1"})
    elif attack == "another RSA key":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode(claims(), other, algorithm="RS256", headers={"kid": "idp-key-1"})
    else:
        # unsigned: PyJWT takes an empty key for "none" (its types do not allow None, which it takes too)
        token = jwt.encode(claims(), "", algorithm="none", headers={"kid": "idp-key-1"})

    with pytest.raises(InvalidToken):
        verify_token(settings, token)


def test_entra_id_app_roles_name_the_role(provider):
    key, url = provider
    settings = Settings(jwks_url=url, jwt_issuer=ISSUER, jwt_role_claim="roles")
    token = jwt.encode(claims(role=None, roles=["auditor"]), key, algorithm="RS256", headers={"kid": "idp-key-1"})
    assert verify_token(settings, token).role.value == "auditor"


def test_a_jwks_url_in_production_needs_no_hmac_key(tmp_path):
    from app.keys import init_secrets
    from app.startup_checks import problems

    init_secrets(Settings(data_dir=tmp_path))
    settings = Settings(temporal_address="t:7233", data_dir=tmp_path, jwks_url="https://idp/keys", jwt_issuer=ISSUER)
    assert problems(settings, "api") == []


# -- connecting to Temporal --------------------------------------------------------------


def test_mtls_and_a_server_name_are_given_to_the_sdk(tmp_path):
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_bytes(f"-----{name}-----".encode())
    settings = Settings(
        temporal_address="temporal.kommune.example:7233",
        temporal_tls_ca_file=tmp_path / "ca.pem",
        temporal_tls_cert_file=tmp_path / "client.pem",
        temporal_tls_key_file=tmp_path / "client.key",
        temporal_tls_server_name="temporal.kommune.example",
    )
    options = connect_options(settings)
    assert options["target_host"] == "temporal.kommune.example:7233"
    assert options["tls"] == TLSConfig(
        server_root_ca_cert=b"-----ca.pem-----", client_cert=b"-----client.pem-----",
        client_private_key=b"-----client.key-----", domain="temporal.kommune.example",
    )  # fmt: skip


def test_a_client_certificate_without_its_key_is_refused(tmp_path):
    (tmp_path / "client.pem").write_text("x")
    with pytest.raises(ValueError, match="go together"):
        connect_options(Settings(temporal_address="t:7233", temporal_tls_cert_file=tmp_path / "client.pem"))


def test_an_envconfig_profile_gives_address_namespace_tls_and_api_key(tmp_path):
    config = tmp_path / "temporal.toml"
    config.write_text(
        '[profile.kommune]\naddress = "kommune.tmprl.cloud:7233"\nnamespace = "kommune.abc12"\napi_key = "secret-key"\n'
        "[profile.kommune.tls]\n"
    )
    options = connect_options(Settings(temporal_profile="kommune", temporal_config_file=config))
    assert options["target_host"] == "kommune.tmprl.cloud:7233"
    assert options["namespace"] == "kommune.abc12"
    assert options["api_key"] == "secret-key" and options["tls"]
