"""Which changes to the workflow code a run takes.

A run started by this release's client carries ``code_version = CURRENT_CODE``
in its input (``CaseInput``, ``AppealInput``) and takes every change below,
with no patch marker at all. A marker is not free: each id a run passes to
``workflow.patched`` costs it a marker event, an upsert of the
``TemporalChangeVersion`` search attribute (a write to the server's
visibility store) and about 6 KiB of worker memory for as long as the run
waits. A run started before versions were given (``code_version`` 1, its
input's default) follows its history: the changes that had a patch id are
taken where its history holds their markers, as before; the ones that came
with version 2 are not taken.

When the code changes again in a way running workflows would notice: raise
``CURRENT_CODE`` and name the change with the version that brought it
(``taken`` then compares versions); a run of an older version keeps its code.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

#: The version of the workflow code this release starts runs with.
CURRENT_CODE = 7
#: The version of a run started before versions were given: it follows its
#: patch markers. The forum and the daily delivery are still versioned so.
BEFORE_VERSIONS = 1


@dataclass(frozen=True)
class Change:
    """A change to the workflow code: the version that brought it, and the
    patch id it had before versions were given (runs of version 1 follow it)."""

    since: int
    patch_id: str | None = None


#: A decision sends its letter and starts its appeal.
DECISION_LETTER_AND_APPEAL = Change(since=2, patch_id="decision-letter-and-appeal")
#: A case appends its events through a local activity (``record_locally``).
LOCAL_APPEND = Change(since=2, patch_id="case-append-as-local-activity")
#: Letters go to the outbox through a local activity.
LOCAL_LETTERS = Change(since=2, patch_id="letters-as-local-activity")
#: An appeal appends through a local activity.
LOCAL_APPEAL_APPEND = Change(since=2)
#: A case leaves its ``CasePhase`` search attribute alone when it already shows
#: the phase (a case is started with its first phase).
PHASE_SHOWN_AT_START = Change(since=2)
#: A case goes on after its evaluation and stays bounded: it continues as new
#: (``RunBound``), its appeals are not awaited (the appeal tells the case by the
#: ``appeal_outcome`` signal) and a closed case waits while an appeal can still
#: change a decision.
CASE_GOES_ON = Change(since=3)


def taken(change: Change, code_version: int) -> bool:
    """Whether a run of ``code_version`` takes ``change``: a run of that version or later
    does; an older run if its history holds the change's patch marker."""
    if code_version >= change.since:
        return True
    return change.patch_id is not None and workflow.patched(change.patch_id)
#: A case shows its caseworker, next deadline and target group as search attributes
#: (``workflows.search_attributes``), only those its input names as registered.
CASE_SEARCH_ATTRIBUTES = Change(since=4)
#: A decision to scale the help signals the target group's forum, which reads the
#: proposal from the case's log and takes it as an observation from a pilot (before:
#: a letter to "forum" in the case's outbox).
SCALE_REACHES_FORUM = Change(since=5)
#: A phase deadline's timer fires a few seconds after the deadline, by a spread fixed per case
#: (``domain.deadlines.spread_offset``), so deadlines that pass together do not all wake their cases in
#: the same instant; the miss still carries the real due time, and a phase that ends within the
#: spread after its deadline still has the miss recorded.
PHASE_DEADLINE_SPREAD = Change(since=6)
#: Every other timer that many cases can share fires the same per-case spread after its moment: the
#: processing deadline and its reminder (Rsl § 3, stk. 2), the expected date given the citizen, the
#: hearing deadline (FVL § 19), the follow-up (SEL § 148, stk. 2), an invitation's reminder and expiry,
#: the pilot's check-ins, and in the appeal (which the case starts with its spread) the close of the
#: window (Rsl § 67) and the reconsideration's deadline (Rsl § 66). Most of them fall on a date or a
#: midnight, so the cases of one day wake together without it. What is recorded still carries the real
#: due time; whether a deadline was kept is judged by the domain at its real moment.
DEADLINES_SPREAD = Change(since=7)
