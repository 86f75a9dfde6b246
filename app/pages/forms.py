"""Forms a person fills in, made from the domain's commands.

Each command's fields become widgets: nested models as fieldsets, lists of
models as repeated rows, enums as Danish choices, KL codes as pickers fed from
the terminology files (grouped by area), people as a choice among the team,
WEMWBS and SB-6 item by item as radio groups. No field is ever JSON text.

Inputs are named by their path ("plan.goals.0.description"); ``read_form``
turns a submitted form back into the command's data, using the same widgets,
so the two can never disagree.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel

from app.pages.present import People, dk_date, iso_local
from app.pages.texts import (
    FIELD_HELP,
    RATING_LABELS,
    SB6_SCALE,
    WEMWBS_SCALE,
    enum_label,
    field_label,
)
from domain import terminology
from domain.appeal import AppealChannel
from domain.appeal_window import DANISH_TIME
from domain.case.assessment import experiences_limitations, referral_sources
from domain.case.decision import social_services
from domain.instruments import SELF_DETERMINATION, WEMWBS
from domain.legal import LEGAL_BASES

#: Not typed by a person on these pages: who acts and when come from the session and the case's clock;
#: a representative's fuldmagt number is given by the representative's own client (no representative pages yet).
NOT_FORM = {"actor", "at", "type", "fuldmagt"}
#: Fields a person does not fill in: set by the case or the workflow, or left to their default.
HIDDEN_PATHS = {
    "published",  # the published processing deadlines come from the settings
    "conditions.severity",  # the function level says the same, from FFB's own list
    "goals.secondary_conditions",
}
Options = list[tuple[str, str]]


@dataclass
class Widget:
    name: str  # the input's name: its path with list indices
    path: str  # the path without indices, for labels and special cases
    label: str
    kind: str  # text textarea checkbox yesno date datetime number select radios choices lines items hidden group rows note
    required: bool = False
    help: str = ""
    options: Options = field(default_factory=list)
    groups: list[tuple[str, Options]] = field(default_factory=list)  # grouped options (code pickers)
    children: list[Widget] = field(default_factory=list)  # a group's fields
    rows: list[list[Widget]] = field(default_factory=list)  # a list's rows
    row_labels: list[str] = field(default_factory=list)
    value: str = ""
    values: list[str] = field(default_factory=list)
    count: int = 0  # items: how many questions
    scale: Options = field(default_factory=list)  # items: the answer scale
    item_labels: list[str] = field(default_factory=list)
    searchable: bool = False
    number_type: str = ""  # int or float
    error: str = ""

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()
        for row in self.rows:
            for child in row:
                yield from child.walk()


@dataclass
class FormContext:
    command: str
    case_id: str
    case: dict[str, Any]
    people: People


# -- option lists ----------------------------------------------------------------------


def _enum_options(enum: type[Enum]) -> Options:
    return [(e.value, enum_label(enum.__name__, e.value)) for e in enum]


@cache
def condition_groups() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """FFB tilstande grouped by their area ("Aktivitet og deltagelse – Mobilitet")."""
    by_area: dict[str, list[tuple[str, str]]] = {}
    for concept in terminology.conditions().concepts():
        if concept.depth == 2:
            by_area.setdefault(f"{concept.path[1]} – {concept.display}", []).insert(
                0, (concept.code, f"{concept.display} (hele området)")
            )
        elif concept.depth == 3:
            by_area.setdefault(f"{concept.path[1]} – {concept.path[2]}", []).append((concept.code, concept.display))
    return tuple((area, tuple(options)) for area, options in sorted(by_area.items()))


@cache
def service_groups() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    by_group: dict[str, list[tuple[str, str]]] = {}
    for concept in social_services().concepts():
        group = " – ".join(concept.path[1:]) or "Social indsats"
        by_group.setdefault(group, []).append((concept.code, concept.display))
    return tuple((g, tuple(o)) for g, o in sorted(by_group.items()))


def _codes(code_list) -> Options:
    return [(c.code, c.display) for c in code_list.concepts()]


def _assessed_conditions(ctx: FormContext) -> Options:
    assessment = ctx.case.get("assessment") or {}
    return [(c["condition"]["code"], c["condition"]["display"]) for c in assessment.get("conditions", [])]


def _citizen_goals(ctx: FormContext) -> Options:
    assessment = ctx.case.get("assessment") or {}
    return [(str(i), f"{i}: {g['in_own_words']}") for i, g in enumerate(assessment.get("goals", []), start=1)]


def _outsiders(ctx: FormContext) -> Options:
    team = ctx.case.get("team") or {}
    return [(pid, ctx.people.label(pid)) for pid, m in team.items()
            if m.get("kind") in ("volunteer", "relative") and m.get("status") in ("joined", "invited")]  # fmt: skip


def _consents_in_force(ctx: FormContext) -> Options:
    return [
        (pid, ctx.people.label(pid)) for pid, c in (ctx.case.get("consents") or {}).items() if not c.get("revoked_at")
    ]


def _joined(ctx: FormContext) -> Options:
    team = ctx.case.get("team") or {}
    return [(pid, ctx.people.label(pid)) for pid, m in team.items() if m.get("status") == "joined"]


def _open_meetings(ctx: FormContext) -> Options:
    meetings = ctx.case.get("meetings") or {}
    return [
        (str(m["meeting_no"]), f"Møde {m['meeting_no']}: {m['agenda']}") for m in meetings.values() if not m.get("held")
    ]


_LEVELS = [(str(s), f"{s}: {d}") for s, d in terminology.FUNCTION_LEVEL_BY_SEVERITY.items()]

#: How particular fields are asked, by path (without list indices).
SPECIAL: dict[str, Any] = {
    "target_group": lambda ctx: {"kind": "select", "options": _codes(terminology.target_groups()), "searchable": True},
    "referral_source": lambda ctx: {"kind": "select", "options": _codes(referral_sources())},
    "conditions.condition": lambda ctx: {
        "kind": "select",
        "groups": [(g, list(o)) for g, o in condition_groups()],
        "searchable": True,
    },
    "conditions.function_level": lambda ctx: {"kind": "select", "options": _codes(terminology.function_levels())},
    "conditions.support_need": lambda ctx: {"kind": "select", "options": _codes(terminology.support_need_levels())},
    "conditions.experiences_limitations": lambda ctx: {"kind": "select", "options": _codes(experiences_limitations())},
    "goals.goal_type": lambda ctx: {"kind": "select", "options": _codes(terminology.goal_types())},
    "goals.primary_condition": lambda ctx: {
        "kind": "select",
        "groups": [(g, list(o)) for g, o in condition_groups() if g.startswith("Aktivitet og deltagelse")],
    },
    "goals.target_severity": lambda ctx: {"kind": "select", "options": _LEVELS},
    "services.service": lambda ctx: {
        "kind": "select",
        "groups": [(g, list(o)) for g, o in service_groups()],
        "searchable": True,
    },
    "services.legal_basis": lambda ctx: {
        "kind": "select",
        "options": [(k, f"{k}: {v}") for k, v in LEGAL_BASES.items()],
    },
    "applied_for": lambda ctx: {"kind": "choices", "options": [(k, f"{k}: {v}") for k, v in LEGAL_BASES.items()]},
    "follow_up.status": lambda ctx: {"kind": "select", "options": _codes(terminology.follow_up_decisions())},
    "function_levels.level": lambda ctx: {"kind": "select", "options": _codes(terminology.function_levels())},
    "function_levels.condition": lambda ctx: {"kind": "hidden"},
    "plan.goals.linked_goal": lambda ctx: {"kind": "select", "options": _citizen_goals(ctx)},
    "plan.activities.responsible": lambda ctx: {"kind": "select", "options": ctx.people.team_choices()},
    "proposed_by": lambda ctx: {"kind": "select", "options": ctx.people.team_choices()},
    "participants": lambda ctx: {"kind": "choices", "options": _joined(ctx)},
    "attended": lambda ctx: {"kind": "choices", "options": ctx.people.team_choices()},
    "meeting_no": lambda ctx: {"kind": "select", "options": _open_meetings(ctx)},
    "case_id": lambda ctx: {"kind": "hidden", "value": ctx.case_id},
    "wemwbs.version": lambda ctx: {"kind": "hidden", "value": WEMWBS.version},
    "self_determination.version": lambda ctx: {"kind": "hidden", "value": SELF_DETERMINATION.version},
    "wemwbs.items": lambda ctx: {
        "kind": "items",
        "count": WEMWBS.item_count,
        "scale": list(WEMWBS_SCALE.items()),
        "item_labels": [f"Udsagn {i} i WEMWBS-skemaet" for i in range(1, WEMWBS.item_count + 1)],
    },
    "self_determination.items": lambda ctx: {
        "kind": "items",
        "count": SELF_DETERMINATION.item_count,
        "scale": list(SB6_SCALE.items()),
        "item_labels": list(SELF_DETERMINATION.item_texts),
    },
    "ratings.rating": lambda ctx: {"kind": "radios", "options": [(str(k), v) for k, v in RATING_LABELS.items()]},
}
#: Person pickers that depend on the command (the same field name means different people).
SPECIAL_BY_COMMAND: dict[tuple[str, str], Any] = {
    ("give_consent", "person_id"): lambda ctx: {"kind": "radios", "options": _outsiders(ctx)},
    ("revoke_consent", "person_id"): lambda ctx: {"kind": "radios", "options": _consents_in_force(ctx)},
    ("change_team", "person_id"): lambda ctx: {"kind": "select", "options": _joined(ctx)},
    ("lodge_appeal", "complaint"): lambda ctx: {"kind": "textarea"},
    ("register_appeal", "channel"): lambda ctx: {
        "kind": "radios",
        "options": [
            (c.value, enum_label("AppealChannel", c.value)) for c in AppealChannel if c is not AppealChannel.DIGITAL
        ],
    },
    ("register_appeal", "complaint"): lambda ctx: {"kind": "textarea"},
    ("approve_team", "approve"): lambda ctx: {
        "kind": "yesno",
        "required": True,
        "options": [("ja", "Ja, jeg godkender holdet"), ("nej", "Nej, jeg ønsker ændringer")],
    },
    ("answer_plan", "accept"): lambda ctx: {
        "kind": "yesno",
        "options": [("ja", "Ja, jeg siger ja til planen"), ("nej", "Nej, jeg ønsker ændringer")],
    },
    ("review_recommendation", "approve"): lambda ctx: {
        "kind": "yesno",
        "options": [("ja", "Godkend indstillingen"), ("nej", "Send den retur til sagsbehandleren")],
    },
    ("answer_invitation", "accept"): lambda ctx: {
        "kind": "yesno",
        "options": [("ja", "Ja, jeg vil gerne være med"), ("nej", "Nej tak")],
    },
}
#: How many rows a list of models offers (empty rows are left out when sent).
ROWS: dict[str, Any] = {
    "conditions": lambda ctx: 4,
    "goals": lambda ctx: (
        len((ctx.case.get("plan") or {}).get("goals", [])) or 1 if ctx.command == "record_evaluation" else 2
    ),
    "services": lambda ctx: 2,
    "plan.goals": lambda ctx: 2,
    "plan.activities": lambda ctx: 3,
    "function_levels": lambda ctx: len(_assessed_conditions(ctx)),
    "ratings": lambda ctx: 2,
}


# -- building ---------------------------------------------------------------------------


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type inside ``X | None``, and whether None was allowed."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0], True
    return annotation, False


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _is_enum(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, Enum)


def build(command: type[BaseModel], ctx: FormContext) -> list[Widget]:
    """The command's form: each field with the pages' shared Danish label for its name,
    or the command's own (``Command.field_texts``) where the shared one does not fit."""
    widgets = _fields(command, "", "", ctx)
    own: dict[str, tuple[str, str]] = getattr(command, "field_texts", {})
    if own:
        for top in widgets:
            for w in top.walk():
                label, help_text = own.get(w.path, (None, None))
                w.label, w.help = label or w.label, help_text if help_text is not None else w.help
    return widgets


def _fields(model: type[BaseModel], name_prefix: str, path_prefix: str, ctx: FormContext) -> list[Widget]:
    widgets = []
    for fname, info in model.model_fields.items():
        if fname in NOT_FORM and not path_prefix:
            continue
        path = f"{path_prefix}{fname}"
        if path in HIDDEN_PATHS:
            continue
        widget = _widget(info, f"{name_prefix}{fname}", path, ctx)
        if widget is not None:
            widgets.append(widget)
    return widgets


def _widget(info, name: str, path: str, ctx: FormContext) -> Widget | None:
    annotation, _optional = _unwrap(info.annotation)
    origin = typing.get_origin(annotation)
    required = info.is_required()
    label = field_label(path)
    help_text = (
        FIELD_HELP.get(path, FIELD_HELP.get(path.rsplit(".", 1)[-1], ""))
        if path != "purpose" or ctx.command == "give_consent"
        else ""
    )
    special = SPECIAL_BY_COMMAND.get((ctx.command, path)) or SPECIAL.get(path)
    base = Widget(name=name, path=path, label=label, kind="text", required=required, help=help_text)
    if special is not None:
        for key, value in special(ctx).items():
            setattr(base, key, value)
        if base.kind == "hidden" and not base.value and info.default not in (None, ...) and not callable(info.default):
            base.value = str(info.default)
        return base
    if _is_model(annotation):
        base.kind = "group"
        base.children = _fields(annotation, f"{name}.", f"{path}.", ctx)
        return base
    if origin in (list, tuple):
        item = typing.get_args(annotation)[0]
        if _is_model(item):
            count = ROWS.get(path, lambda ctx: 2)(ctx)
            base.kind = "rows"
            base.rows = [_fields(item, f"{name}.{i}.", f"{path}.", ctx) for i in range(count)]
            base.row_labels = _row_labels(path, count, ctx)
            return base
        if _is_enum(item):
            base.kind, base.options = "choices", _enum_options(item)
            return base
        base.kind = "lines"
        return base
    if annotation is bool:
        base.kind = "yesno" if required else "checkbox"
        return base
    if _is_enum(annotation):
        base.options = _enum_options(annotation)
        base.kind = "radios" if len(base.options) <= 4 else "select"
        return base
    if annotation is date:
        base.kind = "date"
    elif annotation is datetime:
        base.kind = "datetime"
    elif annotation in (int, float):
        base.kind, base.number_type = "number", annotation.__name__
    elif annotation is str:
        long = any(getattr(m, "max_length", 0) and m.max_length > 200 for m in info.metadata)
        base.kind = "textarea" if long else "text"
    else:
        return None  # durations and other settings a person does not type
    return base


def _row_labels(path: str, count: int, ctx: FormContext) -> list[str]:
    if path == "function_levels":
        return [f"{display}" for _, display in _assessed_conditions(ctx)]
    if path == "goals" and ctx.command == "record_evaluation":
        goals = (ctx.case.get("plan") or {}).get("goals", [])
        return [f"Mål {i}: {g['description']}" for i, g in enumerate(goals, start=1)] or ["Mål 1"]
    singular = {"conditions": "Tilstand", "goals": "Mål", "services": "Ydelse", "plan.goals": "Mål",
                "plan.activities": "Aktivitet", "ratings": "Vurdering"}.get(path, "Række")  # fmt: skip
    return [f"{singular} {i}" for i in range(1, count + 1)]


# -- prefilling, reading back, errors ---------------------------------------------------


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """{"plan": {"goals": [{"measure": "x"}]}} -> {"plan.goals.0.measure": "x"} (lists of plain values kept)."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(data, (list, tuple)) and data and isinstance(data[0], dict):
        for i, value in enumerate(data):
            out.update(flatten(value, f"{prefix}{i}."))
    else:
        out[prefix[:-1]] = data
    return out


def fill(widgets: list[Widget], values: dict[str, Any], multi: dict[str, list[str]] | None = None) -> None:
    """Puts values (a submitted form, or a prefill from ``flatten``) into the widgets."""
    multi = multi or {}
    for top in widgets:
        for w in top.walk():
            if w.kind in ("group", "rows"):
                continue
            if w.kind == "choices":
                given = multi.get(w.name)
                if given is None and isinstance(values.get(w.name), (list, tuple)):
                    given = [str(v) for v in values[w.name]]
                if given is not None:
                    w.values = given
                continue
            if w.kind == "items":
                for i in range(w.count):
                    key = f"{w.name}.{i}"
                    if key in values:
                        w.values.append(str(values[key]))
                    elif isinstance(values.get(w.name), (list, tuple)) and i < len(values[w.name]):
                        w.values.append(str(values[w.name][i]) if values[w.name][i] is not None else "")
                    else:
                        w.values.append("")
                continue
            if w.name not in values:
                continue
            value = values[w.name]
            if w.kind == "lines" and isinstance(value, (list, tuple)):
                w.value = "\n".join(str(v) for v in value)
            elif w.kind == "checkbox":
                w.value = "on" if value in (True, "on", "true", "1") else ""
            elif w.kind == "yesno":
                w.value = {True: "ja", False: "nej"}.get(value, str(value) if value is not None else "")
            elif w.kind == "datetime" and value and "T" in str(value) and len(str(value)) > 16:
                w.value = iso_local(value)
            elif value is None:
                w.value = ""
            else:
                w.value = str(value)


def _local_datetime(raw: str) -> str:
    """A datetime-local value ('2035-01-15T10:00', Danish time) as an aware ISO time."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=DANISH_TIME)
    return moment.isoformat()


def read(widgets: list[Widget], form: dict[str, str], multi: dict[str, list[str]]) -> dict[str, Any]:
    """The command's data from a submitted form; empty optional fields and empty rows left out."""
    data: dict[str, Any] = {}
    for w in widgets:
        present, value = _read(w, form, multi)
        if present:
            data[w.name.rsplit(".", 1)[-1]] = value
    return data


def _read(w: Widget, form: dict[str, str], multi: dict[str, list[str]]) -> tuple[bool, Any]:
    raw = form.get(w.name, "")
    match w.kind:
        case "group":
            inner = {}
            for child in w.children:
                present, value = _read(child, form, multi)
                if present:
                    inner[child.name.rsplit(".", 1)[-1]] = value
            filled = any(k for k, v in inner.items() if v not in ("", None, [], False))
            return (filled or w.required), inner
        case "rows":
            rows = []
            for row in w.rows:
                if not _row_filled(row, form, multi):
                    continue
                item = {}
                for child in row:
                    present, value = _read(child, form, multi)
                    if present:
                        item[child.name.rsplit(".", 1)[-1]] = value
                rows.append(item)
            return True, rows
        case "checkbox":
            return True, raw in ("on", "true", "1")
        case "yesno":
            return raw in ("ja", "nej"), raw == "ja"
        case "choices":
            return True, multi.get(w.name, [])
        case "lines":
            return True, [line.strip() for line in raw.splitlines() if line.strip()]
        case "items":
            answers = []
            for i in range(w.count):
                value = form.get(f"{w.name}.{i}", "")
                answers.append(int(value) if value.isdigit() else None)
            return True, answers
        case "number":
            text = raw.strip().replace(" ", "").replace(",", ".")
            return (text != ""), text
        case "datetime":
            return (raw != ""), _local_datetime(raw)
        case _:
            return (raw.strip() != "" or (w.kind == "hidden" and raw != "")), raw


def _row_filled(row: list[Widget], form: dict[str, str], multi: dict[str, list[str]]) -> bool:
    for top in row:
        for w in top.walk():
            if w.kind in ("hidden", "group", "rows"):
                continue
            if w.kind == "choices" and multi.get(w.name):
                return True
            if w.kind == "items" and any(form.get(f"{w.name}.{i}") for i in range(w.count)):
                return True
            if w.kind not in ("choices", "items", "checkbox") and form.get(w.name, "").strip():
                return True
    return False


def input_name(field_path: str | None) -> str | None:
    """A domain error's field ('plan.goals[0].target_date') as an input name ('plan.goals.0.target_date')."""
    if not field_path:
        return None
    return field_path.replace("[", ".").replace("]", "")


def attach_error(widgets: list[Widget], name: str, message: str) -> Widget | None:
    """Puts ``message`` on the widget named ``name`` or its nearest enclosing widget; returns it."""
    by_name = {w.name: w for top in widgets for w in top.walk()}
    probe = name
    while probe:
        widget = by_name.get(probe)
        if widget is None and probe.rsplit(".", 1)[-1].isdigit():  # an item of a list of values
            widget = by_name.get(probe.rsplit(".", 1)[0])
        if widget is not None:
            widget.error = (
                f"{widget.error} {message}".strip() if widget.error and message not in widget.error else message
            )
            return widget
        probe = probe.rsplit(".", 1)[0] if "." in probe else ""
    return None


def first_input_id(widget: Widget) -> str:
    """Where an error summary's link sends focus: the field itself, or a group's first field."""
    if widget.kind in ("choices", "radios", "yesno", "items"):
        return widget.id + "-0"
    if widget.kind in ("group", "rows"):
        for w in widget.walk():
            if w is not widget and w.kind not in ("group", "rows", "hidden"):
                return first_input_id(w)
    return widget.id


__all__ = ["FormContext", "Widget", "attach_error", "build", "dk_date", "fill", "flatten", "input_name", "read"]
