"""The decision letter (afgørelsesbrev) as the citizen receives it, in Danish.

What the letter must hold: the decision and the services with their legal
basis (forvaltningslovens § 22 and § 24: the rules it rests on and, unless the
citizen gets everything applied for, the reasons and the main facts), what the
citizen said in partshøring (§ 19), the citizen's own choice of a personalised
option, and the appeal guidance (§ 25). Rendered from the decision and the
case alone, so the same letter can be produced again from the event log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.case.hearing import HearingView
from domain.case.personalised import EmployerKind, PersonalisedOption
from domain.legal import FVL_22, FVL_24, LEGAL_BASES

if TYPE_CHECKING:
    from domain.case.decision import DecisionMade, GrantedService

_EMPLOYER = {
    EmployerKind.CITIZEN: "dig selv",
    EmployerKind.RELATIVE: "din nærtstående",
    EmployerKind.ASSOCIATION: "en forening",
    EmployerKind.COMPANY: "en privat virksomhed",
}


def _service_line(service: GrantedService) -> str:
    line = f"- {service.service.display} efter {service.legal_basis} ({LEGAL_BASES.get(service.legal_basis, '')})"
    if service.hours_per_week:
        line += f", {service.hours_per_week:g} timer om ugen"
    arrangement = service.arrangement
    if arrangement is None:
        return line
    if arrangement.option is PersonalisedOption.INDIVIDUAL_BUDGET:
        amount = f"{arrangement.budget_dkk_per_year:,}".replace(",", ".")
        trial = f" under forsøgsordningen {arrangement.trial}" if arrangement.trial else ""
        return (
            line + f", som individuelt budget på {amount} kr. om året hos {arrangement.provider}, som du selv har valgt"
            f"{trial} (et individuelt budget har ingen almindelig lovhjemmel, kun tidsbegrænsede forsøg)"
        )
    employer = arrangement.employer
    who = _EMPLOYER[employer.kind] + (f" ({employer.name})" if employer and employer.name else "") if employer else ""
    if arrangement.option is PersonalisedOption.BPA:
        line += f". Du er selv arbejdsleder for dine hjælpere; arbejdsgiver er {who}"
    else:
        line += f". Tilskuddet udbetales, så hjælperne ansættes af {who}"
    return line + " – som du selv har valgt"


def render_decision_letter(state: HearingView, decision: DecisionMade) -> str:
    name = state.citizen.name if state.citizen else "borger"
    date = decision.occurred_at.strftime("%d.%m.%Y")
    parts = [
        f"Afgørelse i sag {state.case_id} – {date}",
        "",
        f"Kære {name}",
        "",
        {
            "granted": "Vi har bevilget den hjælp, du har søgt om.",
            "partly_granted": "Vi har delvist bevilget den hjælp, du har søgt om.",
            "refused": "Vi har givet afslag på den hjælp, du har søgt om.",
        }[decision.outcome.value],
    ]
    if decision.services:
        parts += ["", "Du får:", *(_service_line(s) for s in decision.services)]
    parts.append("")
    if decision.reasons:
        parts += [f"Begrundelse ({FVL_22} og {FVL_24}):", decision.reasons]
        if decision.rests_on:
            parts.append(
                "Afgørelsen bygger på: " + ", ".join(f"{b} ({LEGAL_BASES.get(b, '')})" for b in decision.rests_on)
            )
    else:
        parts.append(f"Du får fuldt medhold, og afgørelsen begrundes derfor ikke nærmere ({FVL_22}).")
    answers = state.visitation.hearing_answers
    if answers:
        parts += ["", "Vi har hørt dig om oplysningerne i sagen. Du svarede:", *(f'"{a}"' for a in answers)]
    elif state.visitation.hearing is not None and state.visitation.hearing.deadline_passed:
        parts += ["", "Vi har hørt dig om oplysningerne i sagen, men har ikke modtaget dit svar inden fristen."]
    exception = decision.hearing_exception
    if exception is not None:
        parts += [
            "",
            f"Du er ikke hørt over oplysningerne før afgørelsen ({exception.ground.paragraph}): {exception.reason}",
        ]
    comment = state.visitation.comment_request
    if comment is not None and comment.comment:
        parts += ["", "Du bad om at udtale dig, før vi traf afgørelse. Du skrev:", f'"{comment.comment}"']
    parts += ["", decision.appeal_guidance, "", "Med venlig hilsen", decision.actor.id]
    return "\n".join(parts)
