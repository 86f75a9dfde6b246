"""The erasure's rules (``domain.retention``): given the erasure stream's history, when
``erase_citizens_data``, then the erasure event or this refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.retention import PersonalDataErased, RetentionPolicy
from tests.domain.gwt import ERASURE, NOW, Accepted, Refusal, rule_id

ADMIN = {"id": "admin-ole", "role": "administrator"}
RULE = RetentionPolicy().rule_for("social_service").model_dump()
CLOSED_LONG_AGO = (NOW - timedelta(days=6 * 365)).isoformat()
CLOSED_LAST_YEAR = (NOW - timedelta(days=365)).isoformat()


def erase(*cases: dict, actor: dict = ADMIN, basis: str = "GDPR art. 17(1)(a)") -> dict:
    return {"type": "erase_citizens_data", "actor": actor, "key_id": "k-1", "basis": basis, "cases": list(cases),
            "rule": RULE}  # fmt: skip


def case(name: str, closed_at: str | None = CLOSED_LONG_AGO, recorded: bool = True) -> dict:
    return {"case": name, "closed_at": closed_at, "recorded": recorded}


ERASED = erase(case("K-1"))

RULES = [
    Refusal("erasure.unstamped", given=[], when=ERASED, at=None, field="at"),
    Refusal(
        "erasure.role_not_allowed",
        given=[],
        when=erase(case("K-1"), actor={"id": "cw", "role": "caseworker"}),
        field="actor.role",
        says="administrator or team_lead",
    ),
    Refusal("erasure.basis_required", given=[], when=erase(case("K-1"), basis="  "), field="basis"),
    # a key is erased once
    Refusal("erasure.already_erased", given=[ERASED], when=ERASED, field="citizen"),
    # GDPR art. 17(3)(b): the municipality must keep the case files of an open case ...
    Refusal("erasure.case_open", given=[], when=erase(case("K-1"), case("K-2", closed_at=None)), says="K-2"),
    # ... and of a closed one until its retention period has ended
    Refusal(
        "erasure.retention_running",
        given=[],
        when=erase(case("K-1", closed_at=CLOSED_LAST_YEAR)),
        says="art. 17, stk. 3, litra b",
    ),
    Accepted(
        "a citizen whose cases met their retention is erased", given=[], when=ERASED, then=["personal_data_erased"]
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(ERASURE)


def test_the_erasure_records_each_case_and_the_retention_it_met_and_skips_what_was_never_recorded():
    (erased,) = Accepted("", given=[], when=erase(case("K-1"), case("K-3", closed_at=None, recorded=False)),
                         then=["personal_data_erased"]).check(ERASURE)  # fmt: skip
    assert isinstance(erased, PersonalDataErased)
    assert erased.cases == ("K-1", "K-3") and [r.case for r in erased.retention] == ["K-1"]
    assert erased.retention[0].retained_until.year == NOW.year - 6 + 5 and erased.occurred_at == NOW


def test_the_retention_ends_on_its_day_not_before():
    closed = NOW.replace(year=NOW.year - 5)
    Accepted("", given=[], when=erase(case("K-1", closed_at=closed.isoformat())), then=["personal_data_erased"]).check(
        ERASURE
    )
    Refusal("erasure.retention_running", given=[],
            when=erase(case("K-1", closed_at=(closed + timedelta(days=1)).isoformat()))).check(ERASURE)  # fmt: skip
