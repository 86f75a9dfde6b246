"""Server-rendered pages (Danish) for caseworkers, auditors and citizens.

The pages use the same ``Backend`` as the JSON API: a form posts the command
to the case through the same path, and a refusal is shown next to the field
the domain names. Log in with a token (``samskab dev token``) and the purpose
of your reads; both are kept in cookies (HttpOnly, SameSite=Strict).
"""

from __future__ import annotations

import json
import re
import typing
from datetime import date
from enum import Enum
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from app.api.listing import ListQuery
from app.api.routes import SYSTEM_ONLY, command_classes
from app.api.service import ApiError, Backend, Reader, command_type_of
from app.pages.texts import COMMAND_TITLES, EVENT_TITLES, FIELD_LABELS, PHASE_HINT, ROLE_LABELS
from domain.access import Subject
from domain.messages import Role
from domain.phases import Phase
from projections.queries import MAX_PAGE

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
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


# -- forms from the domain's commands ----------------------------------------------


class FormField(BaseModel):
    name: str
    label: str
    kind: str  # text, textarea, checkbox, date, number, select, choices, json
    required: bool
    options: list[str] = []
    help: str = ""


def _unwrap(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType", None)) and len(args) == 1:
        return args[0]
    return annotation


def form_fields(command: type[BaseModel]) -> list[FormField]:
    fields = []
    for name, info in command.model_fields.items():
        if name in NOT_FORM:
            continue
        annotation = _unwrap(info.annotation)
        origin = typing.get_origin(annotation)
        label = FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
        required = info.is_required()
        help_text = info.description or ""
        if annotation is bool:
            fields.append(FormField(name=name, label=label, kind="checkbox", required=False, help=help_text))
        elif annotation is str:
            long = any(getattr(m, "max_length", 0) and m.max_length > 200 for m in info.metadata)
            fields.append(FormField(name=name, label=label, kind="textarea" if long else "text", required=required, help=help_text))
        elif annotation is date:
            fields.append(FormField(name=name, label=label, kind="date", required=required, help=help_text))
        elif annotation is int:
            fields.append(FormField(name=name, label=label, kind="number", required=required, help=help_text))
        elif isinstance(annotation, type) and issubclass(annotation, Enum):
            fields.append(FormField(name=name, label=label, kind="select", required=required, options=[e.value for e in annotation], help=help_text))
        elif origin in (list, tuple) and (args := typing.get_args(annotation)) and isinstance(args[0], type) and issubclass(args[0], Enum):
            fields.append(FormField(name=name, label=label, kind="choices", required=required, options=[e.value for e in args[0]], help=help_text))
        else:
            fields.append(FormField(name=name, label=f"{label} (JSON)", kind="json", required=required, help=help_text or "Skriv feltet som JSON"))
    return fields


COMMANDS = {command_type_of(c): c for c in command_classes() if command_type_of(c) not in SYSTEM_ONLY}


def form_to_command(command_type: str, form: dict[str, Any], multi: dict[str, list[str]]) -> dict[str, Any]:
    """The command's JSON from a submitted form; ApiError naming the field if a JSON field does not parse."""
    data: dict[str, Any] = {"type": command_type}
    for field in form_fields(COMMANDS[command_type]):
        raw = form.get(field.name)
        if field.kind == "checkbox":
            data[field.name] = raw in ("on", "true", "1")
        elif field.kind == "choices":
            data[field.name] = multi.get(field.name, [])
        elif raw in (None, ""):
            continue
        elif field.kind == "json":
            try:
                data[field.name] = json.loads(raw)
            except json.JSONDecodeError as error:
                raise ApiError(422, f"ikke gyldig JSON: {error.msg} (linje {error.lineno})", rule="input.invalid", field=field.name) from None
        elif field.kind == "number":
            data[field.name] = raw
        else:
            data[field.name] = raw
    version = form.get("expected_version")
    if version not in (None, ""):
        data["expected_version"] = int(version) if str(version).isdigit() else version
    return data


def _within(field: str | None, command_type: str | None) -> str | None:
    """A field as the command's own ('close_case.reason' -> 'reason': the union's tag comes first)."""
    if field and command_type and field.startswith(f"{command_type}."):
        return field[len(command_type) + 1 :]
    return field


def top_field(field: str | None) -> str | None:
    """The form field a domain error's field points into ('plan.activities[0].responsible' -> 'plan')."""
    if not field:
        return None
    return re.split(r"[.\[]", field, maxsplit=1)[0]


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


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/log-ind?naeste={quote(request.url.path)}", status_code=303)


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("who", None)
    context.update(
        role_labels=ROLE_LABELS, command_titles=COMMAND_TITLES, event_titles=EVENT_TITLES, phase_hint=PHASE_HINT
    )
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


def _error_page(request: Request, who: Subject | None, error: ApiError) -> HTMLResponse:
    titles = {401: "Log ind igen", 403: "Ingen adgang", 404: "Sagen findes ikke", 422: "Der mangler noget"}
    return _render(request, "error.html", status=error.status, who=who, title=titles.get(error.status, "Det gik ikke"), error=error)


def _home_for(who: Subject) -> str:
    if who.role is Role.CITIZEN:
        return "/borger"
    if who.role is Role.AUDITOR:
        return "/revision"
    return "/sager"


# -- the pages --------------------------------------------------------------------------


def build_pages(app: FastAPI) -> None:
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
        return login_page(request, naeste=naeste[:400], error=None)

    @app.post("/log-ind", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        token = str(form.get("token", "")).strip()
        purpose = str(form.get("purpose", "")).strip()
        naeste = str(form.get("naeste", ""))[:400]
        expected = request.cookies.get(CSRF_COOKIE) or ""
        if not expected or not secrets.compare_digest(expected, str(form.get("csrf", ""))):
            error = ApiError(403, "Log ind fra samskabs egen side (formularen er udløbet eller kom fra en anden side).",
                             rule="auth.csrf", field="csrf")  # fmt: skip
            return login_page(request, status=403, naeste=naeste, error=error, field="csrf")
        try:
            who = _backend(request).authenticate(token)
        except ApiError as error:
            return login_page(request, status=401, naeste=naeste, error=error, field="token")
        if not purpose or len(purpose) > MAX_PURPOSE:
            message = ("Skriv formålet med dine opslag; det logges sammen med hvert opslag." if not purpose
                       else f"Formålet må højst være {MAX_PURPOSE} tegn.")  # fmt: skip
            error = ApiError(422, message, rule="access.purpose_required", field="purpose")
            return login_page(request, status=422, naeste=naeste, error=error, field="purpose")
        target = str(form.get("naeste") or "") or _home_for(who)
        if not target.startswith("/") or target.startswith("//"):
            target = _home_for(who)
        response = RedirectResponse(target, status_code=303)
        secure = request.url.scheme == "https"
        response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", secure=secure)
        response.set_cookie(PURPOSE_COOKIE, purpose, httponly=True, samesite="strict", secure=secure)
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
        request: Request, alle: bool = False, fase: str = "", overskredet: str = "", soeg: str = "", cpr: str = "",
        side: str = "", position: int | None = None,
    ) -> Response:  # fmt: skip
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        back = _backend(request)
        reader = _reader(request, who)
        try:
            phase = Phase(fase) if fase else None
        except ValueError:
            phase = None
        query = ListQuery(
            phase=phase, overdue=True if overskredet == "ja" else None, mine=not alle,
            name=soeg.strip() or None, cpr=cpr.strip() or None, cursor=side or None,
        )  # fmt: skip
        if position is None and request.cookies.get(POSITION_COOKIE, "").isdigit():
            position = int(request.cookies[POSITION_COOKIE])
        try:
            fresh = await back.up_to(position)  # the caseworker's own step shows at once
        except ApiError:
            fresh = True  # a position from an old cookie (another database): nothing to wait for
        try:
            page = await back.read(back.list_cases, reader, query)
            tasks = await back.read(back.tasks, reader, 20) if who.role is not Role.CITIZEN else []
        except ApiError as error:
            return _error_page(request, who, error)
        return _render(request, "cases.html", who=who, rows=page["cases"], next_cursor=page["next_cursor"], alle=alle,
                       tasks=tasks, phases=[p for p in Phase if p is not Phase.NEW], fase=fase, overskredet=overskredet,
                       soeg=soeg, cpr=cpr, fresh=fresh)  # fmt: skip

    @app.get("/sager/{case_id}", include_in_schema=False, response_class=HTMLResponse)
    def case_page(request: Request, case_id: str, besked: str = "") -> Response:
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        return _case_page(request, who, case_id, message=besked)

    @app.post("/sager/{case_id}/handling/{command_type}", include_in_schema=False, response_class=HTMLResponse)
    async def act(request: Request, case_id: str, command_type: str) -> Response:
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        multi = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form.keys()}
        if command_type not in COMMANDS:
            return _error_page(request, who, ApiError(404, f"ukendt handling {command_type}", rule="input.invalid", field="type"))
        try:
            data = form_to_command(command_type, values, multi)
            result = await _backend(request).act(who, case_id, data)
        except ApiError as error:
            if error.status in (401, 404):
                return _error_page(request, who, error)
            return _case_page(
                request, who, case_id, failed=command_type, error=error, values=values, multi=multi, status=error.status
            )
        title = COMMAND_TITLES.get(command_type, command_type)
        note = quote(f"{title}: udført. Sagen er nu i fasen {result.phase.label} (version {result.version}).")
        redirect = RedirectResponse(f"/sager/{case_id}?besked={note}", status_code=303)
        if result.positions:
            redirect.set_cookie(POSITION_COOKIE, str(max(result.positions)), httponly=True, samesite="strict",
                                secure=request.url.scheme == "https")  # fmt: skip
        return redirect

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
            trail = back.audit_trail(reader, case_id)
            verified = back.last_verification()
            checked = back.case_check(case_id)
            reads = back.access_log_of(reader, case_id)
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

    @app.get("/borger", include_in_schema=False, response_class=HTMLResponse)
    def citizen_home(request: Request) -> Response:
        who = _who(request)
        if who is None:
            return _login_redirect(request)
        back = _backend(request)
        reader = _reader(request, who)
        try:
            mine = back.list_cases(reader, ListQuery(limit=MAX_PAGE))["cases"]
            cases = [
                {"view": back.read_case(reader, row["case_id"]), "reads": back.access_log_of(reader, row["case_id"])}
                for row in mine
            ]
        except ApiError as error:
            return _error_page(request, who, error)
        return _render(request, "citizen.html", who=who, cases=cases)


def _case_page(
    request: Request,
    who: Subject,
    case_id: str,
    *,
    message: str = "",
    failed: str | None = None,
    error: ApiError | None = None,
    values: dict[str, str] | None = None,
    multi: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    back = _backend(request)
    reader = _reader(request, who)
    try:
        view = back.read_case(reader, case_id)
        timeline = back.timeline(reader, case_id)
    except ApiError as read_error:
        return _error_page(request, who, read_error)
    forms = [
        {"type": name, "title": COMMAND_TITLES.get(name, COMMANDS[name].title), "fields": form_fields(COMMANDS[name])}
        for name in view.get("allowed_now", [])
        if name in COMMANDS
    ]
    return _render(
        request,
        "case.html",
        status=status,
        who=who,
        case_id=case_id,
        view=view,
        timeline=timeline,
        forms=forms,
        message=message,
        failed=failed,
        error=error,
        error_field=top_field(_within(error.field, failed)) if error else None,
        values=values or {},
        multi=multi or {},
    )
