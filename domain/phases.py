"""The phases a case moves through, with the names a caseworker uses."""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    NEW = "new"
    NEED = "need"
    VISITATION = "visitation"
    TEAM = "team"
    PILOT = "pilot"
    EVALUATION = "evaluation"
    #: After a decision to continue the help: follow-ups on a timer (SEL § 148, stk. 2).
    FOLLOW_UP = "follow_up"
    REFUSED = "refused"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_open(self) -> bool:
        return self not in (Phase.NEW, Phase.CLOSED)


_LABELS = {
    Phase.NEW: "ikke oprettet",
    Phase.NEED: "behov registreret",
    Phase.VISITATION: "visitation",
    Phase.TEAM: "holdet samles",
    Phase.PILOT: "pilot",
    Phase.EVALUATION: "evaluering",
    Phase.FOLLOW_UP: "opfølgning",
    Phase.REFUSED: "afslag givet",
    Phase.CLOSED: "afsluttet",
}
