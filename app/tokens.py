"""Bearer tokens (JWT): who is asking, in which role, for which municipality.

Claims: ``sub`` (the person's id), ``role`` (a ``domain.messages.Role``),
``municipality`` (kommunekode), ``exp`` and, on a citizen's token, ``cpr``
(how a citizen is matched to the case about them). Tokens are verified with
the configured key; ``issue_token`` is for local use (``samskab dev token``)
and for tests; in production the municipality's identity provider issues them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from app.settings import Settings
from domain.access import Subject
from domain.messages import Role

AUDIENCE = "samskab"
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
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl,
    }
    if cpr:
        claims["cpr"] = cpr
    key = settings.jwt_signing_key or settings.jwt_key
    return jwt.encode(claims, key, algorithm=settings.jwt_algorithm)


def verify_token(settings: Settings, token: str) -> Subject:
    """The person a valid token names; InvalidToken saying why otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_key,
            algorithms=[settings.jwt_algorithm],
            audience=AUDIENCE,
            options={"require": ["sub", "exp", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired; get a new one") from None
    except jwt.PyJWTError as error:
        raise InvalidToken(f"the token is not valid: {error}") from None
    try:
        role = Role(claims.get("role", ""))
    except ValueError:
        raise InvalidToken(f"the token's role {claims.get('role')!r} is not a role samskab knows") from None
    if role is Role.SYSTEM:
        raise InvalidToken("no person acts as the system")
    municipality = claims.get("municipality")
    if not isinstance(municipality, str) or not municipality:
        raise InvalidToken("the token names no municipality")
    return Subject(person_id=str(claims["sub"]), role=role, municipality=municipality, cpr=claims.get("cpr"))
