"""Server-rendered pages (Danish, on Det Fælles Designsystem) for caseworkers,
team leads, citizens, team members and auditors.

The pages use the same ``Backend`` as the JSON API: a form posts the command
to the case through the same path, and a refusal is shown next to the field
the domain names, in Danish (``app/pages/texts.py``). Forms are made from the
domain's commands (``app/pages/forms.py``); the actions offered are the ones the
permission matrix and the case allow now (``domain.readiness``), the next step
is the domain's work item (``domain.case_summary``). Log in with a token and the
purpose of your reads; both are kept in cookies (HttpOnly, SameSite=Strict).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from app.api.listing import ListQuery
from app.api.routes import routed_commands
from app.api.service import ApiError, Backend, Reader, command_type_of
from app.pages import forms
from app.pages.present import People, dk_date, dk_datetime, read_text
from app.pages.templating import page_templates
from app.pages.texts import (
    ENUM_LABELS,
    PHASE_HINT,
    ROLE_LABELS,
    enum_label,
    refusal_text,
    validation_text,
)
from domain import catalogue, terminology
from domain.access import OUTSIDERS, TEAM_ROLES, Action, Subject, is_one_line, may
from domain.appeal import (
    AppealState,
    Reconsider,
    RecordAppealOutcome,
    RegisterAppeal,
    WithdrawAppeal,
    appeal_view,
    commands_open,
)
from domain.case.evaluation import RecordBaseline, RecordEvaluation
from domain.case.need import RegisterNeed
from domain.case_summary import name_tokens, work_items
from domain.citizen import cpr_digits
from domain.messages import Command, Role
from domain.phases import Phase
from domain.readiness import waiting_for
from eventlog.access_log import READS_PER_PAGE
from projections.queries import MAX_PAGE

HERE = Path(__file__).parent
TEMPLATES = page_templates(HERE / "templates")
TEMPLATES.env.filters["dato"] = dk_date
TEMPLATES.env.filters["tid"] = dk_datetime
#: A work-list refusal as the error summary's link: to its input, or to the search form when it has none on the page.
TEMPLATES.env.filters["search_link"] = lambda p, shown: {
    "text": p["text"],
    "href": "#" + (p["field"] if p["field"] in shown else "filtre"),
}
TOKEN_COOKIE = "samskab_token"
PURPOSE_COOKIE = "samskab_purpose"
#: The log position of the caseworker's own last step: the work list waits (briefly) until it shows it.
POSITION_COOKIE = "samskab_position"
#: Login CSRF: the form carries a random value that must equal this cookie's
#: (double submit). Another site can neither read nor set it, so it cannot log a
#: victim in as someone else.
CSRF_COOKIE = "samskab_login_csrf"
MAX_PURPOSE = 500
NOT_FORM = {"actor", "at", "type"}

#: The case's commands a page offers a form for: those the API has a route for.
COMMANDS = {command_type_of(c): c for c in routed_commands()}
#: A domain work item's kind, as the command that does it.
WORK_ITEM_COMMAND = {"invite_team": "invite_team_member"}
#: The case page's tabs: (key, title); the citizen's and the team's are fewer, in plain words.
STAFF_TABS = [
    ("oversigt", "Overblik"), ("borger", "Borger og behov"), ("udredning", "Udredning"), ("afgoerelse", "Afgørelse"),
    ("hold", "Hold og samtykker"), ("plan", "Handleplan"), ("moeder", "Møder og observationer"),
    ("evaluering", "Evaluering"), ("historik", "Historik"), ("adgang", "Adgangslog"),
]  # fmt: skip
CITIZEN_TABS = [
    ("oversigt", "Min sag"), ("afgoerelse", "Afgørelse og klage"), ("plan", "Min plan"),
    ("hold", "Mit hold og samtykker"), ("adgang", "Hvem har set min sag"),
]  # fmt: skip
MEMBER_TABS = [("oversigt", "Overblik"), ("plan", "Handleplan"), ("moeder", "Møder og observationer")]


# -- helpers --------------------------------------------------------------------------


def _backend(request: Request) -> Backend:
    return request.app.state.backend


def _who(request: Request) -> Subject | None:
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        return None
    try:
        return _backend(request).authenticate(token)
    except ApiError:
        return None


def _reader(request: Request, who: Subject) -> Reader:
    return Reader(who=who, purpose=(request.cookies.get(PURPOSE_COOKIE) or "")[:MAX_PURPOSE] or None)


def _people(request: Request, case: dict[str, Any] | None = None) -> People:
    return People(request.app.state.settings.people_directory, case)


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/log-ind?naeste={quote(target)}", status_code=303)


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("who", None)
    context.setdefault("people", _people(request))
    context.update(
        role_labels=ROLE_LABELS, command_titles=catalogue.command_labels(), event_titles=catalogue.event_labels(),
        phase_hint=PHASE_HINT,
        enum_labels=ENUM_LABELS, enum_label=enum_label, read_text=read_text, reads_per_page=READS_PER_PAGE,
    )  # fmt: skip
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


def _danish(error: ApiError) -> tuple[str, bool]:
    return refusal_text(error.rule, error.message)


def _error_page(request: Request, who: Subject | None, error: ApiError) -> HTMLResponse:
    titles = {401: "Log ind igen", 403: "Ingen adgang", 404: "Sagen findes ikke", 422: "Der mangler noget"}
    text, known = _danish(error)
    return _render(request, "error.html", status=error.status, who=who, title=titles.get(error.status, "Det gik ikke"),
                   error=error, text=text, known=known)  # fmt: skip


def _home_for(who: Subject) -> str:
    if who.role is Role.CITIZEN:
        return "/borger"
    if who.role is Role.AUDITOR:
        return "/revision"
    if who.role in TEAM_ROLES:
        return "/hold"
    return "/sager"


def _set_session(response: Response, request: Request, token: str, purpose: str) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", secure=secure)
    response.set_cookie(PURPOSE_COOKIE, purpose, httponly=True, samesite="strict", secure=secure)


def _within(field: str | None, command_type: str | None) -> str | None:
    """A field as the command's own ('close_case.reason' -> 'reason': the union's tag comes first)."""
    if field and command_type and field.startswith(f"{command_type}."):
        return field[len(command_type) + 1 :]
    return field


# -- the case as the pages show it ----------------------------------------------------------


def _case_view(request: Request, who: Subject, case_id: str) -> dict[str, Any]:
    """The case as this person may see it (the read is logged), with what the pages add:
    the appeal, the next step, and the actions allowed now."""
    back = _backend(request)
    reader = _reader(request, who)
    view = back.read_case(reader, case_id)
    state = back.case_state(case_id)
    appeal = back.appeal_of(reader, case_id)
    waits = waiting_for(state, person_id=who.person_id, role=who.role)
    items = work_items(state, request.app.state.settings.deadlines, appeal)
    people = _people(request, view)
    next_steps = [
        {"command": WORK_ITEM_COMMAND.get(i.kind, i.kind), "what": i.what, "due_at": i.due_at,
         "who": people.label(i.person_id) if i.person_id else {"team_lead": "en teamleder", "caseworker": "sagsbehandleren",
                                                                 "citizen": "borgeren"}.get(i.role, i.role),
         "mine": i.person_id == who.person_id or (i.person_id is None and i.role == who.role.value)}
        for i in items
    ]  # fmt: skip
    allowed = [name for name in view.get("allowed_now", []) if name in COMMANDS]
    mine_next = [s["command"] for s in next_steps if s["mine"]] or [s["command"] for s in next_steps]
    actions = [
        {"type": n, "title": catalogue.command_label(n), "next": n in mine_next} for n in allowed if n not in waits
    ]
    actions.sort(key=lambda a: not a["next"])
    waiting = [
        {"type": n, "title": catalogue.command_label(n), "why": refusal_text(waits[n])[0]}
        for n in allowed
        if n in waits
    ]
    appeal_actions = _appeal_actions(who, state, appeal, case_id, request.app.state.settings.municipality)
    actions[:0] = appeal_actions
    view["appeal"] = appeal_view(appeal) if appeal is not None else None
    view["appeal_actions"] = appeal_actions
    own = state.consents.get(who.person_id)  # a team member's own consent: what it lets them see, until when
    view["my_consent"] = own.model_dump(mode="json") if own is not None else None
    return {"view": view, "people": people, "actions": actions, "waiting": waiting, "next_steps": next_steps}


#: The appeal's forms on the pages (the citizen's own lodging has its page, /klage).
APPEAL_FORMS: dict[str, type[Command]] = {
    catalogue.type_of(c): c for c in (RegisterAppeal, Reconsider, WithdrawAppeal, RecordAppealOutcome)
}


def _appeal_actions(
    who: Subject, state, appeal: AppealState | None, case_id: str, municipality: str | None
) -> list[dict[str, Any]]:
    """The appeal's commands this person may give now: the appeal's status (``commands_open``)
    and the permission matrix (``domain.access``) both say yes."""
    if appeal is None:
        return []
    offered = []
    for name in sorted(commands_open(appeal)):
        if not may(who, Action.ACT, state=state, command_type=name, municipality=municipality):
            continue
        href = f"/sager/{case_id}/klage" if name == "lodge_appeal" else f"/sager/{case_id}/klage/{name}"
        offered.append({"type": name, "title": catalogue.command_label(name), "next": False, "href": href})
    return offered


def _tabs_for(who: Subject, view: dict[str, Any]) -> list[tuple[str, str]]:
    if who.role is Role.CITIZEN:
        return CITIZEN_TABS
    if who.role in OUTSIDERS:
        return MEMBER_TABS
    return STAFF_TABS


def _case_page(request: Request, who: Subject, case_id: str, tab: str = "oversigt", message: str = "") -> HTMLResponse:
    back = _backend(request)
    reader = _reader(request, who)
    try:
        case = _case_view(request, who, case_id)
        tabs = _tabs_for(who, case["view"])
        if tab not in dict(tabs):
            tab = "oversigt"
        timeline = back.timeline(reader, case_id) if tab == "historik" else []
        reads = back.access_log_of(reader, case_id, limit=READS_PER_PAGE) if tab == "adgang" else []
    except ApiError as error:
        return _error_page(request, who, error)
    return _render(request, "case.html", who=who, case_id=case_id, tab=tab, tabs=tabs, message=message,
                   timeline=timeline, reads=reads, **case)  # fmt: skip


def _stale_changes(request: Request, who: Subject, case_id: str, since: int) -> list[dict[str, Any]]:
    """What happened in the case after version ``since``: the events another person's step added."""
    try:
        timeline = _backend(request).timeline(_reader(request, who), case_id)
    except ApiError:
        return []
    return [e for e in timeline if e.get("version", 0) > since]


def _form_page(
    request: Request,
    who: Subject,
    case_id: str,
    command_type: str,
    *,
    values: dict[str, str] | None = None,
    multi: dict[str, list[str]] | None = None,
    errors: list[dict[str, str]] | None = None,
    general: list[dict[str, Any]] | None = None,
    stale: list[dict[str, Any]] | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    try:
        case = _case_view(request, who, case_id)
    except ApiError as error:
        return _error_page(request, who, error)
    view, people = case["view"], case["people"]
    offered = {a["type"] for a in case["actions"]} | {w["type"] for w in case["waiting"]}
    if command_type not in COMMANDS or command_type not in offered:
        text = "Handlingen er ikke mulig for dig i sagen lige nu."
        return _render(request, "error.html", status=409 if command_type in COMMANDS else 404, who=who,
                       title="Handlingen er ikke mulig nu", error=None, text=text, known=True)  # fmt: skip
    widgets = _widgets(command_type, case_id, view, people)
    forms.fill(widgets, _prefill(command_type, view))
    if values is not None:
        forms.fill(widgets, values, multi)
    summary: list[dict[str, str | None]] = []
    for problem in errors or []:
        widget = forms.attach_error(widgets, problem["name"], problem["text"])
        summary.append({"text": f"{widget.label if widget else 'Formularen'}: {problem['text']}",
                        "href": "#" + (_link_target(widget, problem["name"]) if widget else "formular")})  # fmt: skip
    for problem in general or []:
        summary.append({"text": problem["text"], "href": "#formular", "original": problem.get("original")})
    this_waiting = next((w for w in case["waiting"] if w["type"] == command_type), None)
    return _render(request, "form.html", status=status, who=who, case_id=case_id, command_type=command_type,
                   title=catalogue.command_label(command_type), intro=catalogue.command_intro(command_type),
                   widgets=widgets, summary=summary, stale=stale, notice=notice, this_waiting=this_waiting,
                   version=view.get("version"), **case)  # fmt: skip


def _widgets(command_type: str, case_id: str, view: dict[str, Any], people: People) -> list[forms.Widget]:
    ctx = forms.FormContext(command=command_type, case_id=case_id, case=view, people=people)
    return forms.build(COMMANDS[command_type], ctx)


def _link_target(widget: forms.Widget, name: str) -> str:
    if widget.kind == "items":
        index = name[len(widget.name) + 1 :] if name.startswith(widget.name + ".") else "0"
        return f"{widget.id}-{index if index.isdigit() else 0}-0"
    return forms.first_input_id(widget)


def _prefill(command_type: str, view: dict[str, Any]) -> dict[str, Any]:
    """What a form starts with: the approved recommendation for the decision, the plan for an
    adjustment, the assessed conditions for the function levels now."""
    record = view.get("visitation") or {}
    recommendation = record.get("recommendation")
    if command_type == "make_decision" and recommendation and recommendation.get("status") == "approved":
        services = [{"service": s["service"]["code"], "legal_basis": s["legal_basis"],
                     "hours_per_week": s.get("hours_per_week")} for s in recommendation["services"]]  # fmt: skip
        return forms.flatten(
            {"outcome": recommendation["outcome"], "reasons": recommendation["reasons"], "services": services}
        )
    if command_type == "adjust_plan" and view.get("plan"):
        plan = view["plan"]
        return forms.flatten(
            {"plan": {**plan, "goals": [{**g, "linked_goal": g["linked_goal"]} for g in plan["goals"]]}}
        )
    if command_type in (catalogue.type_of(RecordEvaluation), catalogue.type_of(RecordBaseline)):
        conditions = [c["condition"]["code"] for c in (view.get("assessment") or {}).get("conditions", [])]
        return {f"function_levels.{i}.condition": code for i, code in enumerate(conditions)}
    if command_type == "record_meeting":
        return {"citizen_present": True}
    return {}


def _validation_errors(command_type: str, data: dict[str, Any], who: Subject) -> list[dict[str, str]]:
    """Every input error at once, in Danish, by input name (the domain's own checks come after)."""
    try:
        COMMANDS[command_type].model_validate({**data, "actor": {"id": who.person_id, "role": who.role.value}})
    except ValidationError as error:
        return [{"name": ".".join(str(p) for p in e["loc"]), "text": validation_text(e)} for e in error.errors()]
    return []


#: The work list's inputs as the list query names them (the API's field -> the page's input).
SEARCH_INPUT = {"name": "soeg", "cpr": "cpr", "phase": "fase", "target_group": "maalgruppe", "cursor": "side",
                "overdue": "overskredet", "min_position": "position"}  # fmt: skip
#: The limits of the list query's text inputs (as the API's /cases takes them).
MAX_SEARCH_NAME, MAX_CURSOR = 200, 400
#: Why each input of the work list was refused, in Danish.
SEARCH_REFUSALS = {
    "soeg": "Borgerens navn: søg på mindst ét ord med to bogstaver eller flere.",
    "soeg_long": f"Borgerens navn: søg på højst {MAX_SEARCH_NAME} tegn.",
    "cpr": "CPR-nummer: et CPR-nummer er 10 cifre (DDMMÅÅ-SSSS).",
    "fase": "Fase: den valgte fase findes ikke. Vælg en fase på listen.",
    "maalgruppe": "Målgruppe: den valgte målgruppe findes ikke. Vælg en målgruppe på listen.",
    "side": "Listen er ændret, så siden findes ikke længere. Gå til første side og søg igen.",
    "overskredet": "Kun sager med overskredet frist: sæt flueben (ja) eller lad feltet stå tomt.",
    "alle": "Alle sager: vælg alle sager eller kun dine egne.",
    "position": "Listen kunne ikke vente på dit seneste skridt (ukendt position). Gå til første side.",
}


def _is_cpr_digits(text: str) -> bool:
    try:
        cpr_digits(text)
    except ValueError:
        return False
    return True


def _search_problems(*, alle: str, fase: str, overskredet: str, soeg: str, cpr: str, maalgruppe: str, side: str,
                     position: str, groups) -> list[dict[str, str]]:  # fmt: skip
    """The work list's inputs that cannot be used, each with its Danish refusal (the API checks them again)."""
    problems = []
    if alle not in ("", "true", "false", "ja", "nej", "1", "0"):
        problems.append({"field": "alle", "text": SEARCH_REFUSALS["alle"]})
    if fase and (fase not in {p.value for p in Phase} or fase == Phase.NEW.value):
        problems.append({"field": "fase", "text": SEARCH_REFUSALS["fase"]})
    if overskredet not in ("", "ja"):
        problems.append({"field": "overskredet", "text": SEARCH_REFUSALS["overskredet"]})
    if maalgruppe and maalgruppe not in groups:
        problems.append({"field": "maalgruppe", "text": SEARCH_REFUSALS["maalgruppe"]})
    if len(soeg) > MAX_SEARCH_NAME:
        problems.append({"field": "soeg", "text": SEARCH_REFUSALS["soeg_long"]})
    elif soeg.strip() and not name_tokens(soeg):
        problems.append({"field": "soeg", "text": SEARCH_REFUSALS["soeg"]})
    if cpr.strip() and not _is_cpr_digits(cpr.strip()):
        problems.append({"field": "cpr", "text": SEARCH_REFUSALS["cpr"]})
    if len(side) > MAX_CURSOR:
        problems.append({"field": "side", "text": SEARCH_REFUSALS["side"]})
    if position and not position.isdigit():
        problems.append({"field": "position", "text": SEARCH_REFUSALS["position"]})
    return problems


def _saved_draft(draft: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The typed form kept through a new login (``_draft``); empty when it cannot be read."""
    try:
        saved = json.loads(draft)
        return dict(saved.get("values", {})), dict(saved.get("multi", {}))
    except (ValueError, AttributeError, TypeError):
        return {}, {}


def _draft(form: dict[str, str], multi: dict[str, list[str]]) -> str:
    return json.dumps({"values": form, "multi": multi}, ensure_ascii=False)


# -- the pages --------------------------------------------------------------------------


def build_pages(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        who = _who(request)
        return RedirectResponse(_home_for(who) if who else "/log-ind", status_code=303)

    def login_page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        csrf = secrets.token_urlsafe(32)
        response = _render(request, "login.html", status=status, csrf=csrf, **context)
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                            path="/log-ind")  # fmt: skip
        return response

    @app.get("/log-ind", include_in_schema=False, response_class=HTMLResponse)
    def login_form(request: Request, naeste: str = "") -> HTMLResponse:
        return login_page(request, naeste=naeste[:400], error=None, draft="")

    @app.post("/log-ind", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        token = str(form.get("token", "")).strip()
        purpose = str(form.get("purpose", "")).strip()
        draft = str(form.get("udkast", ""))
        naeste = str(form.get("naeste") or "")[:400]
        expected = request.cookies.get(CSRF_COOKIE) or ""
        if not expected or not secrets.compare_digest(expected, str(form.get("csrf", ""))):
            error = {
                "field": "csrf",
                "text": "Log ind fra samskabs egen side (formularen er udløbet eller kom fra en anden side).",
            }
            return login_page(request, status=403, naeste=naeste, error=error, draft=draft)
        try:
            who = _backend(request).authenticate(token)
        except ApiError:
            error = {"field": "token", "text": "Adgangstokenet er ikke gyldigt eller er udløbet. Indsæt et nyt."}
            return login_page(request, status=401, naeste=naeste, error=error, draft=draft)
        if not purpose or len(purpose) > MAX_PURPOSE or not is_one_line(purpose):
            text = ("Skriv formålet med dine opslag; det logges sammen med hvert opslag." if not purpose
                    else f"Formålet må højst være {MAX_PURPOSE} tegn." if len(purpose) > MAX_PURPOSE
                    else "Formålet skal være én linje tekst uden styretegn (som linjeskift eller tabulator).")  # fmt: skip
            error = {"field": "purpose", "text": text}
            return login_page(request, status=422, naeste=naeste, error=error, draft=draft)
        target = naeste or _home_for(who)
        if not target.startswith("/") or target.startswith("//"):
            target = _home_for(who)
        parts = target.split("?")[0].strip("/").split("/")
        if draft and parts == ["sager", "ny"]:  # the session ran out while the person opened a case
            values, multi = _saved_draft(draft)
            response: Response = _open_case_page(request, who, values.get("case_id") or f"sag-{secrets.token_hex(5)}", values=values,
                                       multi=multi, notice="Du er logget ind igen. Det, du skrev, er bevaret. Tjek det, og send formularen.")  # fmt: skip
            _set_session(response, request, token, purpose)
            return response
        if draft and len(parts) == 4 and parts[0] == "sager" and parts[2] == "handling":
            # The session ran out while the person typed: show the form again with what they typed.
            values, multi = _saved_draft(draft)
            request.cookies[TOKEN_COOKIE], request.cookies[PURPOSE_COOKIE] = token, purpose
            response = _form_page(request, who, parts[1], parts[3], values=values, multi=multi,
                                  notice="Du er logget ind igen. Det, du skrev, er bevaret. Tjek det, og send formularen.")  # fmt: skip
            _set_session(response, request, token, purpose)
            return response
        response = RedirectResponse(target, status_code=303)
        _set_session(response, request, token, purpose)
        response.delete_cookie(CSRF_COOKIE, path="/log-ind")
        return response

    @app.post("/log-ud", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("/log-ind", status_code=303)
        response.delete_cookie(TOKEN_COOKIE)
        response.delete_cookie(PURPOSE_COOKIE)
        return response

    @app.get("/sager", include_in_schema=False, response_class=HTMLResponse)
    async def my_cases(
        request: Request, alle: str = "", fase: str = "", overskredet: str = "", soeg: str = "", cpr: str = "",
        maalgruppe: str = "", side: str = "", position: str = "",
    ) -> Response:  # fmt: skip
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        if who.role in TEAM_ROLES or who.role is Role.CITIZEN:
            return RedirectResponse(_home_for(who), status_code=303)
        back = _backend(request)
        reader = _reader(request, who)
        groups = terminology.target_groups()
        # Every input is the page's own (strings, checked here): a bad one is refused in Danish beside its field.
        problems = _search_problems(alle=alle, fase=fase, overskredet=overskredet, soeg=soeg, cpr=cpr,
                                    maalgruppe=maalgruppe, side=side, position=position, groups=groups)  # fmt: skip
        every = alle in ("true", "ja", "1")
        rows, next_cursor = [], None
        wanted = int(position) if position.isdigit() else None
        if wanted is None and request.cookies.get(POSITION_COOKIE, "").isdigit():
            wanted = int(request.cookies[POSITION_COOKIE])
        try:
            fresh = await back.up_to(wanted)  # the caseworker's own step shows at once
        except ApiError:
            fresh = True  # a position from an old cookie (another database): nothing to wait for
        query = None
        if not problems:
            query = ListQuery(
                phase=Phase(fase) if fase else None, overdue=True if overskredet == "ja" else None, mine=not every,
                name=soeg.strip() or None, cpr=cpr.strip() or None, cursor=side or None, target_group=maalgruppe or None,
            )  # fmt: skip

        def read_the_page() -> tuple[dict | None, ApiError | None, list]:
            """The list and the tasks, their reads logged in one commit (``Backend.one_page``)."""
            page, refused = None, None
            if query is not None:
                try:
                    page = back.list_cases(reader, query)
                except ApiError as error:
                    if error.status != 422:
                        raise
                    refused = error
            return page, refused, back.tasks(reader, 20)

        try:
            page, refused, tasks = await back.one_page(read_the_page)
        except ApiError as error:
            return _error_page(request, who, error)
        if page is not None:
            rows, next_cursor = page["cases"], page["next_cursor"]
        if refused is not None:
            field = SEARCH_INPUT.get(refused.field or "", "soeg")
            problems = [
                {
                    "field": field,
                    "text": SEARCH_REFUSALS.get(field, "Søgningen kunne ikke bruges. Ret den og prøv igen."),
                }
            ]
        return _render(request, "cases.html", status=422 if problems else 200, who=who, rows=rows, next_cursor=next_cursor,
                       alle=every, tasks=tasks, phases=[p for p in Phase if p is not Phase.NEW], fase=fase,
                       overskredet=overskredet, soeg=soeg, cpr=cpr, maalgruppe=maalgruppe,
                       target_groups=[(c.code, c.display) for c in groups.concepts()], fresh=fresh,
                       search_problems=problems, invalid={p["field"] for p in problems},
                       may_open=bool(may(who, Action.OPEN_CASE, command_type="register_need",
                                         municipality=request.app.state.settings.municipality)))  # fmt: skip

    @app.get("/sager/ny", include_in_schema=False, response_class=HTMLResponse)
    def open_case_form(request: Request) -> Response:
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        return _open_case_page(request, who, f"sag-{secrets.token_hex(5)}")

    @app.post("/sager/ny", include_in_schema=False, response_class=HTMLResponse)
    async def open_case(request: Request) -> Response:
        """Registers a citizen's need (serviceloven § 10-12: the municipality's duty to act on an
        inquiry): the case opens, and the caseworker lands on its page."""
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        multi = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
        case_id = values.get("case_id", "")
        who = _who(request)
        if who is None:
            return login_page(request, status=401, naeste="/sager/ny", draft=_draft(values, multi),
                              error={"field": "token", "text": "Du er blevet logget ud. Log ind igen; det, du skrev, er gemt og vises igen."})  # fmt: skip
        widgets = _open_case_widgets(case_id)
        data = forms.read(widgets, values, multi)
        try:
            RegisterNeed.model_validate(
                {**data, "type": "register_need", "actor": {"id": who.person_id, "role": who.role.value}}
            )
        except ValidationError as error:
            problems = [
                {"name": ".".join(str(p) for p in e["loc"]), "text": validation_text(e)} for e in error.errors()
            ]
            return _open_case_page(request, who, case_id, values=values, multi=multi, errors=problems, status=422)
        back = _backend(request)
        try:
            opened = await back.open_case(who, data)
        except ApiError as error:
            if error.status == 401:
                return _error_page(request, who, error)
            text, known = _danish(error)
            field = forms.input_name(error.field)
            if error.rule == "case.duplicate_id":  # the form was sent twice: a new number, the same text
                values = {**values, "case_id": f"sag-{secrets.token_hex(5)}"}
                text, field = (
                    "Sagen er allerede oprettet (formularen blev sendt to gange). Se sagen under Mine sager, eller send igen for at oprette en ny.",
                    None,
                )
            if field and field not in ("type", "case_id", "actor.id", "actor.role"):
                return _open_case_page(request, who, values.get("case_id", case_id), values=values, multi=multi,
                                       errors=[{"name": field, "text": text}], status=error.status)  # fmt: skip
            return _open_case_page(request, who, values.get("case_id", case_id), values=values, multi=multi,
                                   general=[{"text": text, "original": None if known else error.message}], status=error.status)  # fmt: skip
        note = quote("Behovet er registreret, og sagen er oprettet. Næste skridt er at åbne visitationen.")
        redirect = RedirectResponse(f"/sager/{opened.case_id}?besked={note}", status_code=303)
        redirect.set_cookie(
            POSITION_COOKIE,
            str(opened.positions[0]),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return redirect

    @app.get("/sager/{case_id}", include_in_schema=False, response_class=HTMLResponse)
    async def case_page(request: Request, case_id: str, fane: str = "oversigt", besked: str = "") -> Response:
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        return await _backend(request).one_page(lambda: _case_page(request, who, case_id, fane, message=besked))

    @app.get("/sager/{case_id}/handling/{command_type}", include_in_schema=False, response_class=HTMLResponse)
    def action_form(request: Request, case_id: str, command_type: str) -> Response:
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        return _form_page(request, who, case_id, command_type)

    @app.post("/sager/{case_id}/handling/{command_type}", include_in_schema=False, response_class=HTMLResponse)
    async def act(request: Request, case_id: str, command_type: str) -> Response:
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        multi = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
        who = _who(request)
        if who is None:  # the session ran out while the person typed: log in again, keeping the text
            return login_page(request, status=401, naeste=request.url.path, draft=_draft(values, multi),
                           error={"field": "token", "text": "Du er blevet logget ud. Log ind igen; det, du skrev, er gemt og vises igen."})  # fmt: skip
        if command_type not in COMMANDS:
            return _error_page(request, who, ApiError(404, f"ukendt handling {command_type}", rule="case.not_found"))
        back = _backend(request)
        try:
            view = await back.read(back.read_case, _reader(request, who), case_id)
        except ApiError as error:
            return _error_page(request, who, error)
        widgets = _widgets(command_type, case_id, view, _people(request, view))
        data = {**forms.read(widgets, values, multi), "type": command_type}
        version = values.get("expected_version", "")
        problems = _validation_errors(command_type, data, who)
        if problems:
            return _form_page(
                request, who, case_id, command_type, values=values, multi=multi, errors=problems, status=422
            )
        if version.isdigit():
            data["expected_version"] = int(version)
        try:
            result = await back.act(who, case_id, data)
        except ApiError as error:
            if error.status in (401, 404) or (error.status == 403 and error.rule == "access.denied"):
                return _error_page(request, who, error)
            if error.kind == "StaleVersion":
                changes = _stale_changes(request, who, case_id, int(version) if version.isdigit() else 0)
                values = {**values, "expected_version": ""}  # the form gets the case's version now
                return _form_page(
                    request, who, case_id, command_type, values=values, multi=multi, stale=changes, status=409
                )
            text, known = _danish(error)
            field = forms.input_name(_within(error.field, command_type))
            if field and field not in ("type", "expected_version", "actor.id", "actor.role"):
                errors = [{"name": field, "text": text}]
                return _form_page(request, who, case_id, command_type, values=values, multi=multi, errors=errors,
                                  status=error.status)  # fmt: skip
            general = [{"text": text, "original": None if known else error.message}]
            return _form_page(request, who, case_id, command_type, values=values, multi=multi, general=general,
                              status=error.status)  # fmt: skip
        title = catalogue.command_label(command_type)
        note = quote(f'{title}: udført. Sagen er nu i fasen "{result.phase.label}".')
        target = f"/hold?besked={note}" if who.role in OUTSIDERS else f"/sager/{case_id}?besked={note}"
        redirect = RedirectResponse(target, status_code=303)
        if result.positions:
            redirect.set_cookie(POSITION_COOKIE, str(max(result.positions)), httponly=True, samesite="strict",
                                secure=request.url.scheme == "https")  # fmt: skip
        return redirect

    @app.get("/sager/{case_id}/klage", include_in_schema=False, response_class=HTMLResponse)
    def appeal_form(request: Request, case_id: str) -> Response:
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        return _appeal_page(request, who, case_id)

    @app.post("/sager/{case_id}/klage", include_in_schema=False, response_class=HTMLResponse)
    async def lodge_appeal(request: Request, case_id: str) -> Response:
        form = await request.form()
        complaint = str(form.get("complaint", ""))
        late_reason = str(form.get("late_reason", "")).strip()
        who = _who(request)
        if who is None:
            return login_page(request, status=401, naeste=f"/sager/{case_id}/klage",
                           draft=_draft({"complaint": complaint}, {}),
                           error={"field": "token", "text": "Du er blevet logget ud. Log ind igen; din klage er gemt og vises igen."})  # fmt: skip
        if len(complaint.strip()) < 3:
            return _appeal_page(
                request, who, case_id, complaint=complaint, error="Skriv din klage med mindst 3 tegn.", status=422
            )
        back = _backend(request)
        try:
            view = await back.read(back.read_case, _reader(request, who), case_id)
            number = (view.get("decision") or {}).get("number", 1)
            await back.lodge_appeal(who, case_id, number, complaint.strip(), late_reason or None)
        except ApiError as error:
            if error.status in (401, 404) or error.rule == "access.denied":
                return _error_page(request, who, error)
            return _appeal_page(
                request, who, case_id, complaint=complaint, error=_danish(error)[0], status=error.status
            )
        note = quote("Din klage er modtaget. Kommunen genvurderer afgørelsen inden 4 uger.")
        return RedirectResponse(f"/sager/{case_id}?fane=afgoerelse&besked={note}", status_code=303)

    @app.get("/sager/{case_id}/klage/{command_type}", include_in_schema=False, response_class=HTMLResponse)
    def appeal_action_form(request: Request, case_id: str, command_type: str) -> Response:
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        return _appeal_form_page(request, who, case_id, command_type)

    @app.post("/sager/{case_id}/klage/{command_type}", include_in_schema=False, response_class=HTMLResponse)
    async def appeal_act(request: Request, case_id: str, command_type: str) -> Response:
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        multi = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
        who = _who(request)
        if who is None:
            return login_page(request, status=401, naeste=request.url.path, draft=_draft(values, multi),
                           error={"field": "token", "text": "Du er blevet logget ud. Log ind igen; det, du skrev, er gemt og vises igen."})  # fmt: skip
        if command_type not in APPEAL_FORMS:
            return _error_page(request, who, ApiError(404, f"ukendt handling {command_type}", rule="case.not_found"))
        back = _backend(request)
        try:
            view = await back.read(back.read_case, _reader(request, who), case_id)
        except ApiError as error:
            return _error_page(request, who, error)
        widgets = _appeal_widgets(command_type, case_id, view, _people(request, view), who)
        data = {**forms.read(widgets, values, multi), "type": command_type}
        try:
            APPEAL_FORMS[command_type].model_validate({**data, "actor": {"id": who.person_id, "role": who.role.value}})
        except ValidationError as error:
            problems = [
                {"name": ".".join(str(p) for p in e["loc"]), "text": validation_text(e)} for e in error.errors()
            ]
            return _appeal_form_page(
                request, who, case_id, command_type, values=values, multi=multi, errors=problems, status=422
            )
        number = (view.get("decision") or {}).get("number", 1)
        try:
            result = await back.act_on_appeal(who, case_id, number, data)
        except ApiError as error:
            if error.status in (401, 404) or (error.status == 403 and error.rule == "access.denied"):
                return _error_page(request, who, error)
            text, known = _danish(error)
            field = forms.input_name(error.field)
            if field and field not in ("type", "actor.id", "actor.role"):
                return _appeal_form_page(request, who, case_id, command_type, values=values, multi=multi,
                                         errors=[{"name": field, "text": text}], status=error.status)  # fmt: skip
            return _appeal_form_page(request, who, case_id, command_type, values=values, multi=multi,
                                     general=[{"text": text, "original": None if known else error.message}], status=error.status)  # fmt: skip
        status_text = enum_label("AppealStatus", result["status"])
        note = quote(f"{catalogue.command_label(command_type)}: udført. Klagen: {status_text}.")
        return RedirectResponse(f"/sager/{case_id}?fane=afgoerelse&besked={note}", status_code=303)

    @app.get("/borger", include_in_schema=False, response_class=HTMLResponse)
    async def citizen_home(request: Request, besked: str = "") -> Response:
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        back = _backend(request)
        reader = _reader(request, who)

        def read_and_render() -> Response:
            mine = back.list_cases(reader, ListQuery(limit=MAX_PAGE))["cases"]
            back.reads.check_all([row["case_id"] for row in mine])
            cases = [_case_view(request, who, row["case_id"]) for row in mine]
            return _render(request, "citizen.html", who=who, cases=cases, message=besked)

        try:
            return await back.one_page(read_and_render)
        except ApiError as error:  # none of what was read is shown, so none of it is recorded
            return _error_page(request, who, error)

    @app.get("/hold", include_in_schema=False, response_class=HTMLResponse)
    async def member_home(request: Request, besked: str = "") -> Response:
        """A volunteer's, relative's or staff member's landing page: the cases whose team they are on,
        and what the citizen's consent lets them see."""
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        back = _backend(request)
        reader = _reader(request, who)

        def read_and_render() -> Response:
            try:
                rows = back.list_cases(reader, ListQuery(limit=MAX_PAGE))["cases"]
            except ApiError as error:
                return _error_page(request, who, error)
            cases = _member_cases(request, who, rows)
            try:
                invitations = {t["case_id"] for t in back.tasks(reader, MAX_PAGE) if t["kind"] == "answer_invitation"}
            except ApiError:
                invitations = set()
            return _render(request, "member.html", who=who, cases=cases, invitations=invitations, message=besked)

        return await back.one_page(read_and_render)

    def _member_cases(request: Request, who: Subject, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each case of a team member's list as the citizen's consent lets them see it, or why not."""
        _backend(request).reads.check_all([row["case_id"] for row in rows])
        cases = []
        for row in rows:
            entry: dict[str, Any] = {
                "case_id": row["case_id"],
                "phase_label": row["phase_label"],
                "view": None,
                "refusal": None,
            }
            try:
                entry.update(_case_view(request, who, row["case_id"]))
            except ApiError as error:
                entry["refusal"] = _danish(error)[0]
            cases.append(entry)
        return cases

    @app.get("/revision", include_in_schema=False, response_class=HTMLResponse)
    def audit_home(request: Request) -> Response:
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        try:
            rows = _backend(request).list_cases(_reader(request, who), ListQuery(limit=MAX_PAGE))["cases"]
        except ApiError as error:
            return _error_page(request, who, error)
        return _render(request, "audit_home.html", who=who, rows=rows)

    @app.get("/revision/sager/{case_id}", include_in_schema=False, response_class=HTMLResponse)
    def audit_case(request: Request, case_id: str) -> Response:
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        back = _backend(request)
        reader = _reader(request, who)
        try:
            with back.reads_of_one_page():
                trail = back.audit_trail(reader, case_id)
                verified = back.last_verification()
                checked = back.case_check(case_id)
                reads = back.access_log_of(reader, case_id, limit=READS_PER_PAGE)
        except ApiError as error:
            return _error_page(request, who, error)
        return _render(request, "audit_case.html", who=who, case_id=case_id, trail=trail, verified=verified,
                       checked=checked, reads=reads)  # fmt: skip

    @app.get("/revision/sager/{case_id}/eksport", include_in_schema=False)
    def audit_export(request: Request, case_id: str) -> Response:
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        try:
            data = _backend(request).export(_reader(request, who), case_id)
        except ApiError as error:
            return _error_page(request, who, error)
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="samskab-{case_id}.json"'},
        )


def _open_case_widgets(case_id: str) -> list[forms.Widget]:
    ctx = forms.FormContext(command="register_need", case_id=case_id, case={}, people=People(None, None))
    return forms.build(RegisterNeed, ctx)


def _open_case_page(request: Request, who: Subject, case_id: str, *, values: dict[str, str] | None = None,
                    multi: dict[str, list[str]] | None = None, errors: list[dict[str, str]] | None = None,
                    general: list[dict[str, Any]] | None = None, status: int = 200, notice: str = "") -> HTMLResponse:  # fmt: skip
    """The form that opens a case, for the case officers the permission matrix lets open one."""
    decision = may(
        who, Action.OPEN_CASE, command_type="register_need", municipality=request.app.state.settings.municipality
    )
    if not decision or who.role is Role.CITIZEN:
        return _render(request, "error.html", status=403, who=who, title="Ingen adgang", error=None, known=True,
                       text="Du kan ikke oprette sager. En sagsbehandler registrerer borgerens behov.")  # fmt: skip
    widgets = _open_case_widgets(case_id)
    if values is not None:
        forms.fill(widgets, values, multi)
    summary: list[dict[str, str | None]] = []
    for problem in errors or []:
        widget = forms.attach_error(widgets, problem["name"], problem["text"])
        summary.append({"text": f"{widget.label if widget else 'Formularen'}: {problem['text']}",
                        "href": "#" + (_link_target(widget, problem["name"]) if widget else "formular")})  # fmt: skip
    for problem in general or []:
        summary.append({"text": problem["text"], "href": "#formular", "original": problem.get("original")})
    return _render(request, "open_case.html", status=status, who=who, widgets=widgets, summary=summary, notice=notice,
                   title=RegisterNeed.label, intro=RegisterNeed.intro)  # fmt: skip


def _appeal_widgets(
    command_type: str, case_id: str, view: dict[str, Any], people: People, who: Subject
) -> list[forms.Widget]:
    ctx = forms.FormContext(command=command_type, case_id=case_id, case=view, people=people)
    widgets = forms.build(APPEAL_FORMS[command_type], ctx)
    if who.role is Role.CITIZEN:  # the citizen withdraws in their own name: how they said so is a caseworker's field
        widgets = [w for w in widgets if w.path != "channel"]
    return widgets


def _appeal_form_page(request: Request, who: Subject, case_id: str, command_type: str, *, values: dict[str, str] | None = None,
                      multi: dict[str, list[str]] | None = None, errors: list[dict[str, str]] | None = None,
                      general: list[dict[str, Any]] | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    try:
        case = _case_view(request, who, case_id)
    except ApiError as error:
        return _error_page(request, who, error)
    view, people = case["view"], case["people"]
    if command_type not in APPEAL_FORMS or command_type not in {a["type"] for a in view.get("appeal_actions", [])}:
        return _render(request, "error.html", status=409 if command_type in APPEAL_FORMS else 404, who=who,
                       title="Handlingen er ikke mulig nu", error=None,
                       text="Handlingen er ikke mulig for dig i klagesagen lige nu.", known=True)  # fmt: skip
    widgets = _appeal_widgets(command_type, case_id, view, people, who)
    if values is not None:
        forms.fill(widgets, values, multi)
    summary: list[dict[str, str | None]] = []
    for problem in errors or []:
        widget = forms.attach_error(widgets, problem["name"], problem["text"])
        summary.append({"text": f"{widget.label if widget else 'Formularen'}: {problem['text']}",
                        "href": "#" + (_link_target(widget, problem["name"]) if widget else "formular")})  # fmt: skip
    for problem in general or []:
        summary.append({"text": problem["text"], "href": "#formular", "original": problem.get("original")})
    return _render(request, "form.html", status=status, who=who, case_id=case_id, command_type=command_type,
                   title=catalogue.command_label(command_type), intro=catalogue.command_intro(command_type), widgets=widgets,
                   summary=summary, stale=None, notice="", this_waiting=None, version=view.get("version"),
                   form_action=f"/sager/{case_id}/klage/{command_type}", **case)  # fmt: skip


def _appeal_page(request: Request, who: Subject, case_id: str, *, complaint: str = "", error: str = "",
                 status: int = 200) -> HTMLResponse:  # fmt: skip
    try:
        case = _case_view(request, who, case_id)
    except ApiError as read_error:
        return _error_page(request, who, read_error)
    return _render(request, "appeal.html", status=status, who=who, case_id=case_id, complaint=complaint, error=error,
                   late_reason="", **case)  # fmt: skip
