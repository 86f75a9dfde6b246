"""Which changes to the workflow code a run takes: the 1.0 baseline and the mechanism after it.

Nothing of samskab ran in production before 1.0, so 1.0 is the baseline: every
workflow runs today's code, with no patch markers and no branches for older
runs, and the committed histories in ``tests/histories`` are 1.0's (they replay
against the code in ``tests/workflows/test_replay_histories.py``).

A run carries the code version it was started with (``CaseInput.code_version``,
``AppealInput.code_version``; the forum and the daily delivery are started with
``CURRENT_CODE`` too). The first change after 1.0 that a running workflow would
notice (another order of commands, a timer more or less, an activity become
local) is made so:

1. raise ``CURRENT_CODE`` to 2 and name the change: ``NEW_THING = Change(since=2)``;
2. where the workflow decides, ``if taken(NEW_THING, self._code): <new> else: <as before>``;
3. record a history of the new code beside the old ones (``SAMSKAB_RECORD_HISTORIES=1``)
   and keep the old ones, which must still replay.

A run of an older version keeps its code until it ends or continues as new (a
continued run keeps the version it carries). A version costs nothing at run
time, unlike ``workflow.patched``, whose marker each run would write into its
history and its visibility record. Once no run of an old version is left
(``temporal workflow list --query``), its branches and histories can go.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The version of the workflow code this release starts runs with (1.0: the baseline).
CURRENT_CODE = 1


@dataclass(frozen=True)
class Change:
    """A change to the workflow code after 1.0: the version that brought it."""

    since: int


def taken(change: Change, code_version: int) -> bool:
    """Whether a run of ``code_version`` takes ``change``: a run of that version or later does."""
    return code_version >= change.since
