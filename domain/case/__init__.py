"""A citizen's case, one module per concept (need, visitation, hearing, team, consent,
plan and pilot, meetings, evaluation, follow-up, ...), composed into the case's decider
in ``domain.case.decider``. Free of imports, so a concept's module is imported alone."""
