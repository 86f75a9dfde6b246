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

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.legal import ARCHIVES, GDPR_17_3_B
from domain.messages import Event

DEFAULT_KIND = "social_service"


class RetentionRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    years: int = Field(ge=0, le=100, description="Years after the case closed")
    source: str = Field(min_length=3, description="Why this period: the rule or plan it comes from")


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
