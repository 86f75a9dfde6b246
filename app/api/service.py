"""What the API and the pages do, once: authenticate, ask the permission
matrix, log the read, talk to the case through ``CaseClient``, read the event log.

Routes (JSON or HTML) are thin shells around these functions, so a form on a
page and a POST to the API give the same answer for the same command.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from activities import readmodels
from app.api.context import bind_case
from app.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from app.api.idempotency import IdempotencyKeys, KeyMisused
from app.api.listing import ListQuery
from app.api.read_threads import ReadThreads
from app.api.readcache import CaseReads, DecodedCase, one_moment
from app.cases import CaseClient, CommandRejected, parse_appeal_command, parse_command
from app.keys import trusted_checkpoint_key
from app.settings import Settings
from app.temporal import connect
from app.tokens import InvalidToken, TokenVerifier
from domain.access import (
    PERSONAL_DATA_READS,
    TEAM_ROLES,
    Action,
    Decision,
    Subject,
    identity_fields,
    is_one_line,
    may,
    visible_event,
    visible_payload,
    visible_state,
)
from domain.appeal import PERSON_APPEAL_COMMANDS, AppealState, appeal_id, appeal_view, fold_appeal
from domain.case.decider import ALLOWED, CaseState
from domain.case_summary import name_tokens
from domain.citizen import cpr_digits, same_cpr
from domain.messages import Role
from eventlog import EventStore, StoredEvent
from eventlog.access_log import AccessLog, Read, kept_as_page
from eventlog.case_check import check_case
from eventlog.merkle_store import NodeReader, read_state
from eventlog.schema import TREE_NAMES
from eventlog.tree_heads import TreeHeadInvalid, check_tree_head, latest_published
from projections import queries
from projections.queries import MAX_PAGE, CaseFilter
from workflows.case_messages import ActResult


class ApiError(Exception):
    """A refusal the API answers with ``status`` and a body naming the rule and field."""

    def __init__(
        self, status: int, message: str, *, rule: str, field: str | None = None, kind: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.message = message
        self.rule = rule
        self.field = field
        self.kind = kind
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "rule": self.rule, "field": self.field, "kind": self.kind}}


def unavailable(service: str, message: str, retry_after: int) -> ApiError:
    """503: a service the answer needs is down (``service``: temporal, database); the body names
    it (rule ``service.unavailable.<service>``) and Retry-After says when to try again."""
    return ApiError(
        503, message, rule=f"service.unavailable.{service}", kind="ServiceUnavailable",
        headers={"Retry-After": str(retry_after)},
    )  # fmt: skip


#: Fields whose refusal is about the case's state or the caller, not the input.
_NOT_INPUT_FIELDS = {None, "type", "expected_version", "actor.id", "actor.role"}


def status_for(error: CommandRejected) -> int:
    """The HTTP status for a refused command.

    409: stale version, a command out of phase, a duplicate case, and any
    refusal that names no input field (the case's state refuses it);
    422: invalid input, and domain refusals that name the field at fault;
    403: the domain's own role rules; 504: no answer from the case in time."""
    if error.kind == "StaleVersion" or error.rule in ("case.wrong_phase", "case.already_open", "case.duplicate_id"):
        return 409
    if error.rule == "input.invalid":
        return 422
    if error.rule is not None and error.rule.endswith(".role_not_allowed"):  # the case's, the appeal's, the forum's
        return 403
    if error.kind == "Timeout":
        return 504
    if error.field in _NOT_INPUT_FIELDS:
        return 409
    return 422


def rejected(error: CommandRejected) -> ApiError:
    return ApiError(
        status_for(error), error.message, rule=error.rule or "case.refused", field=error.field, kind=error.kind
    )


def command_type_of(cls) -> str:
    return cls.model_fields["type"].default


@dataclass
class Reader:
    """One authenticated request's person and purpose."""

    who: Subject
    purpose: str | None


#: The reads of the page being rendered (``Backend.reads_of_one_page``); None outside a page.
_PAGE_READS: ContextVar[list[Read] | None] = ContextVar("samskab_page_reads", default=None)


@contextmanager
def _collecting(reads: list[Read]) -> Iterator[None]:
    """The reads made inside are put in ``reads`` (``record_read``), not recorded; each case is
    checked against the log once inside (``one_moment``)."""
    token = _PAGE_READS.set(reads)
    try:
        with one_moment():
            yield
    finally:
        _PAGE_READS.reset(token)


def _in_one_moment(function: Callable[..., Any], *args: Any) -> Any:
    with one_moment():
        return function(*args)


#: What a page's reads return (``Backend.one_page``).
T = TypeVar("T")


class Backend:
    """Everything the routes need, given once when the app is built."""

    def __init__(
        self,
        settings: Settings,
        store: EventStore,
        *,
        cases: CaseClient | None = None,
        keys: Any = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.access_log = AccessLog(store.engines)
        self._cases = cases
        self._cases_lock = asyncio.Lock()
        self.keys = keys
        self.clock = clock or (lambda: datetime.now(UTC))
        self.reads = CaseReads(store, keys)
        self._verify_token = TokenVerifier(settings)
        self.idempotency = IdempotencyKeys(store.engines)
        #: The command metrics (``app.api.metrics.RequestMetrics``), set by ``create_app``.
        self.metrics = None
        #: Where case reads run: a few threads (``app.api.read_threads``).
        self.read_threads = ReadThreads(settings.api_read_threads)

    # -- who is asking -------------------------------------------------------------

    def authenticate(self, token: str | None) -> Subject:
        if not token:
            raise ApiError(401, "log in: send 'Authorization: Bearer <token>'", rule="auth.missing_token")
        try:
            return self._verify_token(token)
        except InvalidToken as error:
            raise ApiError(401, str(error), rule="auth.invalid_token") from None

    def authorize(
        self, who: Subject, action: Action, *, state: CaseState | None = None, command_type: str | None = None
    ) -> Decision:
        at = self.now_for(state)
        decision = may(
            who, action, state=state, at=at, command_type=command_type, municipality=self.settings.municipality
        )
        if not decision:
            # every refused attempt is logged too: who tried what on which case, and why it was refused
            what = f"refused:{action.value}" + (f" {command_type}" if command_type else "")
            self.access_log.record(
                actor_id=who.person_id,
                actor_role=who.role.value,
                stream_id=state.case_id if state is not None else None,
                what=what[:200],
                purpose=decision.reason[:200],
                shown=None,
            )
            if state is not None and self.outsider(who, state, at):
                # The same answer as for a case that does not exist: an outsider learns
                # nothing, not even that the case id is taken.
                raise not_found(state.case_id or "")
            raise ApiError(403, decision.reason, rule="access.denied", field=None, kind=action.value)
        return decision

    def outsider(self, who: Subject, state: CaseState, at: datetime) -> bool:
        """Someone with no part in the case (not its citizen, caseworker or a member of its
        team) who may not see it at all: told it does not exist. A team member whose
        consent lapsed knows the case and is told why (403)."""
        if who.person_id == state.caseworker_id or who.person_id in state.team:
            return False
        if who.role is Role.CITIZEN and state.citizen is not None and same_cpr(who.cpr, state.citizen.cpr):
            return False
        return not any(
            may(who, read, state=state, at=at, municipality=self.settings.municipality)
            for read in (Action.READ_CASE, Action.AUDIT_TRAIL, Action.READ_ACCESS_LOG)
        )

    def now_for(self, state: CaseState | None) -> datetime:
        """The time of a read: never before the last event it sees (the workflow's clock may run ahead)."""
        now = self.clock()
        last = state.phase_since if state is not None else None
        for seen in (last, *(c.revoked_at for c in (state.consents.values() if state else ()))):
            if seen is not None and seen > now:
                now = seen
        return now

    async def one_page(self, read: Callable[[], T]) -> T:
        """``read`` (a page's reads, and its rendering if it likes) in a read thread, its reads
        collected as ``reads_of_one_page`` collects them, then recorded together in the access
        log's next batch while the request waits in the event loop (no thread held through the
        commit); returned only once they are recorded. If ``read`` raises, none is recorded."""
        reads: list[Read] = []

        def run() -> T:
            with _collecting(reads):
                return read()

        page = await self.read_threads.run(run)
        await self.access_log.record_from_loop(kept_as_page(reads))
        return page

    @contextmanager
    def reads_of_one_page(self) -> Iterator[None]:
        """The reads a page makes (a list and the cases in it, a case and its access log) are
        recorded together in one commit once the page has read them all, before it is shown:
        a page of three cases waits for one write to the access log, not five. A page that
        fails on the way shows none of what it read, and records none of it."""
        reads: list[Read] = []
        with _collecting(reads):
            yield
        self.access_log.record_all(kept_as_page(reads))

    def record_read(self, reader: Reader, action: Action, case_id: str | None, *, shown: list[str] | None = None,
                    detail: str | None = None) -> None:  # fmt: skip
        """Logs a read before its data is shown: the one place reads are recorded."""
        read = self.read_of(reader, action, case_id, shown=shown, detail=detail)
        page = _PAGE_READS.get()
        if page is not None:  # recorded with the page's other reads, before the page is shown
            AccessLog.check(read)  # a field out of bounds fails here, as it would when recorded at once
            page.append(read)
        else:
            self.access_log.record_all([read])

    @staticmethod
    def read_of(reader: Reader, action: Action, case_id: str | None, *, shown: list[str] | None = None,
                detail: str | None = None) -> Read:  # fmt: skip
        """The access log's row for a read, not yet recorded; a personal-data read without a purpose is refused."""
        if action in PERSONAL_DATA_READS and not (reader.purpose or "").strip():
            raise ApiError(
                422,
                "say why you read this: give a purpose (query parameter 'purpose' or header 'X-Purpose')",
                rule="access.purpose_required",
                field="purpose",
            )
        if reader.purpose is not None and not is_one_line(reader.purpose):
            raise ApiError(422, "the purpose must be one line of printable text", rule="input.invalid",
                           field="purpose")  # fmt: skip
        return Read(
            actor_id=reader.who.person_id,
            actor_role=reader.who.role.value,
            stream_id=case_id,
            what=action.value if detail is None else f"{action.value} {detail}"[:200],
            purpose=(reader.purpose or "-").strip(),
            shown=shown,
        )

    # -- the case ------------------------------------------------------------------

    async def cases(self) -> CaseClient:
        if self._cases is None:
            async with self._cases_lock:
                if self._cases is None:
                    self._cases = CaseClient(await connect(self.settings, bounded=True), self.settings)
        return self._cases

    def stored(self, case_id: str) -> list[StoredEvent]:
        events = self.store.read_stream(case_id)
        if not events or events[0].event_type != "need_registered":
            raise not_found(case_id)  # nothing, or a stream that is not a case (an appeal, a forum, a delivery)
        return events

    def state_of(self, stored: list[StoredEvent]) -> CaseState:
        return readmodels.fold_case(readmodels.to_domain_event(s, self.keys) for s in stored)

    def decoded(self, case_id: str) -> DecodedCase:
        """The case as the log holds it now, decoded (reused while its version and keys are unchanged)."""
        case = self.reads.get(case_id)
        if case is None:
            raise not_found(case_id)
        return case

    def case_state(self, case_id: str) -> CaseState:
        return self.decoded(case_id).state

    async def open_case(self, who: Subject, body: dict[str, Any], request_id: str | None = None) -> ActResult:
        """Opens the case; the answer is the case's own, once its registration is in the log
        (its version and position there), so the caller's next read or command finds it.
        With an ``Idempotency-Key``, the same opening sent again gets the case's answer
        (``CaseClient.open_case``), not ``case.duplicate_id``."""
        data = {**body, "type": "register_need"}
        _refuse_actor_in_body(data)
        self.authorize(who, Action.OPEN_CASE, command_type="register_need")
        command = _parse({**data, "actor": {"id": who.person_id, "role": who.role.value}})
        bind_case(command.case_id)
        if who.role is Role.CITIZEN and not same_cpr(who.cpr, command.citizen.cpr):
            raise ApiError(
                403, "a citizen registers a need only for themselves", rule="access.denied", field="citizen.cpr"
            )
        request_id = await self._request_id(who, command.case_id, request_id, body)
        return await self._command("register_need", lambda cases: cases.open_case(command, request_id=request_id))

    async def act(self, who: Subject, case_id: str, body: dict[str, Any], request_id: str | None = None):
        if not isinstance(body, dict):  # an empty body or a JSON list/number: a refusal, not a 500
            raise ApiError(422, "send the command as a JSON object with its 'type'", rule="input.invalid", field="type")
        data = dict(body)
        expected_version = data.pop("expected_version", None)
        _refuse_actor_in_body(data)
        command_type = data.get("type")
        if not isinstance(command_type, str) or not command_type:
            raise ApiError(422, "name the command in 'type'", rule="input.invalid", field="type")
        if expected_version is not None and (
            isinstance(expected_version, bool) or not isinstance(expected_version, int) or expected_version < 0
        ):
            raise ApiError(
                422,
                "expected_version must be a whole number, 0 or more",
                rule="input.invalid",
                field="expected_version",
            )
        state = await asyncio.to_thread(self.case_state, case_id)
        self.authorize(who, Action.ACT, state=state, command_type=command_type)
        command = _parse({**data, "actor": {"id": who.person_id, "role": who.role.value}})
        request_id = await self._request_id(who, case_id, request_id, body)
        return await self._command(
            command_type, lambda cases: cases.act(case_id, command, expected_version, request_id)
        )

    async def _request_id(self, who: Subject, case_id: str, key: str | None, body: Any) -> str | None:
        """The Temporal update id a caller's ``Idempotency-Key`` stands for (``app.api.idempotency``)."""
        if key is None:
            return None
        try:
            return await asyncio.to_thread(self.idempotency.update_id, who, case_id, key, body)
        except KeyMisused as error:
            raise ApiError(422, str(error), rule="input.idempotency_key", field=IDEMPOTENCY_HEADER) from None

    async def _command(self, command_type: str, send):
        """Sends a command through the case client; times it (by command type and outcome) and
        counts a refusal by its rule, for ``/metrics``. A refusal becomes its ApiError."""
        start, outcome = time.perf_counter(), "failed"
        try:
            result = await send(await self.cases())
            outcome = "accepted"
            return result
        except CommandRejected as error:
            outcome = "refused"
            if self.metrics is not None:
                self.metrics.refusals.labels(command_type, error.rule or "case.refused").inc()
            raise rejected(error) from None
        finally:
            if self.metrics is not None:
                self.metrics.commands.labels(command_type, outcome).observe(time.perf_counter() - start)

    async def lodge_appeal(self, who: Subject, case_id: str, decision_number: int, complaint: str,
                           late_reason: str | None = None) -> dict[str, Any]:  # fmt: skip
        """The citizen appeals a decision of their case (retssikkerhedslovens § 67)."""
        data: dict[str, Any] = {"type": "lodge_appeal", "complaint": complaint}
        if late_reason:
            data["late_reason"] = late_reason
        return await self.act_on_appeal(who, case_id, decision_number, data)

    async def act_on_appeal(
        self, who: Subject, case_id: str, decision_number: int, data: dict[str, Any]
    ) -> dict[str, Any]:
        """A command to the appeal of one decision of the case, through the appeal's workflow.

        The permission matrix decides who may give it (``domain.access``: the citizen
        lodges and withdraws on their own case, case officers register, reconsider,
        record a withdrawal on the citizen's word and Ankestyrelsen's decision); the
        appeal's decider decides whether the appeal can take it now."""
        command_type = data.get("type")
        if not isinstance(command_type, str) or command_type not in PERSON_APPEAL_COMMANDS:
            raise ApiError(422, f"'{command_type}' is not a command a person gives an appeal; one of "
                           f"{', '.join(sorted(PERSON_APPEAL_COMMANDS))}", rule="input.invalid", field="type")  # fmt: skip
        state = await asyncio.to_thread(self.case_state, case_id)
        self.authorize(who, Action.ACT, state=state, command_type=command_type)
        if not 1 <= decision_number <= state.visitation.decisions:
            raise ApiError(404, f"case {case_id} has no decision {decision_number}", rule="appeal.not_found",
                           field="decision_number")  # fmt: skip
        try:
            command = parse_appeal_command({**data, "actor": {"id": who.person_id, "role": who.role.value}})
        except CommandRejected as error:
            raise rejected(error) from None
        result = await self._command(command_type, lambda cases: cases.act_on_appeal(case_id, command, decision_number))
        return result.model_dump(mode="json")

    def appeals(self, reader: Reader, case_id: str) -> dict[str, Any]:
        """Every decision's appeal, from the appeals' own streams: its status, the window's
        last day, whether it came late, and how it ended; for a reader who sees the decision."""
        state = self.case_state(case_id)
        decision = self.authorize(reader.who, Action.READ_CASE, state=state)
        if not visible_event(decision, "decision_made"):
            raise ApiError(403, "you may not see this case's decisions, nor their appeals", rule="access.denied")
        self.record_read(reader, Action.READ_CASE, case_id, detail="appeals")
        found = []
        for number in range(1, state.visitation.decisions + 1):
            stored = self.store.read_stream(appeal_id(case_id, number))
            if stored:
                found.append(
                    appeal_view(
                        fold_appeal(readmodels.as_folded(readmodels.to_domain_event(s, self.keys) for s in stored))
                    )
                )
        return {"case_id": case_id, "appeals": found}

    def appeal_of(self, reader: Reader, case_id: str) -> AppealState | None:
        """The appeal of the case's latest decision, folded from its own stream; for a reader who sees the decision."""
        case = self.decoded(case_id)
        decision = self.authorize(reader.who, Action.READ_CASE, state=case.state)
        if case.state.decision is None or not visible_event(decision, "decision_made"):
            return None
        return case.appeal

    def allowed_now(self, who: Subject, state: CaseState) -> list[str]:
        """The commands this person may give the case in its phase now."""
        at = self.now_for(state)
        names = []
        for command in ALLOWED[state.phase]:
            name = command_type_of(command)
            if may(who, Action.ACT, state=state, at=at, command_type=name, municipality=self.settings.municipality):
                names.append(name)
        return names

    # -- reads ---------------------------------------------------------------------

    def read_case(self, reader: Reader, case_id: str, as_of: str | None = None) -> dict[str, Any]:
        """The case now, or (``as_of``: a log position or a moment) as it stood then.

        Who may see what is decided on the case as it is now (a consent revoked
        since then is revoked for the past too); the read is logged either way."""
        case = self.decoded(case_id)
        state = case.state
        decision = self.authorize(reader.who, Action.READ_CASE, state=state)
        if as_of is not None:
            try:
                moment = readmodels.parse_as_of(as_of)
            except ValueError as error:
                raise ApiError(422, str(error), rule="input.invalid", field="as_of") from None
            self.record_read(reader, Action.READ_CASE, case_id, detail=f"as_of={as_of.strip()}")
            try:
                past = readmodels.case_as_of(self.store, case_id, self.keys, moment)
            except readmodels.PersonalDataErased as error:
                raise ApiError(410, str(error), rule="case.erased", field="as_of") from None
            if past.version == 0:
                raise ApiError(
                    404, f"case {case_id} did not exist yet at {as_of}", rule="case.not_found", field="as_of"
                )
            view = visible_state(decision, past.model_dump(mode="json"))
            view["as_of"] = as_of.strip()
            return view
        self.record_read(reader, Action.READ_CASE, case_id)
        view = visible_state(decision, case.state_json)
        if "visitation" in view and visible_event(decision, "hearing_started"):
            view["hearing_letter"] = self._hearing_letter(case_id)
        view["allowed_now"] = self.allowed_now(reader.who, state)
        view["deadline"] = self.deadline_of(state)
        return view

    def _hearing_letter(self, case_id: str) -> str | None:
        """The letter of the case's latest partshøring as the citizen got it (forvaltningsloven § 19):
        the text its ``hearing_started`` event holds, shown beside the case as the decision letter is."""
        for event_type, entry in reversed(self.decoded(case_id).timeline):
            if event_type == "hearing_started":
                letter = json.loads(entry)["data"].get("letter")
                return letter if isinstance(letter, str) else None
        return None

    async def read(self, function: Callable[..., Any], *args: Any) -> Any:
        """Runs a blocking case read in one of the few read threads, as one moment (``one_moment``)."""
        return await self.read_threads.run(_in_one_moment, function, *args)

    def timeline_json(self, reader: Reader, case_id: str) -> bytes:
        """The events this reader may see, as a JSON array, ready to send.

        Decided now (at this read's time, on the case as the log holds it now)
        and recorded before it is returned; only the decoding is reused."""
        case = self.decoded(case_id)
        decision = self.authorize(reader.who, Action.READ_TIMELINE, state=case.state)
        self.record_read(reader, Action.READ_TIMELINE, case_id)
        entries = [(t, entry) for t, entry in case.timeline if visible_event(decision, t)]
        if decision.categories is not None:  # a reader limited to consented categories: no identity in any of them
            entries = [(t, _without_identity(decision, t, entry)) for t, entry in entries]
        return b"[" + b",".join(entry for _, entry in entries) + b"]"

    def timeline(self, reader: Reader, case_id: str) -> list[dict[str, Any]]:
        return json.loads(self.timeline_json(reader, case_id))

    def file_access_export(self, reader: Reader, case_id: str) -> dict[str, Any]:
        """Aktindsigt (forvaltningslovens § 9; GDPR art. 15): what this reader is entitled to
        see of the case, as one document, with the SHA-256 the caseworker records in
        ``answer_file_access`` (``export_digest``). Each part is cut to the reader's rights
        and logged as any read is."""
        body = {
            "format": "samskab-file-access/1",
            "case_id": case_id,
            "exported_at": self.clock().isoformat(),
            "case": self.read_case(reader, case_id),
            "timeline": self.timeline(reader, case_id),
            "access_log": self.access_log_of(reader, case_id),
        }
        digest = hashlib.sha256(
            json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()
        return {**body, "sha256": digest}

    def deadline_of(self, state: CaseState) -> dict[str, Any]:
        limit = self.settings.deadlines.for_phase(state.phase.value)
        due = state.phase_since + limit if (limit is not None and state.phase_since is not None) else None
        now = self.clock()
        missed_here = any(m.phase == state.phase.value for m in state.missed_deadlines)
        return {
            "phase": state.phase.value,
            "phase_label": state.phase.label,
            "phase_since": state.phase_since.isoformat() if state.phase_since else None,
            "due_at": due.isoformat() if due else None,
            "overdue": bool(due is not None and (now > due or missed_here)) and state.phase.is_open,
            "missed": [{"phase": m.phase, "due_at": m.due_at.isoformat()} for m in state.missed_deadlines],
        }

    def deadlines(self, reader: Reader, case_id: str) -> dict[str, Any]:
        state = self.case_state(case_id)
        self.authorize(reader.who, Action.READ_DEADLINES, state=state)
        self.record_read(reader, Action.READ_DEADLINES, case_id)
        return {"case_id": case_id, **self.deadline_of(state)}

    def list_cases(self, reader: Reader, query: ListQuery) -> dict[str, Any]:
        """One page of the cases this person may see, what is due first, from the read model.

        Case officers list the municipality's cases (with filters and search);
        a citizen lists only their own, found through the key id derived from
        their CPR number. The list view is logged once, with the ids of the
        cases it showed, so each of those cases' access logs shows it."""
        page, shown = self._list_page(reader, query)
        self.record_read(reader, Action.LIST_CASES, None, shown=shown)
        return page

    async def list_cases_logged(self, reader: Reader, query: ListQuery) -> dict[str, Any]:
        """``list_cases`` for a request: the page in a read thread, then the list view
        recorded by the access log's writer while the request waits in the event loop;
        the page is returned only once its read is recorded."""
        page, shown = await self.read(self._list_page, reader, query)
        await self.access_log.record_from_loop([self.read_of(reader, Action.LIST_CASES, None, shown=shown)])
        return page

    def _list_page(self, reader: Reader, query: ListQuery) -> tuple[dict[str, Any], list[str]]:
        """The page ``list_cases`` shows and the ids of the cases in it, not yet recorded."""
        self.authorize(reader.who, Action.LIST_CASES)
        try:
            page = self._page_of(reader.who, query)
        except queries.BadQuery as error:
            raise ApiError(422, str(error), rule="input.invalid", field=error.field) from None
        shown = [row["case_id"] for row in page.rows]
        return {"cases": page.rows, "next_cursor": page.next_cursor, "position": page.position}, shown

    def _page_of(self, who: Subject, query: ListQuery) -> queries.Page:
        now = self.clock()
        if who.role is Role.CITIZEN:
            if not who.cpr:
                return queries.Page([], None, 0)
            if query.cursor is None:  # their first page (their home page): one statement
                first = queries.citizen_cases(self.store.engines, self.keys.citizen_ref(who.cpr), now=now,
                                              limit=query.limit)  # fmt: skip
                if first is not None:
                    return first
            key_id = self.keys.key_id_for_citizen(who.cpr)
            if key_id is None:
                return queries.Page([], None, 0)
            filters = CaseFilter(citizen_key=key_id)
        elif who.role in TEAM_ROLES:
            filters = CaseFilter(member_id=who.person_id)  # only the cases whose team they are on
        else:
            filters = query.filters(who, self._search_tokens(query.name), self._citizen_key(query.cpr))
        return queries.list_cases(self.store.engines, filters, now=now, limit=query.limit, cursor=query.cursor)

    def _search_tokens(self, name: str | None) -> tuple[str, ...] | None:
        if name is None:
            return None
        words = name_tokens(name)
        if not words:
            raise ApiError(
                422, "search for at least one word of two or more letters", rule="input.invalid", field="name"
            )
        return tuple(sorted(self.keys.name_token(word) for word in words))

    def _citizen_key(self, cpr: str | None) -> str | None:
        if cpr is None:
            return None
        try:
            digits = cpr_digits(cpr)
        except ValueError:
            raise ApiError(422, "a CPR number is 10 digits (DDMMYY-SSSS)", rule="input.invalid", field="cpr") from None
        return self.keys.key_id_for_citizen(digits) or "-"  # "-": no key, so no case matches

    def tasks(self, reader: Reader, limit: int) -> list[dict[str, Any]]:
        """What this person must do next, what is due first (the work items read model)."""
        self.authorize(reader.who, Action.LIST_CASES)
        if reader.who.role is Role.CITIZEN:
            own = self.list_cases(reader, ListQuery(limit=MAX_PAGE))
            return queries.citizen_tasks(self.store.engines, [c["case_id"] for c in own["cases"]])
        try:
            items = queries.tasks_for(self.store.engines, reader.who.person_id, reader.who.role.value, limit=limit)
        except queries.BadQuery as error:
            raise ApiError(422, str(error), rule="input.invalid", field=error.field) from None
        self.record_read(reader, Action.LIST_CASES, None, shown=list(dict.fromkeys(i["case_id"] for i in items)))
        return items

    async def up_to(self, min_position: int | None) -> bool:
        """Waits (bounded) until the read models show ``min_position``; whether they do."""
        if min_position is None:
            return True
        try:
            return await queries.wait_for_position(self.store.engines, min_position)
        except queries.BadQuery as error:
            raise ApiError(422, str(error), rule="input.invalid", field=error.field) from None

    def access_log_of(
        self, reader: Reader, case_id: str, *, limit: int | None = None, before: int | None = None
    ) -> list[dict[str, Any]]:
        state = self.case_state(case_id)
        self.authorize(reader.who, Action.READ_ACCESS_LOG, state=state)
        self.record_read(reader, Action.READ_ACCESS_LOG, case_id)
        # The citizen is owed when and why their case was read, and the reader's role,
        # not the employees' identities (GDPR art. 15 as read in C-579/21, domain.legal.GDPR_15_LOG).
        citizen = reader.who.role is Role.CITIZEN
        return [
            {
                "position": r.position,
                "at": r.recorded_at.isoformat(),
                **({} if citizen else {"person_id": r.actor_id}),
                "role": r.actor_role,
                "what": r.what,
                "purpose": r.purpose,
                "case_id": r.stream_id,
            }
            for r in self.access_log.for_case(case_id, limit=limit, before=before)
        ]

    # -- audit ---------------------------------------------------------------------

    def audit_trail(self, reader: Reader, case_id: str) -> list[dict[str, Any]]:
        stored = self.stored(case_id)
        self.authorize(reader.who, Action.AUDIT_TRAIL, state=self.state_of(stored))
        self.record_read(reader, Action.AUDIT_TRAIL, case_id)
        return [_trail_entry(s) for s in stored]

    def tree_head(self) -> dict[str, Any]:
        """The last signed tree head, for anyone who keeps them (an auditor, a supervisory authority)."""
        head = latest_published(self.store)
        if head is None:
            raise ApiError(404, "no tree head has been signed yet ('samskab audit checkpoint' signs one)",
                           rule="tree_head.none")  # fmt: skip
        return head.to_dict()

    def consistency(self, log: str, first: int, second: int) -> dict[str, Any]:
        """RFC 9162 2.1.4: the proof that the log at ``second`` rows extends the log at ``first``."""
        trees = {name: tree for tree, name in TREE_NAMES.items()}
        if log not in trees:
            raise ApiError(422, f"log must be one of {', '.join(trees)}", rule="consistency.log", field="log")
        with self.store.engines.read.connect() as conn:
            size = read_state(conn, trees[log]).size
            if not 0 < first <= second <= size:
                raise ApiError(422, f"sizes must satisfy 0 < first <= second <= {size} (the {log} log's size)",
                               rule="consistency.sizes", field="first")  # fmt: skip
            proof = NodeReader(conn, trees[log]).consistency_proof(first, second)
        return {"log": log, "first": first, "second": second, "proof": [p.hex() for p in proof]}

    def verify(self, reader: Reader) -> dict[str, Any]:
        self.authorize(reader.who, Action.AUDIT_VERIFY)
        report = self.store.verify()
        access = self.access_log.verify()
        return {
            "ok": report.ok and access.ok,
            "events": {
                "ok": report.ok,
                "checked": report.checked,
                "head_position": report.head_position,
                "head_hash": report.head_hash,
                "fault": report.fault,
                "first_bad_position": getattr(report, "first_bad_position", None),
                "summary": str(report),
            },
            "access_log": {"ok": access.ok, "checked": access.checked, "summary": str(access)},
        }

    def _trusted_head(self):
        """The newest signed tree head, if its signature checks with this installation's
        checkpoint key (a head a database owner slipped in is not trusted)."""
        head = latest_published(self.store)
        if head is None:
            return None
        try:
            check_tree_head(head, [k for k in (trusted_checkpoint_key(self.settings, None),) if k is not None])
        except TreeHeadInvalid:
            return None
        return head

    def case_check(self, case_id: str) -> dict[str, Any]:
        """This case's rows recomputed, linked, and proved in the last signed head (``eventlog.case_check``)."""
        result = check_case(self.store, case_id, self._trusted_head())
        return {"ok": result.ok, "checked": result.checked, "proved": result.proved, "fault": result.fault,
                "position": result.position, "summary": result.summary}  # fmt: skip

    def last_verification(self) -> dict[str, Any]:
        """The last full verification of both logs: the newest signed tree head (a head is
        signed only after the logs verified, see ``eventlog.tree_heads.sign_current``).
        Single-case views show this instead of walking the whole chain on every request;
        ``GET /audit/verify`` (and ``samskab audit verify``) walks it on demand."""
        head = self._trusted_head()
        if head is None:
            return {"ok": None, "summary": "no signed tree head checks with this installation's key yet: "
                    "run 'samskab audit checkpoint'"}  # fmt: skip
        return {
            "ok": True,
            "at": head.timestamp,
            "events": {"size": head.events.size, "root": head.events.root, "chain_head": head.events.chain_head},
            "access_log": {"size": head.access_log.size, "root": head.access_log.root},
            "key": head.key_fingerprint,
            "summary": f"both logs verified and signed at {head.timestamp}: events 1-{head.events.size}, "
                       f"reads 1-{head.access_log.size}",
        }  # fmt: skip

    def export(self, reader: Reader, case_id: str) -> dict[str, Any]:
        stored = self.stored(case_id)
        self.authorize(reader.who, Action.AUDIT_EXPORT, state=self.state_of(stored))
        self.record_read(reader, Action.AUDIT_EXPORT, case_id)
        return {
            "format": "samskab-case-export/1",
            "case_id": case_id,
            "exported_at": self.clock().isoformat(),
            "exported_by": reader.who.person_id,
            "verified": {**self.last_verification(), "case": self.case_check(case_id)},
            "events": [_trail_entry(s) for s in stored],
            "access_log": [
                {"position": r.position, "at": r.recorded_at.isoformat(), "person_id": r.actor_id,
                 "role": r.actor_role, "what": r.what, "purpose": r.purpose, "hash": r.hash}
                for r in self.access_log.for_case(case_id)
            ],
        }  # fmt: skip

    def report(self, reader: Reader) -> dict[str, Any]:
        """Cases by phase, how many are overdue and how many erased: no one's personal data."""
        self.authorize(reader.who, Action.READ_REPORTS)
        return queries.phase_counts(self.store.engines, now=self.clock())


def not_found(case_id: str) -> ApiError:
    """The one answer for a case that does not exist and for a case the caller may not know of."""
    return ApiError(404, f"there is no case {case_id}", rule="case.not_found", field="case_id")


def _without_identity(decision: Decision, event_type: str, entry: bytes) -> bytes:
    fields = identity_fields(event_type)
    if not fields:
        return entry
    data = json.loads(entry)
    data["data"] = visible_payload(decision, event_type, data.get("data") or {})
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _parse(data: dict[str, Any]):
    try:
        return parse_command(data)
    except CommandRejected as error:
        raise rejected(error) from None


def _refuse_actor_in_body(data: dict[str, Any]) -> None:
    if "actor" in data or "at" in data:
        field = "actor" if "actor" in data else "at"
        raise ApiError(
            422,
            "who acts comes from your token and when from the case's clock; leave 'actor' and 'at' out",
            rule="input.invalid",
            field=field,
        )


def _trail_entry(stored: StoredEvent) -> dict[str, Any]:
    return {
        "position": stored.position,
        "stream_version": stored.stream_version,
        "event_id": stored.event_id,
        "type": stored.event_type,
        "schema_version": stored.schema_version,
        "occurred_at": stored.occurred_at.isoformat(),
        "recorded_at": stored.recorded_at.isoformat(),
        "actor": {"id": stored.actor_id, "role": stored.actor_role},
        "legal_basis": stored.legal_basis,
        "payload": stored.payload,
        "payload_hash": stored.payload_hash,
        "prev_hash": stored.prev_hash,
        "hash": stored.hash,
    }
