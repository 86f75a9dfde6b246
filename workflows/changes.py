"""Which changes to the workflow code a run takes (``workflow.patched``).

Each patch id a new run records costs it a marker event and an upsert of the
``TemporalChangeVersion`` search attribute (a write to the server's
visibility store). A new run takes every change below, so it records one id,
``CURRENT``; a run started before that replays on the ids of the changes it
met, whose markers its history holds. When the code changes again in a way
running workflows would notice, add the change as its own id and move
``CURRENT`` to a new id (an earlier ``CURRENT`` then names its changes).
"""

from __future__ import annotations

from temporalio import workflow

#: Every change below, for runs started from the release that introduced it.
CURRENT = "samskab-2026-11"

#: A decision sends its letter and starts its appeal.
DECISION_LETTER_AND_APPEAL = "decision-letter-and-appeal"
#: A case appends its events through a local activity (``record_locally``).
LOCAL_APPEND = "case-append-as-local-activity"
#: Letters go to the outbox through a local activity.
LOCAL_LETTERS = "letters-as-local-activity"
#: An appeal appends through a local activity; it came with ``CURRENT`` and has
#: no id of its own, so an appeal started before it appends through a regular activity.
LOCAL_APPEAL_APPEND = CURRENT
#: A case leaves its ``CasePhase`` search attribute alone when it already shows
#: the phase (a case is started with its first phase); came with ``CURRENT``.
PHASE_SHOWN_AT_START = CURRENT


def taken(change: str) -> bool:
    """Whether this run takes ``change``: every new run does; an older one if its history says so."""
    return workflow.patched(CURRENT) or (change != CURRENT and workflow.patched(change))
