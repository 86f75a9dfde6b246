"""Which fields of each event are personal data (GDPR art. 4 and 9).

The event log encrypts these fields with the citizen's own key before it
stores an event, so erasing the citizen (destroying the key) makes them
unreadable while the hash chain, which covers the ciphertext, stays intact.

A path names a field inside an event's payload (the event without its header):
dotted keys, with ``[*]`` for every element of a list, e.g.
``conditions[*].citizen_words``. A path that does not occur in a payload (an
optional field, an older schema version) is simply skipped.

To declare a new event's personal fields, add its type here (or call
``register``). An event type that is not listed has no personal fields: only
free text and identifiers that say something about a person belong here, never
codes, scores, legal bases or the workflow's own bookkeeping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

#: The value a personal field reads as once the citizen's key is destroyed.
ERASED_MARKER = "[slettet]"

_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[\*\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\*\])?)*$")

_FIELDS: dict[str, tuple[str, ...]] = {
    # Phase 1: who the citizen is, and the need in the words it was told.
    "need_registered": ("citizen.cpr", "citizen.name", "need.description"),
    # Phase 2: the citizen's own words and goals (often health information);
    # the written reasons of a decision describe the citizen's situation.
    "assessment_recorded": ("conditions[*].citizen_words", "goals[*].in_own_words"),
    "decision_made": ("reasons",),
    # Phase 3: the citizen's comments on their team.
    "team_approved_by_citizen": ("comment",),
    "team_changes_requested": ("comment",),
    # Phase 4: the action plan and what the team saw.
    "pilot_started": (
        "plan.purpose",
        "plan.goals[*].description",
        "plan.goals[*].measure",
        "plan.activities[*].description",
    ),
    "observation_recorded": ("text",),
    "pilot_completed": ("summary", "early_end_reason"),
    # Phase 5: the citizen's own voice and the reasons given.
    # (schema 1 had "reasons"; schema 2 keeps them in follow_up, beside the ratings' free text)
    "evaluation_recorded": ("citizen_statement", "reasons", "follow_up.reasons", "ratings[*].comment"),
    "case_closed": ("reason",),
    # The appeal (its own stream, under the citizen's key): the complaint in the
    # citizen's words, and the reasons given on reconsideration.
    "appeal_lodged": ("complaint",),
    "decision_reconsidered": ("reasons",),
    "appeal_sent_to_ankestyrelsen": ("complaint", "reconsideration_reasons"),
    "decision_reopened": ("reasons",),
    # FVL § 8: who represents the citizen, and why a representation ended.
    "representative_recorded": ("name",),
    "representation_ended": ("reason",),
    "file_access_answered": ("reasons",),
}

#: The event type whose payload identifies the citizen, and the path of the
#: identifier (the CPR number): the citizen's key is found or made from it.
SUBJECT_IDENTIFIER: Mapping[str, str] = MappingProxyType({"need_registered": "citizen.cpr"})


def register(event_type: str, paths: Iterable[str]) -> None:
    """Declare (or extend) the personal fields of an event type."""
    new = tuple(paths)
    for path in new:
        if not _PATH.match(path):
            raise ValueError(f"personal-data path {path!r} of {event_type!r} is not of the form a.b[*].c")
    _FIELDS[event_type] = tuple(dict.fromkeys((*_FIELDS.get(event_type, ()), *new)))


def personal_paths(event_type: str) -> tuple[str, ...]:
    """The personal fields of ``event_type``; an unknown type has none."""
    return _FIELDS.get(event_type, ())


def declared() -> Mapping[str, tuple[str, ...]]:
    """Every declaration, read-only (for documentation and tests)."""
    return MappingProxyType(dict(_FIELDS))


for _type, _paths in _FIELDS.items():  # the table above must be well formed
    for _p in _paths:
        assert _PATH.match(_p), f"bad personal-data path {_p!r} for {_type!r}"


#: Who may order a citizen's personal data erased (the controller's decision,
#: carried out by the system's administrator or a team lead).
ERASURE_ROLES: tuple[str, ...] = ("administrator", "team_lead")
#: The event a case ends with; erasure waits for it, so no open case loses data it still needs.
CASE_CLOSED_EVENT = "case_closed"
#: The event erasure appends (in a stream of its own, ``erasure-<key id>``); it holds no personal data.
ERASURE_EVENT = "personal_data_erased"
