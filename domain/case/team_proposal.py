"""Which team the citizen's situation calls for.

The seed idea (Rødovre's "Sæt et hold med borgeren"): the citizen's life
situation sets the team. The rule reads the life areas the need touches and
the conditions the assessment found limiting (severity 2 or more, FFB
"Funktionsevneniveau" moderate or worse), and proposes for each life area a
member of staff from the department that works with it, and where the area is
about relations and everyday life, a volunteer from a civil-society
organisation (SEL § 18). A relative is proposed where the citizen's network
is part of the need. The citizen is always on the team.
"""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from domain.case.assessment import AssessmentRecorded
from domain.case.concept import Concept, decides
from domain.case.need import LifeArea, Need
from domain.case.team import MemberKind
from domain.messages import Command, Event
from domain.personal_data import Personal
from domain.phases import Phase


class ProposeTeam(Command):
    """Asks the domain for the roles the citizen's situation calls for."""

    title = "Propose team"
    type: Literal["propose_team"] = "propose_team"
    label = "Foreslå hold"


class ProposedRole(BaseModel):
    model_config = ConfigDict(frozen=True)

    life_area: LifeArea | None
    kind: MemberKind | None  # None: the citizen
    organisation: str
    why: Annotated[str, Personal]


class TeamProposed(Event):
    type: Literal["team_proposed"] = "team_proposed"
    label = "Hold foreslået"
    roles: tuple[ProposedRole, ...]


#: Which life area an FFB condition area (its group under "FFB tilstande") belongs to.
LIFE_AREA_BY_CONDITION: dict[str, LifeArea] = {
    # Aktivitet og deltagelse
    "Samfundsliv": LifeArea.WORK,
    "Relationer": LifeArea.RELATIONS,
    "Egenomsorg": LifeArea.HEALTH,
    "Praktiske opgaver": LifeArea.HOUSING,
    "Mobilitet": LifeArea.HEALTH,
    "Kommunikation": LifeArea.RELATIONS,
    # Funktioner og forhold
    "Mentale funktioner": LifeArea.HEALTH,
    "Sundhedsforhold": LifeArea.HEALTH,
    "Fysiske funktioner": LifeArea.HEALTH,
    "Sociale forhold": LifeArea.ECONOMY,
    # Omgivelsesfaktorer
    "Omgivelser": LifeArea.RELATIONS,
}

#: Conditions whose own name points to a more precise life area than their group.
LIFE_AREA_BY_SPECIFIC_CONDITION: dict[str, LifeArea] = {
    "Varetage beskæftigelse": LifeArea.WORK,
    "Varetage uddannelse": LifeArea.EDUCATION,
    "Uddannelse og job": LifeArea.WORK,
    "Varetage økonomi": LifeArea.ECONOMY,
    "Økonomisk situation": LifeArea.ECONOMY,
    "Boligsituation": LifeArea.HOUSING,
    "Varetage bolig": LifeArea.HOUSING,
    "Deltage i sociale fællesskaber og fritidsaktiviteter": LifeArea.LEISURE,
    "Dyrke interesse": LifeArea.LEISURE,
    "Interesser": LifeArea.LEISURE,
    "Familiesituation": LifeArea.RELATIONS,
    "Personer i netværk": LifeArea.RELATIONS,
}

#: The municipal department that works with each life area.
DEPARTMENT_BY_LIFE_AREA: dict[LifeArea, str] = {
    LifeArea.WORK: "Jobcenter",
    LifeArea.EDUCATION: "Ungeindsatsen / UU",
    LifeArea.HOUSING: "Boligsocialt team",
    LifeArea.HEALTH: "Sundhed og Omsorg",
    LifeArea.RELATIONS: "Socialpsykiatri og handicap",
    LifeArea.LEISURE: "Kultur og fritid",
    LifeArea.ECONOMY: "Borgerservice, økonomisk rådgivning",
}

#: Life areas where civil society brings what the municipality cannot: company, everyday life.
VOLUNTEER_ORGANISATION_BY_LIFE_AREA: dict[LifeArea, str] = {
    LifeArea.RELATIONS: "frivillig besøgsven (f.eks. Røde Kors, Ældre Sagen)",
    LifeArea.LEISURE: "frivillig fra en lokal forening (f.eks. idræts- eller kulturforening)",
    LifeArea.WORK: "frivillig mentor (f.eks. Ungdommens Røde Kors, Foreningen Nydansker)",
    LifeArea.ECONOMY: "frivillig økonomisk rådgiver (f.eks. Mødrehjælpen, Settle)",
}

LIMITING_SEVERITY = 2


def life_areas_in_play(need: Need | None, assessment: AssessmentRecorded | None) -> list[LifeArea]:
    """The need's own life areas, then those of every limiting condition, each once, in that order."""
    areas: list[LifeArea] = list(need.life_areas) if need else []
    for assessed in assessment.conditions if assessment else ():
        if assessed.severity is None or assessed.severity < LIMITING_SEVERITY:
            continue
        area = LIFE_AREA_BY_SPECIFIC_CONDITION.get(assessed.condition.display)
        if area is None:
            area = _area_of_group(assessed.condition.code)
        if area is not None and area not in areas:
            areas.append(area)
    return areas


def _area_of_group(code: str) -> LifeArea | None:
    from domain import terminology  # the code list knows which group a condition sits in

    concept = terminology.ffb().get(code)
    if concept is None:
        return None
    for name in (concept.display, *reversed(concept.path)):
        if name in LIFE_AREA_BY_CONDITION:
            return LIFE_AREA_BY_CONDITION[name]
    return None


def propose_team(need: Need | None, assessment: AssessmentRecorded | None) -> tuple[ProposedRole, ...]:
    areas = life_areas_in_play(need, assessment)
    roles: list[ProposedRole] = [
        ProposedRole(
            life_area=None, kind=None, organisation="Borgeren selv", why="Borgerens livssituation sætter holdet"
        )
    ]
    for area in areas:
        roles.append(
            ProposedRole(
                life_area=area,
                kind=MemberKind.STAFF,
                organisation=DEPARTMENT_BY_LIFE_AREA[area],
                why=f"livsområdet {area.value} er berørt",
            )
        )
        if area in VOLUNTEER_ORGANISATION_BY_LIFE_AREA:
            roles.append(
                ProposedRole(
                    life_area=area,
                    kind=MemberKind.VOLUNTEER,
                    organisation=VOLUNTEER_ORGANISATION_BY_LIFE_AREA[area],
                    why="civilsamfundet kan det, kommunen ikke kan (SEL § 18)",
                )
            )
    if LifeArea.RELATIONS in areas:
        roles.append(
            ProposedRole(
                life_area=LifeArea.RELATIONS,
                kind=MemberKind.RELATIVE,
                organisation="pårørende, hvis borgeren ønsker det",
                why="netværket er en del af behovet",
            )
        )
    return tuple(roles)


class ProposalView(Protocol):
    """The proposal reads the need and the assessment."""

    @property
    def need(self) -> Need | None: ...
    @property
    def assessment(self) -> AssessmentRecorded | None: ...


def _propose(state: ProposalView, c: ProposeTeam) -> list[Event]:
    return [TeamProposed(occurred_at=c.now, actor=c.actor, roles=propose_team(state.need, state.assessment))]


CONCEPT = Concept(
    "team proposal",
    commands={ProposeTeam: decides(_propose, Phase.TEAM)},
    events={TeamProposed: lambda s, e: {"team_proposal": e.roles}},
)
