"""The HTTP status of a refused command follows its rule alike for the case, the appeal and the forum:
a role rule is 403 whichever decider refused, a command out of phase 409, a field at fault 422."""

from __future__ import annotations

import pytest

from app.api.service import status_for
from app.errors import CommandRejected


@pytest.mark.parametrize(
    ("rule", "field", "status"),
    [
        ("case.role_not_allowed", "actor.role", 403),
        ("appeal.role_not_allowed", "actor.role", 403),
        ("forum.role_not_allowed", "type", 403),
        ("case.wrong_phase", None, 409),
        ("input.invalid", "type", 422),
    ],
)
def test_a_refusal_s_status_follows_its_rule_whichever_decider_refused(rule, field, status):
    assert status_for(CommandRejected("refused", rule=rule, field=field)) == status
