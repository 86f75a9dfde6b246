"""Who may see and do what: the permission matrix, the one place that decides.

The HTTP API and the pages ask ``may`` before every read and every command;
nothing else grants or refuses access. The decider still checks its own rules
(only the invited person answers an invitation, only the citizen approves the
team): those are rules about the case, this is about the person and the data.

The grounds:

- Caseworkers and team leads read and act on the cases their work needs: the
  ground is the processing the municipality's task requires (GDPR art. 6(1)(e)
  and 9(2)(b)/(h) with Serviceloven and retssikkerhedsloven), limited to what
  is necessary (art. 5(1)(c), 25 and 32: need-to-know). Their duty of
  confidentiality (forvaltningslovens § 27) binds what they may pass on; it
  grants no access and is not the reason anyone may read a case. A case
  officer whose token names a unit reads and acts only on the cases of that
  unit and on cases with no unit yet (``domain/case/units.py``). A token without a
  unit claim still opens every case of the municipality: an installation that
  has not organised its staff in units yet (a choice, not the law).
- Municipal staff on a citizen's team read that case and act as team members;
  staff not on the team see nothing.
- Volunteers and relatives are outside the municipality: they see only the
  categories the citizen's consent covers, while it is in force, and nothing
  after it is revoked (``legal.GDPR_7_3``); and nothing at all before their
  signed confidentiality declaration (tavshedserklæring) is recorded.
- The citizen sees their own case, and when and why it was read, with the
  reader's role, not the employees' identities (``legal.GDPR_15_LOG``: art. 15
  as the EU Court read it in C-579/21 and Datatilsynet applied it).
- A partsrepræsentant or værge (forvaltningslovens § 8) reads the case as the
  citizen does while their fuldmagt is in force, and gives the commands it
  covers (the decider checks the fuldmagt's scope and period); a bisidder
  stands beside the citizen and gets no access of their own
  (``domain/case/representatives.py``).
- An auditor reads everything and writes nothing.
- An administrator runs the system: lists, deadlines, reports and the log's
  verification, but no one's personal data and no commands.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from domain import catalogue
from domain.case.decider import CaseState
from domain.case.representatives import Representation
from domain.case.team import InvitationStatus, MemberKind
from domain.citizen import same_cpr
from domain.information import InformationCategory
from domain.messages import Role


class Action(StrEnum):
    """Everything a person can ask of samskab, as the API and pages name it."""

    OPEN_CASE = "open_case"
    ACT = "act"  # give a case a command (which one: ``command_type``)
    LIST_CASES = "list_cases"
    READ_CASE = "read_case"
    READ_TIMELINE = "read_timeline"
    READ_DEADLINES = "read_deadlines"
    READ_ACCESS_LOG = "read_access_log"  # who has read a case
    AUDIT_TRAIL = "audit_trail"  # the raw, hash-chained events
    AUDIT_VERIFY = "audit_verify"  # walk the whole chain
    AUDIT_EXPORT = "audit_export"
    READ_REPORTS = "read_reports"


#: Actions about one case: ``may`` needs the case's state for these.
CASE_ACTIONS = frozenset(
    {Action.ACT, Action.READ_CASE, Action.READ_TIMELINE, Action.READ_DEADLINES, Action.READ_ACCESS_LOG,
     Action.AUDIT_TRAIL, Action.AUDIT_EXPORT}
)  # fmt: skip

#: Reads that show a person's data: they need a purpose and are logged.
PERSONAL_DATA_READS = frozenset(
    {Action.READ_CASE, Action.READ_TIMELINE, Action.READ_DEADLINES, Action.READ_ACCESS_LOG,
     Action.AUDIT_TRAIL, Action.AUDIT_EXPORT, Action.LIST_CASES}
)  # fmt: skip


def is_one_line(purpose: str) -> bool:
    """Whether a purpose is one line of text for the access log: no control character (a NUL,
    which PostgreSQL's text cannot hold; a line break or an escape, which would forge a line
    or a colour in a text export of the log)."""
    return not any(unicodedata.category(ch) == "Cc" for ch in purpose)


# Who may give which command, and which category an event shows, each class
# declares itself (``domain.catalogue``); this module applies them to a person and a case.
CASE_OFFICERS = catalogue.CASE_OFFICERS
OUTSIDERS = frozenset({Role.VOLUNTEER, Role.RELATIVE})
TEAM_ROLES = frozenset({Role.STAFF, Role.VOLUNTEER, Role.RELATIVE})

#: Which fields of the case's state each category opens to an outsider.
STATE_CATEGORIES: dict[InformationCategory, tuple[str, ...]] = {
    InformationCategory.NEED: ("need",),
    InformationCategory.ASSESSMENT: ("assessment",),
    InformationCategory.DECISION: ("decision",),
    InformationCategory.PLAN: ("plan",),
    InformationCategory.OBSERVATIONS: ("observations",),
    InformationCategory.EVALUATION: ("pilot_result", "evaluation"),
}
#: What every reader of a case sees: that it exists and where it stands.
ALWAYS_VISIBLE = ("case_id", "version", "phase", "phase_since")


@dataclass(frozen=True, slots=True)
class Subject:
    """The person asking, as their token names them."""

    person_id: str
    role: Role
    municipality: str
    cpr: str | None = None  # only a citizen's token carries it
    unit: str | None = None  # the case officer's team or unit (need-to-know)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    #: For a volunteer or relative: the categories they may see; None means all.
    categories: frozenset[InformationCategory] | None = None
    #: Whether the health-related conditions of the assessment are shown (a separate category).
    health: bool = True

    def __bool__(self) -> bool:
        return self.allowed


NO_DECLARATION = (
    "din tavshedserklæring er ikke registreret i sagen; du får adgang til borgerens oplysninger, når "
    "sagsbehandleren har registreret den underskrevne erklæring (record_confidentiality_declaration)"
)


def _allow(
    reason: str, categories: frozenset[InformationCategory] | None = None, *, health: bool | None = None
) -> Decision:
    if health is None:
        health = categories is None or InformationCategory.HEALTH in categories
    return Decision(True, reason, categories, health)


def _deny(reason: str) -> Decision:
    return Decision(False, reason)


def is_own_case(who: Subject, state: CaseState) -> bool:
    """Whether the case is about the citizen asking: their token's CPR is the case's."""
    return who.role is Role.CITIZEN and state.citizen is not None and same_cpr(who.cpr, state.citizen.cpr)


def team_status(who: Subject, state: CaseState) -> InvitationStatus | None:
    member = state.team.get(who.person_id)
    return member.status if member is not None else None


def has_declared_confidentiality(who: Subject, state: CaseState) -> bool:
    """Whether this volunteer's or relative's tavshedserklæring is recorded on the case."""
    return who.person_id in state.confidentiality_declarations


def consented_categories(who: Subject, state: CaseState, at: datetime) -> frozenset[InformationCategory]:
    """The categories the citizen's consent lets this person see at ``at`` (empty after revocation)."""
    return frozenset(c for c in InformationCategory if state.consent_covers(who.person_id, c, at))


def may(
    who: Subject,
    action: Action,
    *,
    state: CaseState | None = None,
    at: datetime | None = None,
    command_type: str | None = None,
    municipality: str | None = None,
) -> Decision:
    """Whether ``who`` may do ``action`` (on the case in ``state``, at ``at``).

    ``municipality`` is the one this installation serves: a token from another
    municipality opens nothing. For a volunteer or relative the decision also
    says which categories they may see."""
    if municipality is not None and who.municipality != municipality:
        return _deny(f"your token is for municipality {who.municipality}; this is {municipality}")
    if who.role is Role.SYSTEM:
        return _deny("the system role acts only from inside the workflow")
    if action in CASE_ACTIONS and state is None:
        return _deny("no such case")
    if action is Action.ACT:
        assert state is not None  # a case action without a case is denied above
        return _may_act(who, state, command_type, at)
    if action is Action.OPEN_CASE:
        return _may_open(who, command_type)
    return _may_read(who, action, state, at)


def _may_open(who: Subject, command_type: str | None) -> Decision:
    if who.role in CASE_OFFICERS:
        return _allow("case officers register needs")
    if who.role is Role.CITIZEN:
        return _allow("a citizen may register their own need (the CPR must be their own)")
    return _deny(f"a {who.role.value} does not open cases; tell the caseworker about the need")


def representation_of(who: Subject, state: CaseState, at: datetime | None) -> Representation | None:
    """The representation in force for this person on this case at ``at`` that lets them act for the citizen."""
    if who.role is not Role.REPRESENTATIVE or at is None:
        return None
    for representation in state.representatives.values():
        if (
            representation.person_id == who.person_id
            and representation.kind.acts_for_citizen
            and representation.in_force(at.date())
        ):
            return representation
    return None


def outside_unit(who: Subject, state: CaseState) -> bool:
    """Need-to-know (GDPR art. 5(1)(c), 25, 32): a case officer with a unit, on a case of another unit."""
    return who.role in CASE_OFFICERS and who.unit is not None and state.unit is not None and state.unit != who.unit


def _other_unit(who: Subject, state: CaseState) -> Decision:
    return _deny(
        f"the case belongs to unit {state.unit}, you to unit {who.unit}: case officers see the cases of their own "
        "unit (need-to-know, databeskyttelsesforordningens art. 5, stk. 1, litra c, og art. 25)"
    )


def _may_act(who: Subject, state: CaseState, command_type: str | None, at: datetime | None = None) -> Decision:
    if catalogue.is_system_command(command_type):
        return _deny(f"'{command_type}' is given by the case itself, not by a person")
    if who.role is Role.AUDITOR:
        return _deny("an auditor reads everything and writes nothing")
    if who.role is Role.ADMINISTRATOR:
        return _deny("an administrator runs the system but does not act on cases")
    if who.role in CASE_OFFICERS:
        if outside_unit(who, state):
            return _other_unit(who, state)
        if catalogue.is_citizen_only(command_type):
            return _deny(f"'{command_type}' is the citizen's own decision; a caseworker cannot give it for them")
        known = catalogue.command(command_type or "") is not None  # an unknown type is refused as input, later
        if known and command_type and who.role not in catalogue.roles_of(command_type):
            return _deny(f"'{command_type}' is given by a {' or '.join(sorted(catalogue.roles_of(command_type)))}, "
                         f"not a {who.role.value}")  # fmt: skip
        return _allow("case officers act on the municipality's cases")
    if who.role is Role.REPRESENTATIVE:
        representation = representation_of(who, state, at)
        if representation is None:
            return _deny(f"{who.person_id} has no fuldmagt in force on this case (forvaltningslovens § 8)")
        if command_type not in representation.scope:
            return _deny(
                f"your fuldmagt covers {', '.join(representation.scope)}, not '{command_type}' (forvaltningslovens § 8)"
            )
        return _allow("a representative acts for the citizen within the fuldmagt (forvaltningslovens § 8)")
    allowed = catalogue.commands_for(who.role)
    if command_type not in allowed:
        return _deny(f"a {who.role.value} may not give '{command_type}'; allowed: {', '.join(sorted(allowed))}")
    if who.role is Role.CITIZEN:
        if is_own_case(who, state):
            return _allow("the citizen acts on their own case")
        return _deny("a citizen acts only on their own case")
    # staff, volunteers and relatives act on cases whose team they are invited to or on
    if team_status(who, state) in (InvitationStatus.INVITED, InvitationStatus.JOINED):
        if (
            who.role in OUTSIDERS
            and command_type != "answer_invitation"
            and not has_declared_confidentiality(who, state)
        ):
            return _deny(NO_DECLARATION)
        return _allow("a team member acts on the team's case")
    return _deny(f"{who.person_id} is not on this citizen's team")


def _may_read(who: Subject, action: Action, state: CaseState | None, at: datetime | None) -> Decision:
    role = who.role
    if role is Role.AUDITOR:
        return _allow("an auditor reads everything")
    if action is Action.AUDIT_VERIFY:
        if role in (Role.ADMINISTRATOR, Role.TEAM_LEAD):
            return _allow("verifying the chain shows no one's data")
        return _deny("verifying the whole log is for auditors, team leads and administrators")
    if action in (Action.AUDIT_TRAIL, Action.AUDIT_EXPORT):
        return _deny("the raw audit trail and its export are for auditors")
    if action is Action.READ_REPORTS:
        if role in (*CASE_OFFICERS, Role.ADMINISTRATOR):
            return _allow("reports hold no one's personal data")
        return _deny("reports are for case officers, administrators and auditors")
    if action is Action.LIST_CASES:
        if role in CASE_OFFICERS:
            return _allow("case officers list the municipality's cases")
        if role is Role.CITIZEN:
            return _allow("a citizen lists their own cases (only those)")
        if role in TEAM_ROLES:
            # Only the cases they are invited to or on (the list shows no one's personal data;
            # what each case shows them is decided per case, by their consent).
            return _allow(f"a {role.value} lists only the cases whose team they are on")
        return _deny(f"a {role.value} does not list cases")
    # the rest are reads of one case
    assert state is not None  # may() denies a case action without a case
    if role is Role.ADMINISTRATOR:
        if action is Action.READ_DEADLINES:
            return _allow("deadlines show where a case stands, not what it is about")
        return _deny("an administrator does not read cases' personal data")
    if role in CASE_OFFICERS:
        if outside_unit(who, state):
            return _other_unit(who, state)
        return _allow("case officers read the cases their work needs (need-to-know); FVL § 27 binds, it grants nothing")
    if role is Role.CITIZEN:
        if is_own_case(who, state):
            return _allow("the citizen reads their own case and who has read it")
        return _deny("a citizen reads only their own case")
    if role is Role.REPRESENTATIVE:
        if representation_of(who, state, at) is not None:
            return _allow("a partsrepræsentant or værge reads the case as the citizen does (forvaltningslovens § 8)")
        return _deny(
            f"{who.person_id} has no fuldmagt in force on this case; a bisidder gets no access of their own "
            "(forvaltningslovens § 8)"
        )
    if action is Action.READ_ACCESS_LOG:
        return _deny("who has read a case is for the citizen, case officers and auditors")
    status = team_status(who, state)
    if role is Role.STAFF:
        member = state.team.get(who.person_id)
        if status is InvitationStatus.JOINED and member is not None and member.kind is MemberKind.STAFF:
            # their part of the plan needs the case, not the citizen's health: that only with the citizen's consent
            health = at is not None and state.consent_covers(who.person_id, InformationCategory.HEALTH, at)
            return _allow("municipal staff on the team read the case under the duty of confidentiality"
                          + ("" if health else "; health conditions only with the citizen's consent"), health=health)  # fmt: skip
        return _deny(f"{who.person_id} is not staff on this citizen's team")
    if role in OUTSIDERS:
        if status is not InvitationStatus.JOINED:
            return _deny(f"{who.person_id} is not on this citizen's team")
        if not has_declared_confidentiality(who, state):
            return _deny(NO_DECLARATION)
        if at is None:
            return _deny("the time of the read is needed to check the consent")
        categories = consented_categories(who, state, at)
        if not categories:
            return _deny("the citizen has not given you consent to see their information (or has revoked it)")
        return _allow("the citizen's consent covers " + ", ".join(sorted(categories)), categories)
    return _deny(f"a {role.value} may not read cases")


# -- filtering what a decision lets through ------------------------------------


def visible_event(decision: Decision, event_type: str) -> bool:
    """Whether a reader with ``decision`` sees an event of ``event_type``."""
    if decision.categories is None:
        return decision.allowed
    category = catalogue.category_of(event_type)
    return category is not None and category in decision.categories


def identity_fields(event_type: str) -> tuple[str, ...]:
    """Fields of an event's payload that identify the citizen (``Event.identity_fields``)."""
    cls = catalogue.event(event_type)
    return cls.identity_fields if cls is not None else ()


def visible_payload(decision: Decision, event_type: str, payload: dict) -> dict:
    """An event's payload cut to what ``decision`` lets through: without the citizen's
    identity for a reader limited to consented categories."""
    if not decision.health and event_type == "assessment_recorded":
        payload = without_health(payload)
    if decision.categories is None:
        return payload
    return {k: v for k, v in payload.items() if k not in identity_fields(event_type)}


#: The FFB condition areas whose conditions are health information (GDPR art. 9;
#: the areas of "Funktioner og forhold" but "Sociale forhold").
HEALTH_AREAS = frozenset({"Mentale funktioner", "Sundhedsforhold", "Fysiske funktioner"})


def is_health_condition(condition: dict) -> bool:
    area = condition.get("area") or {}
    return area.get("display") in HEALTH_AREAS


#: An assessment as JSON, or none: what goes into without_health comes out.
_Assessment = TypeVar("_Assessment", dict, None)


def without_health(assessment: _Assessment) -> _Assessment:
    """An assessment (as JSON) without its health-related conditions."""
    if not assessment:
        return assessment
    return {**assessment, "conditions": [c for c in assessment.get("conditions", []) if not is_health_condition(c)]}


def visible_state(decision: Decision, state: dict) -> dict:
    """The case's state (as JSON) cut down to what ``decision`` lets through: a new dict,
    which the caller may add to; what it holds is ``state``'s, not copied, so never changed."""
    if not decision.health and state.get("assessment"):
        state = {**state, "assessment": without_health(state["assessment"])}
    if decision.categories is None:
        return dict(state)
    fields = set(ALWAYS_VISIBLE)
    for category in decision.categories:
        fields.update(STATE_CATEGORIES.get(category, ()))
    if InformationCategory.GOALS in decision.categories and InformationCategory.ASSESSMENT not in decision.categories:
        assessment = state.get("assessment") or {}
        visible = {k: v for k, v in state.items() if k in fields}
        visible["goals"] = assessment.get("goals", [])
        return visible
    return {k: v for k, v in state.items() if k in fields}
