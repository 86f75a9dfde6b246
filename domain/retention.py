"""How long a closed case is kept before the citizen's personal data is erased.

Erasing a citizen's data the moment their case closes would break two duties:

- GDPR art. 17(3)(b): the right to erasure does not apply while the processing
  is needed to meet a legal obligation, and the municipality must keep its
  case files: under arkivloven and Rigsarkivet's rules on preservation and
  discarding (bevaring og kassation) for municipalities, case files may be
  discarded only when there is no longer a legal or administrative need for
  them, counted from the year the case closed (Folketingets Ombudsmand, FOB
  2008.399, with Statens Arkiver's statement; FOB 2002 on kassationsfrist:
  when claims arising from the case are with certainty time-barred).
- the same rules make some case files archival records that are preserved,
  not erased (Rigsarkivet selects them; a municipality may not discard without
  its authority).

So each kind of case has a retention period counted from its closing; erasure
before it ends is refused with the reason and the date it ends, and after it
the data is erased by destroying the citizen's key (crypto-shredding: the
records stay, anonymous), recording the legal basis and the retention rule met.

The erasure is a decider of its own over the stream ``erasure-<key id>``
(``EraseCitizensData`` decided by ``decide_erasure``, folded by
``evolve_erasure``): who may order it, that it names its legal basis, that every
case of the citizen has closed and met its retention, and that a key is erased
once. Whoever gives the command reads the citizen's cases from the log into it;
destroying the key is theirs to do once the event is recorded.

The default of 5 years after closing is a documented default, not a statutory
figure: it follows the ombudsman's test (no longer a legal or administrative
need), measured by forældelsesloven's 3-year ordinary limitation plus the time
an appeal and a claim for repayment can take. No statute or Rigsarkivet rule
naming 5 years for adult social-service case files was confirmed for this
revision: each municipality sets its own periods in its bevarings- og
kassationsplan, and ``RetentionPolicy`` takes them from the settings. Which
case files Rigsarkivet selects for preservation is not modelled.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import require
from domain.legal import ARCHIVES, GDPR_17_3_B
from domain.messages import Actor, Command, Event, Role, require_may_give
from domain.personal_data import ERASURE_ROLES

DEFAULT_KIND = "social_service"


class RetentionRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    years: int = Field(ge=0, le=100, description="Years after the case closed")
    source: str = Field(min_length=3, max_length=1000, description="Why this period: the rule or plan it comes from")


class RetentionPolicy(BaseModel):
    """Retention per kind of case; the municipality's bevarings- og kassationsplan overrides the default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    by_kind: dict[str, RetentionRule] = Field(
        default_factory=lambda: {
            DEFAULT_KIND: RetentionRule(
                years=5,
                source=f"{GDPR_17_3_B}; {ARCHIVES} (kassation først uden retligt eller administrativt behov, "
                "regnet fra sagens afslutning, FOB 2008.399); samskabs standard, kommunens kassationsplan gælder",
            )
        }
    )

    def rule_for(self, kind: str) -> RetentionRule:
        return self.by_kind.get(kind) or self.by_kind[DEFAULT_KIND]


def retained_until(closed_at: datetime, rule: RetentionRule) -> date:
    """The first day the case's personal data may be erased (29 February falls on 28 February)."""
    closed = closed_at.date()
    year = closed.year + rule.years
    day = closed.day
    while True:
        try:
            return date(year, closed.month, day)
        except ValueError:
            day -= 1


def erasure_refusal(case_id: str, closed_at: datetime, on: date, rule: RetentionRule) -> str | None:
    """Why the case may not be erased on ``on``, or None when its retention has ended."""
    until = retained_until(closed_at, rule)
    if on >= until:
        return None
    return (
        f"sag {case_id} blev afsluttet {closed_at.date().isoformat()} og skal opbevares til {until.isoformat()} "
        f"({rule.years} år): retten til sletning gælder ikke, så længe opbevaringen er en retlig forpligtelse "
        f"({rule.source})"
    )


class RetainedCase(BaseModel):
    """A case of the erased citizen, and the retention rule it met before the erasure."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case: str
    closed: date
    retained_until: date
    rule: str


class PersonalDataErased(Event):
    """A citizen's personal data erased by destroying their key (GDPR art. 17), in a
    stream of its own: which key and cases, how, and the retention rule each case met.
    It holds nothing personal. Its legal basis is the one the person erasing names
    (e.g. "GDPR art. 17(1)(a)"), a column of the log beside it, not a field."""

    type: Literal["personal_data_erased"] = "personal_data_erased"
    label = "Personoplysninger slettet"
    key_id: str
    cases: tuple[str, ...]
    method: str = "key destroyed (crypto-shredding)"
    retention: tuple[RetainedCase, ...] = ()


#: The event erasure appends (in a stream of its own, ``erasure-<key id>``); it holds no personal data.
ERASURE_EVENT: str = PersonalDataErased.model_fields["type"].default


# -- the erasure's decider ----------------------------------------------------------

#: The longest legal basis the event log's column (and the key store beside a destroyed key) keeps.
MAX_BASIS = 100


class CitizensCase(BaseModel):
    """One case of the citizen as the log holds it when the erasure is asked for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case: str = Field(min_length=1, max_length=64)
    #: False for a case bound to the citizen's key with nothing recorded yet.
    recorded: bool = True
    #: When the case closed (its last ``case_closed``); None while it is open.
    closed_at: datetime | None = None


class EraseCitizensData(Command):
    """Erase a citizen's personal data by destroying their key (GDPR art. 17).

    The citizen's cases come with the command, read from the log by whoever gives it;
    the retention rule is the municipality's for the kind of case (``RetentionPolicy``)."""

    title = "Erase a citizen's personal data"
    type: Literal["erase_citizens_data"] = "erase_citizens_data"
    label = "Slet borgerens personoplysninger"
    roles = frozenset(Role(role) for role in ERASURE_ROLES)
    role_reason = "the controller's decision, carried out by the system's administrator or a team lead"
    key_id: str = Field(min_length=1, max_length=64, description="The citizen's key")
    basis: str = Field(max_length=MAX_BASIS, description="The legal basis of the erasure, e.g. GDPR art. 17(1)(a)")
    cases: tuple[CitizensCase, ...] = Field(default=(), max_length=10_000)
    rule: RetentionRule


class ErasureState(BaseModel):
    """What the erasure stream says of the citizen's key: recorded as erased or not."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str | None = None
    erased: bool = False
    version: int = 0


def initial_erasure_state() -> ErasureState:
    return ErasureState()


def refuse_unless_may_erase(actor: Actor) -> None:
    """Refuses anyone ``EraseCitizensData`` does not name; asked of the actor alone, before
    the citizen is looked up, so no one else learns whether a citizen is known."""
    require_may_give(EraseCitizensData, actor, rule="erasure.role_not_allowed")


def decide_erasure(state: ErasureState, command: EraseCitizensData) -> list[Event]:
    """The erasure event, or a refusal naming the rule.

    GDPR art. 17(3)(b): no erasure while keeping the case files is a legal
    obligation, i.e. while a case is open or its retention period runs."""
    require(command.at is not None, "the command has no time", rule="erasure.unstamped", field="at")
    refuse_unless_may_erase(command.actor)
    basis = command.basis.strip()
    require(bool(basis), "say the legal basis of the erasure, e.g. 'GDPR art. 17(1)(a)'",
            rule="erasure.basis_required", field="basis")  # fmt: skip
    require(not state.erased, f"the citizen's key {command.key_id} was already destroyed",
            rule="erasure.already_erased", field="citizen")  # fmt: skip
    retained = []
    for case in command.cases:
        if not case.recorded:
            continue  # nothing of it to keep, nothing to erase
        require(case.closed_at is not None,
                f"case {case.case} is still open; close it before erasing the citizen's personal data",
                rule="erasure.case_open", field="citizen")  # fmt: skip
        assert case.closed_at is not None  # refused above when open
        reason = erasure_refusal(case.case, case.closed_at, command.now.date(), command.rule)
        require(reason is None, reason or "", rule="erasure.retention_running", field="citizen")
        retained.append(RetainedCase(case=case.case, closed=case.closed_at.date(),
                                     retained_until=retained_until(case.closed_at, command.rule),
                                     rule=command.rule.source))  # fmt: skip
    return [
        PersonalDataErased(occurred_at=command.now, actor=command.actor, key_id=command.key_id,
                           cases=tuple(case.case for case in command.cases), retention=tuple(retained))
    ]  # fmt: skip


def evolve_erasure(state: ErasureState, event: Event) -> ErasureState:
    if isinstance(event, PersonalDataErased):
        return ErasureState(key_id=event.key_id, erased=True, version=state.version + 1)
    return state.model_copy(update={"version": state.version + 1})


def fold_erasure(events: Iterable[Event], state: ErasureState | None = None) -> ErasureState:
    state = state if state is not None else initial_erasure_state()
    for event in events:
        state = evolve_erasure(state, event)
    return state
