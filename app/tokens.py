"""Bearer tokens (JWT): who is asking, in which role, for which municipality.

Claims: ``sub`` (the person's id), ``role`` (a ``domain.messages.Role``),
``municipality`` (kommunekode), ``exp`` and, on a citizen's token, ``cpr``
(how a citizen is matched to the case about them). Tokens are verified with
the configured key; ``issue_token`` is for local use (``samskab dev token``)
and for tests; in production the municipality's identity provider issues them.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt

from app.settings import Settings
from domain.access import Subject
from domain.case.units import UNIT_PATTERN
from domain.citizen import normalise_cpr
from domain.messages import Role

AUDIENCE = "samskab"
#: The longest person id a token may name (an actor id in the log is at most 64 characters).
MAX_PERSON_ID = 64
DEFAULT_TTL = timedelta(hours=8)


class InvalidToken(Exception):
    """A token that is missing, malformed, expired, or not signed with our key."""


def issue_token(
    settings: Settings,
    *,
    person_id: str,
    role: Role | str,
    municipality: str | None = None,
    cpr: str | None = None,
    unit: str | None = None,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> str:
    role = Role(role)
    if role is Role.SYSTEM:
        raise ValueError("no token is issued for the system role")
    if role is Role.CITIZEN and not cpr:
        raise ValueError("a citizen's token needs their CPR number (--cpr)")
    now = now or datetime.now(UTC)
    claims = {
        "sub": person_id,
        "role": role.value,
        "municipality": municipality or settings.municipality,
        "aud": settings.jwt_audience or AUDIENCE,
        "iat": now,
        "exp": now + ttl,
    }
    if cpr:
        claims["cpr"] = cpr
    if unit:
        claims["unit"] = unit
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    key = settings.jwt_signing_key or settings.jwt_key
    return jwt.encode(claims, key, algorithm=settings.jwt_algorithm)


def verify_token(settings: Settings, token: str) -> Subject:
    """The person a valid token names; InvalidToken saying why otherwise."""
    return _verify(settings, token)[0]


#: Algorithms accepted from an identity provider's JWKS (never HMAC: its keys are public).
JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
_jwks_clients: dict[str, jwt.PyJWKClient] = {}
_jwks_lock = threading.Lock()


def jwks_client(url: str) -> jwt.PyJWKClient:
    """One PyJWKClient per JWKS URL per process: it caches the provider's keys (refetching
    on an unknown key id, so a key rotation is picked up)."""
    with _jwks_lock:
        client = _jwks_clients.get(url)
        if client is None:
            client = _jwks_clients[url] = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=10)
        return client


def _claims(settings: Settings, token: str) -> dict:
    audience = settings.jwt_audience or AUDIENCE
    if settings.jwks_url:
        # The municipality's identity provider (OIDC: Entra ID, KOMBIT's): its published keys, its issuer.
        if not settings.jwt_issuer:
            raise InvalidToken("SAMSKAB_JWT_ISSUER must be set with SAMSKAB_JWKS_URL")
        try:
            key = jwks_client(settings.jwks_url).get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientError as error:
            raise InvalidToken(f"the token's key is not among the identity provider's: {error}") from None
        return jwt.decode(
            token, key, algorithms=JWKS_ALGORITHMS, audience=audience, issuer=settings.jwt_issuer,
            options={"require": ["sub", "exp", "aud", "iss"]},
        )  # fmt: skip
    return jwt.decode(
        token,
        settings.jwt_key,
        algorithms=[settings.jwt_algorithm],
        audience=audience,
        issuer=settings.jwt_issuer or None,
        options={"require": ["sub", "exp", "aud"]},
    )


def _verify(settings: Settings, token: str) -> tuple[Subject, float]:
    """The person a valid token names and when the token expires (a Unix time)."""
    try:
        claims = _claims(settings, token)
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired; get a new one") from None
    except jwt.PyJWTError as error:
        raise InvalidToken(f"the token is not valid: {error}") from None
    role_claim = claims.get(settings.jwt_role_claim or "role", "")
    if isinstance(role_claim, list):  # Entra ID's app roles: a list; exactly one samskab role must be in it
        known = [r for r in role_claim if r in Role.__members__.values()]
        role_claim = known[0] if len(known) == 1 else ""
    try:
        role = Role(role_claim)
    except ValueError:
        raise InvalidToken(f"the token's role {role_claim!r} is not a role samskab knows") from None
    if role is Role.SYSTEM:
        raise InvalidToken("no person acts as the system")
    municipality = claims.get("municipality")
    if not isinstance(municipality, str) or not municipality:
        raise InvalidToken("the token names no municipality")
    person = claims.get("sub")
    if not isinstance(person, str) or not person.strip() or len(person) > MAX_PERSON_ID or not person.isprintable():
        raise InvalidToken(f"the token's 'sub' must name a person: 1 to {MAX_PERSON_ID} printable characters")
    cpr = claims.get("cpr")
    if cpr is not None:
        try:
            cpr = normalise_cpr(cpr)
        except ValueError:
            raise InvalidToken("the token's 'cpr' is not a CPR number (10 ASCII digits, DDMMYY-SSSS)") from None
    unit = claims.get("unit")
    if unit is not None and (not isinstance(unit, str) or not re.fullmatch(UNIT_PATTERN, unit)):
        raise InvalidToken("the token's 'unit' must name a unit: letters, digits, '.', '_' or '-', at most 64")
    subject = Subject(person_id=person, role=role, municipality=municipality, cpr=cpr, unit=unit)
    return subject, float(claims["exp"])


class TokenVerifier:
    """``verify_token`` that keeps a verified token's person for a short while.

    Checking a token's signature and claims costs more than the rest of
    authenticating a request; a client sends the same token with every
    request. So the person a token names is kept, keyed by the whole token
    string (so by its signature too), for at most ``ttl_seconds`` and never
    past the token's own ``exp``: a token that has expired is refused as
    before, and anything but the exact bytes verified once is verified again.
    Refused tokens are not kept. Only what the token itself says is kept
    (person, role, municipality, CPR); every access decision is still made
    per request from the case as the log holds it then."""

    def __init__(
        self,
        settings: Settings,
        *,
        ttl_seconds: float = 60.0,
        max_tokens: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.ttl_seconds = ttl_seconds
        self.max_tokens = max_tokens
        self._clock = clock
        self._verified: dict[str, tuple[Subject, float]] = {}
        self._lock = threading.Lock()

    def __call__(self, token: str) -> Subject:
        now = self._clock()
        kept = self._verified.get(token)
        if kept is not None:
            if now < kept[1]:
                return kept[0]
            with self._lock:
                self._verified.pop(token, None)
        subject, expires = _verify(self.settings, token)  # raises InvalidToken
        until = min(expires, now + self.ttl_seconds)
        if self.ttl_seconds > 0 and now < until:
            with self._lock:
                if len(self._verified) >= self.max_tokens:
                    self._evict(now)
                self._verified[token] = (subject, until)
        return subject

    def _evict(self, now: float) -> None:
        """Drops every lapsed entry; if none lapsed, the oldest half (held under the lock)."""
        lapsed = [token for token, (_, until) in self._verified.items() if until <= now]
        if not lapsed:
            lapsed = list(self._verified)[: max(1, len(self._verified) // 2)]
        for token in lapsed:
            del self._verified[token]
