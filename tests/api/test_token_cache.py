"""The verified-token cache: a token is checked once and its person kept briefly,
never past the token's expiry, never for a token it did not verify byte for byte."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from app import tokens
from app.settings import Settings
from app.tokens import InvalidToken, TokenVerifier, issue_token
from domain.messages import Role


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(jwt_key="k" * 64, data_dir=tmp_path)


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """Counts the full verifications (signature and claims) of tokens."""
    calls: list[str] = []
    real = tokens.jwt.decode

    def counting(token, *args, **kwargs):
        calls.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(tokens.jwt, "decode", counting)
    return calls


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_token_is_verified_once_while_kept(settings, decodes):
    token = issue_token(settings, person_id="cw-anne", role="caseworker")
    verify = TokenVerifier(settings)
    first, second = verify(token), verify(token)
    assert first == second
    assert (first.person_id, first.role, first.municipality) == ("cw-anne", Role.CASEWORKER, settings.municipality)
    assert len(decodes) == 1


def test_a_kept_token_is_verified_again_after_the_ttl(settings, decodes):
    token = issue_token(settings, person_id="cw-anne", role="caseworker")
    clock = Clock()
    verify = TokenVerifier(settings, ttl_seconds=60, clock=clock)
    verify(token)
    clock.now += 59
    verify(token)
    assert len(decodes) == 1
    clock.now += 2
    verify(token)
    assert len(decodes) == 2


def test_a_token_is_never_kept_past_its_expiry(settings):
    # The token expires in a few seconds (room for a busy machine): the cache (60 s) must not outlive it.
    now = datetime.now(UTC)
    token = issue_token(settings, person_id="cw-anne", role="caseworker", now=now - timedelta(hours=1),
                        ttl=timedelta(hours=1, seconds=3))  # fmt: skip
    verify = TokenVerifier(settings, ttl_seconds=60)
    assert verify(token).person_id == "cw-anne"
    time.sleep(max(0.0, (now + timedelta(seconds=3) - datetime.now(UTC)).total_seconds()) + 0.05)
    with pytest.raises(InvalidToken, match="expired"):
        verify(token)


def test_an_expired_token_is_refused_and_not_kept(settings, decodes):
    token = issue_token(settings, person_id="cw-anne", role="caseworker", ttl=timedelta(seconds=-1))
    verify = TokenVerifier(settings)
    for _ in range(2):
        with pytest.raises(InvalidToken, match="expired"):
            verify(token)
    assert len(decodes) == 2


def test_a_changed_token_is_not_served_from_the_cache(settings):
    token = issue_token(settings, person_id="cw-anne", role="caseworker")
    verify = TokenVerifier(settings)
    verify(token)
    header, claims, signature = token.split(".")
    forged = ".".join([header, claims, signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")])
    with pytest.raises(InvalidToken):
        verify(forged)
    other = issue_token(Settings(jwt_key="x" * 64, data_dir=settings.data_dir), person_id="cw-anne", role="auditor")
    with pytest.raises(InvalidToken):
        verify(other)


def test_the_cache_stays_bounded(settings, decodes):
    verify = TokenVerifier(settings, max_tokens=4)
    issued = [issue_token(settings, person_id=f"p-{n}", role="caseworker") for n in range(10)]
    for token in issued:
        verify(token)
    assert len(verify._verified) <= 4
    assert verify(issued[-1]).person_id == "p-9"
    assert len(decodes) == 10  # the newest is still kept
