"""Phase 1, the need: a citizen's need is registered, by whoever noticed it.

Anyone may bring a need (the citizen, a caseworker, a relative, or a
volunteer who observed it); a caseworker then opens the visitation.

samskab handles adults. Help and support to children and young people under
18 has been given under barnets lov since 1 January 2024 (it took Serviceloven's
former rules for children over), so a need for a citizen under 18 is refused
at registration with the law that applies instead.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.case.concept import Concept, decides, enter
from domain.citizen import Citizen
from domain.errors import require
from domain.information import InformationCategory
from domain.legal import BARNETS_LOV
from domain.messages import MAX_ITEMS, Command, Event, Role
from domain.personal_data import Personal
from domain.phases import Phase

ADULT_AGE = 18


class ReportedBy(StrEnum):
    CITIZEN = "citizen"
    CASEWORKER = "caseworker"
    RELATIVE = "relative"
    VOLUNTEER = "volunteer"


class LifeArea(StrEnum):
    """The life areas a team is put together across."""

    WORK = "work"
    HOUSING = "housing"
    HEALTH = "health"
    RELATIONS = "relations"
    LEISURE = "leisure"
    ECONOMY = "economy"
    EDUCATION = "education"


class Need(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: Annotated[str, Personal] = Field(min_length=3, max_length=4000, description="The need as it was told")
    reported_by: ReportedBy
    life_areas: tuple[LifeArea, ...] = Field(
        default=(), max_length=MAX_ITEMS, description="Life areas the need touches"
    )


#: The streams (and workflow ids) that are not cases: a case id may not take their form,
#: or registering ``<case>-appeal-1`` would stop that case's appeal and ``kl-gateway-deliveries``
#: would write a case into the daily delivery's stream. (``domain.appeal.appeal_id``,
#: ``domain.forum.forum_id``, ``app.erasure.erasure_stream``, ``domain.kl_delivery.DELIVERY_STREAM``
#: and the delivery's schedule and workflow ids; a test holds each of them refused.)
RESERVED_PREFIXES = ("forum-", "erasure-", "kl-gateway-")
_APPEAL_SUFFIX = re.compile(r"-appeal-[0-9]+")


def reserved_stream_name(name: str) -> str | None:
    """Why ``name`` cannot be a case id (it has the form of another stream), or None."""
    lowered = name.lower()
    for prefix in RESERVED_PREFIXES:
        if lowered.startswith(prefix):
            return f"start with {prefix!r}"
    tail = lowered.rsplit("-appeal-", 1)
    if len(tail) == 2 and _APPEAL_SUFFIX.fullmatch("-appeal-" + tail[1]):
        return "end with '-appeal-<number>'"
    return None


class RegisterNeed(Command):
    """Opens a case: the need and the citizen it concerns."""

    title = "Register need"
    type: Literal["register_need"] = "register_need"
    label = "Registrér behov"
    intro = (
        "Registrér borgerens behov, som det blev fortalt. Det opretter sagen; derefter åbner du "
        "visitationen og udreder behovet."
    )
    roles = frozenset({Role.CITIZEN, Role.CASEWORKER, Role.TEAM_LEAD})
    representable = True
    case_id: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    citizen: Citizen
    need: Need

    @field_validator("case_id")
    @classmethod
    def _not_a_reserved_stream(cls, case_id: str) -> str:
        reason = reserved_stream_name(case_id)
        if reason:
            raise ValueError(f"a case id may not {reason}: those names belong to samskab's own streams")
        return case_id


class NeedRegistered(Event):
    type: Literal["need_registered"] = "need_registered"
    label = "Behov registreret"
    category = InformationCategory.NEED
    identity_fields = ("citizen",)
    case_id: str
    citizen: Citizen
    need: Need


class OpenVisitation(Command):
    """A caseworker takes the case into visitation (needs assessment and decision)."""

    title = "Open visitation"
    type: Literal["open_visitation"] = "open_visitation"
    label = "Åbn visitation"
    intro = "Du tager sagen og bliver sagsbehandler på den. Derefter kan du udrede borgerens behov."


class VisitationOpened(Event):
    type: Literal["visitation_opened"] = "visitation_opened"
    label = "Visitation åbnet"
    caseworker_id: str


def check_adult(citizen: Citizen, on: date) -> None:
    """Refuses a citizen under 18: their help is given under barnets lov, not here."""
    age = citizen.age_on(on)
    require(
        age >= ADULT_AGE,
        f"{citizen.name} er {age} år. Hjælp til børn og unge under 18 år gives efter {BARNETS_LOV}, "
        "ikke efter serviceloven; samskab behandler sager om voksne. Send sagen til kommunens børne- og ungeområde",
        rule="case.under_18",
        field="citizen.cpr",
    )


def register_need(state: object, c: RegisterNeed) -> list[Event]:
    check_adult(c.citizen, c.now.date())
    return [NeedRegistered(occurred_at=c.now, actor=c.actor, case_id=c.case_id, citizen=c.citizen, need=c.need)]


def open_visitation(state: object, c: OpenVisitation) -> list[Event]:
    """The case officer who opens the visitation becomes the case's caseworker."""
    return [VisitationOpened(occurred_at=c.now, actor=c.actor, caseworker_id=c.actor.id)]


CONCEPT = Concept(
    "need",
    commands={
        RegisterNeed: decides(register_need, Phase.NEW),
        OpenVisitation: decides(open_visitation, Phase.NEED),
    },
    events={
        NeedRegistered: lambda s, e: enter(
            Phase.NEED, e.occurred_at, case_id=e.case_id, citizen=e.citizen, need=e.need
        ),
        VisitationOpened: lambda s, e: enter(Phase.VISITATION, e.occurred_at, caseworker_id=e.caseworker_id),
    },
)
