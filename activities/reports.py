"""Learning across cases: a report built from the event log alone.

A projection over ``EventStore.read_all`` pages, never over workflow state, so
anyone with the log can rebuild it and get the same numbers. Per value domain,
per target group (the assessment's FFB "Målgruppe") and per pilot type (the
FFB "Ydelse" main group and legal basis of the granted services, see
``domain.case.evaluation.pilot_type``): counts of cases, pilots started, completed
and stopped early, the value-domain scores, and WEMWBS and SB-6 before and
after.

No personal data leaves this module: only codes' displays, counts and scores.
Events are read through ``to_domain_event`` (which decrypts what the log
keeps encrypted) and only the event types the report needs are read at all;
the citizen's statements, ratings' comments and reasons are never copied out.
A case whose citizen was erased still counts: its codes and scores are not
personal data, so an erased event is read with its personal fields as the
erasure marker, and only its non-personal fields are used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from statistics import fmean, median

from activities.readmodels import ErasedRecord, to_domain_event
from domain.case.assessment import AssessmentRecorded
from domain.case.decider import event_from_record
from domain.case.decision import DecisionMade
from domain.case.evaluation import BaselineRecorded, EvaluationRecorded, LegacyEvaluationRecorded, pilot_type
from domain.case.pilot import PilotCompleted
from domain.catalogue import type_of
from domain.messages import Event
from domain.value_domains import DOMAINS
from eventlog import EventStore, StoredEvent
from eventlog.keystore import KeyStore

#: The event types the report reads; everything else in the log is skipped unread.
CASE_OPENED = "need_registered"  # counted by type only: its payload is never read
PILOT_STARTED = "pilot_started"  # likewise
READ_TYPES = frozenset(
    type_of(e) for e in (AssessmentRecorded, DecisionMade, PilotCompleted, BaselineRecorded, EvaluationRecorded)
)

ALL, TARGET_GROUP, PILOT_TYPE = "all", "target_group", "pilot_type"
ALL_CASES = "Alle sager"
NOT_ASSESSED = "(ingen vurdering)"


@dataclass(frozen=True)
class EvaluationNumbers:
    """The numbers of one evaluation the report uses: no statement, no comment, no reason."""

    domain_scores: dict[str, float | None]
    wemwbs: float
    self_determination: float
    wemwbs_before: float | None
    self_determination_before: float | None
    follow_up_status: str
    pilot_advice: str

    @classmethod
    def of(cls, event: EvaluationRecorded) -> EvaluationNumbers:
        return cls(
            domain_scores=dict(event.value_domains.scores()),
            wemwbs=event.wemwbs.score,
            self_determination=event.self_determination.score,
            wemwbs_before=event.wemwbs_before,
            self_determination_before=event.self_determination_before,
            follow_up_status=event.follow_up.status.display,
            pilot_advice=event.follow_up.pilot.value,
        )


@dataclass
class CaseFacts:
    """What the report knows about one case: codes, flags and the evaluation's numbers.

    Plain data (``as_json`` / ``from_json``), so the read side can keep one row per case."""

    target_group: str = NOT_ASSESSED
    pilot_type: str = "ingen ydelse"
    pilot_started: bool = False
    pilot_completed: bool = False
    ended_early: bool = False
    baseline: bool = False
    evaluation: EvaluationNumbers | None = None
    legacy_evaluation: bool = False

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> CaseFacts:
        evaluation = data.get("evaluation")
        return cls(**{**data, "evaluation": EvaluationNumbers(**evaluation) if evaluation else None})

    def see(self, event: Event) -> None:
        match event:
            case AssessmentRecorded():
                self.target_group = event.target_group.display
            case DecisionMade():
                self.pilot_type = pilot_type(event)
            case PilotCompleted():
                self.pilot_completed = True
                self.ended_early = event.ended_early
            case BaselineRecorded():
                self.baseline = True
            case EvaluationRecorded():
                self.evaluation = EvaluationNumbers.of(event)
            case LegacyEvaluationRecorded():
                self.legacy_evaluation = True


@dataclass(frozen=True)
class Distribution:
    values: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float | None:
        return round(fmean(self.values), 1) if self.values else None

    @property
    def median(self) -> float | None:
        return round(median(self.values), 1) if self.values else None

    @property
    def min(self) -> float | None:
        return min(self.values) if self.values else None

    @property
    def max(self) -> float | None:
        return max(self.values) if self.values else None

    def summary(self) -> dict:
        return {
            "n": self.n,
            "mean": self.mean,
            "median": self.median,
            "min": self.min,
            "max": self.max,
            "values": sorted(self.values),
        }


@dataclass
class GroupReport:
    """One row of the report: all cases, one target group, or one pilot type."""

    dimension: str
    group: str
    cases: int = 0
    pilots_started: int = 0
    pilots_completed: int = 0
    early_stops: int = 0
    evaluated: int = 0
    with_baseline: int = 0
    domains: dict[str, list[float]] = field(default_factory=lambda: {d: [] for d in DOMAINS})
    wemwbs_before: list[float] = field(default_factory=list)
    wemwbs_after: list[float] = field(default_factory=list)
    self_determination_before: list[float] = field(default_factory=list)
    self_determination_after: list[float] = field(default_factory=list)
    follow_up: Counter = field(default_factory=Counter)
    pilot_advice: Counter = field(default_factory=Counter)

    def add(self, case: CaseFacts) -> None:
        self.cases += 1
        self.pilots_started += case.pilot_started
        self.pilots_completed += case.pilot_completed
        self.early_stops += case.ended_early
        ev = case.evaluation
        if ev is None:
            return
        self.evaluated += 1
        for name, score in ev.domain_scores.items():
            if score is not None:
                self.domains[name].append(score)
        self.wemwbs_after.append(ev.wemwbs)
        self.self_determination_after.append(ev.self_determination)
        if ev.wemwbs_before is not None:
            self.with_baseline += 1
            self.wemwbs_before.append(ev.wemwbs_before)
        if ev.self_determination_before is not None:
            self.self_determination_before.append(ev.self_determination_before)
        self.follow_up[ev.follow_up_status] += 1
        self.pilot_advice[ev.pilot_advice] += 1

    def domain(self, name: str) -> Distribution:
        return Distribution(tuple(self.domains[name]))

    def to_json(self) -> dict:
        return {
            "dimension": self.dimension,
            "group": self.group,
            "cases": self.cases,
            "pilots_started": self.pilots_started,
            "pilots_completed": self.pilots_completed,
            "early_stops": self.early_stops,
            "evaluated": self.evaluated,
            "with_baseline": self.with_baseline,
            "value_domains": {name: self.domain(name).summary() for name in DOMAINS},
            "wemwbs": {
                "before": Distribution(tuple(self.wemwbs_before)).summary(),
                "after": Distribution(tuple(self.wemwbs_after)).summary(),
            },
            "self_determination": {
                "before": Distribution(tuple(self.self_determination_before)).summary(),
                "after": Distribution(tuple(self.self_determination_after)).summary(),
            },
            "follow_up": dict(sorted(self.follow_up.items())),
            "pilot_advice": dict(sorted(self.pilot_advice.items())),
        }

    def csv_row(self) -> dict:
        row = {
            "dimension": self.dimension,
            "group": self.group,
            "cases": self.cases,
            "pilots_started": self.pilots_started,
            "pilots_completed": self.pilots_completed,
            "early_stops": self.early_stops,
            "evaluated": self.evaluated,
            "with_baseline": self.with_baseline,
        }
        for name in DOMAINS:
            row[f"{name}_mean"] = _blank(self.domain(name).mean)
        row["wemwbs_before_mean"] = _blank(Distribution(tuple(self.wemwbs_before)).mean)
        row["wemwbs_after_mean"] = _blank(Distribution(tuple(self.wemwbs_after)).mean)
        row["self_determination_before_mean"] = _blank(Distribution(tuple(self.self_determination_before)).mean)
        row["self_determination_after_mean"] = _blank(Distribution(tuple(self.self_determination_after)).mean)
        return row


def _blank(value: float | None) -> float | str:
    return "" if value is None else value


@dataclass
class LearningReport:
    groups: list[GroupReport]
    last_position: int
    legacy_evaluations: int
    unreadable_events: int = 0

    def group(self, dimension: str, group: str) -> GroupReport:
        for row in self.groups:
            if row.dimension == dimension and row.group == group:
                return row
        raise KeyError(f"the report has no {dimension} {group!r}")

    @property
    def total(self) -> GroupReport:
        return self.group(ALL, ALL_CASES)

    def by(self, dimension: str) -> list[GroupReport]:
        return [row for row in self.groups if row.dimension == dimension]

    def to_json(self) -> dict:
        return {
            "source": "event log",
            "last_position": self.last_position,
            "legacy_evaluations": self.legacy_evaluations,
            "unreadable_events": self.unreadable_events,
            "scales": {
                "value_domains": "0-100, higher is better, 50 = no change where a score measures change",
                "wemwbs": "14-70",
                "self_determination": "SB-6, 6-30",
            },
            "groups": [row.to_json() for row in self.groups],
        }

    def csv_rows(self) -> list[dict]:
        return [row.csv_row() for row in self.groups]


def report_from_facts(cases: Iterable[CaseFacts], *, last_position: int = 0) -> LearningReport:
    """Groups the cases: all of them, then per target group, then per pilot type."""
    cases = list(cases)
    total = GroupReport(ALL, ALL_CASES)
    by_target: dict[str, GroupReport] = {}
    by_pilot: dict[str, GroupReport] = {}
    for case in cases:
        total.add(case)
        by_target.setdefault(case.target_group, GroupReport(TARGET_GROUP, case.target_group)).add(case)
        by_pilot.setdefault(case.pilot_type, GroupReport(PILOT_TYPE, case.pilot_type)).add(case)
    groups = [total, *(by_target[k] for k in sorted(by_target)), *(by_pilot[k] for k in sorted(by_pilot))]
    legacy = sum(case.legacy_evaluation for case in cases)
    return LearningReport(groups=groups, last_position=last_position, legacy_evaluations=legacy)


def _pages(store: EventStore, page_size: int) -> Iterator[list[StoredEvent]]:
    after = 0
    while page := store.read_all(after_position=after, limit=page_size):
        yield page
        after = page[-1].position


def readable_for_report(stored: StoredEvent, keys: KeyStore) -> Event | None:
    """The event as the report reads it: an erased one with the marker in its personal fields."""
    try:
        event = to_domain_event(stored, keys)
    except ValueError:  # an older schema without an upcaster: counted, not guessed at
        return None
    if not isinstance(event, ErasedRecord):
        return event
    header = {
        "schema_version": stored.schema_version,
        "occurred_at": stored.occurred_at,
        "actor": {"id": stored.actor_id, "role": stored.actor_role},
    }
    try:  # the marker stands in the personal fields, which the report does not read
        return event_from_record(stored.event_type, header, event.payload)
    except ValueError:
        return None


@dataclass
class LogFacts:
    cases: dict[str, CaseFacts] = field(default_factory=dict)
    last_position: int = 0
    unreadable_events: int = 0  # written by an older schema that today's models no longer read


def case_facts(store: EventStore, keys: KeyStore, *, page_size: int = 1000) -> LogFacts:
    """Every case's facts from the whole log, in one pass."""
    facts = LogFacts()
    cases = facts.cases
    for page in _pages(store, page_size):
        for stored in page:
            facts.last_position = stored.position
            if stored.event_type == CASE_OPENED:
                cases.setdefault(stored.stream_id, CaseFacts())
            elif stored.stream_id not in cases:
                continue
            elif stored.event_type == PILOT_STARTED:
                cases[stored.stream_id].pilot_started = True
            elif stored.event_type in READ_TYPES:
                event = readable_for_report(stored, keys)
                if event is None:
                    facts.unreadable_events += 1
                else:
                    cases[stored.stream_id].see(event)
    return facts


def build_report(store: EventStore, keys: KeyStore, *, page_size: int = 1000) -> LearningReport:
    """The learning report over everything the event log holds."""
    facts = case_facts(store, keys, page_size=page_size)
    report = report_from_facts(facts.cases.values(), last_position=facts.last_position)
    report.unreadable_events = facts.unreadable_events
    return report
