"""The KL delivery's rules (``domain.kl_delivery``): given the delivery stream's history,
when one of the delivery workflow's commands, then these events or this refusal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.kl_delivery import KLDeliveryDayCompleted, fold_delivery
from domain.messages import SYSTEM_ACTOR
from tests.domain.gwt import KL_DELIVERY, NOW, Accepted, Refusal, rule_id

SYSTEM = {"id": "samskab", "role": "system"}
DAY = date(2026, 11, 20)


def delivered(day: date = DAY, case_id: str = "K-1") -> dict:
    return {"type": "record_kl_report_delivered", "actor": SYSTEM, "day": day.isoformat(), "case_id": case_id,
            "report_id": "r-1", "sha256": "0" * 64, "resources": 3, "target": "folder", "receipt": "r-1.json"}  # fmt: skip


def rejected(day: date = DAY) -> dict:
    return {"type": "record_kl_report_rejected", "actor": SYSTEM, "day": day.isoformat(), "case_id": "K-2",
            "report_id": "r-2", "violations": [{"rule": "report.bundle", "message": "not a bundle"}]}  # fmt: skip


def failed(day: date = DAY) -> dict:
    return {"type": "record_kl_delivery_failed", "actor": SYSTEM, "day": day.isoformat(), "case_id": "K-3",
            "error": "connection refused"}  # fmt: skip


def complete(day: date = DAY, delivered: int = 1, rejected: int = 0, failed: int = 0) -> dict:
    return {"type": "complete_kl_delivery_day", "actor": SYSTEM, "day": day.isoformat(), "delivered": delivered,
            "rejected": rejected, "failed": failed}  # fmt: skip


NEXT = DAY + timedelta(days=1)

RULES = [
    Refusal("kl_delivery.unstamped", given=[], when=delivered(), at=None, field="at"),
    # the delivery workflow is the stream's only writer
    Refusal(
        "kl_delivery.role_not_allowed",
        given=[],
        when={**delivered(), "actor": {"id": "cw", "role": "caseworker"}},
        field="actor.role",
        says="system",
    ),
    # a day is completed once, and nothing more is recorded for it after
    Refusal("kl_delivery.day_completed", given=[delivered(), complete()], when=complete(), field="day"),
    Refusal("kl_delivery.day_completed", given=[delivered(), complete()], when=delivered(), field="day"),
    Refusal("kl_delivery.day_completed", given=[complete()], when=failed(DAY - timedelta(days=3)), field="day"),
    # days are delivered one at a time, in order (each report covers one day)
    Refusal(
        "kl_delivery.out_of_order",
        given=[complete()],
        when=delivered(DAY + timedelta(days=2)),
        field="day",
        says=NEXT.isoformat(),
    ),
    Accepted("the first day delivered may be any day", given=[], when=rejected(), then=["kl_report_rejected"]),
    Accepted(
        "the day after the last completed is delivered",
        given=[delivered(), complete()],
        when=failed(NEXT),
        then=["kl_delivery_failed"],
    ),
    Accepted(
        "a day with its deliveries done is completed",
        given=[delivered(), rejected()],
        when=complete(delivered=1, rejected=1),
        then=["kl_delivery_day_completed"],
    ),
    # a delivery that failed in transport keeps the day open: the next run delivers it again
    Accepted(
        "a day with a failed delivery stays open", given=[delivered(), failed()], when=complete(failed=1), then=[]
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(KL_DELIVERY)


def test_a_completed_day_carries_the_runs_tallies_and_moves_the_delivery_on():
    (done,) = Accepted("", given=[], when=complete(delivered=7, rejected=2), then=["kl_delivery_day_completed"]).check(
        KL_DELIVERY
    )
    assert isinstance(done, KLDeliveryDayCompleted) and (done.day, done.delivered, done.rejected) == (DAY, 7, 2)
    assert fold_delivery([done]).last_completed == DAY


def test_the_delivery_stands_at_the_latest_completed_day_whatever_the_order_in_the_log():
    def done(day: date) -> KLDeliveryDayCompleted:
        return KLDeliveryDayCompleted(occurred_at=NOW, actor=SYSTEM_ACTOR, day=day, delivered=0, rejected=0)

    assert fold_delivery([done(NEXT), done(DAY)]).last_completed == NEXT
    assert fold_delivery([]).last_completed is None
