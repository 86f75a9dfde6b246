"""Every text and every list a caller can send is bounded in the model (issue: fail
closed on bad input), so a 16 MB name or a million participants is refused with a
422 naming the field before anything is decided. The API's body limit is the outer
bound; these are the inner ones. Commands only the system issues (timers, the
workflows themselves) never come from a caller: the API has no route for them and
the workflows refuse them from anyone else."""

from __future__ import annotations

import types
import typing

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

import domain.case  # every concept's commands are imported by the case
import domain.forum  # noqa: F401
from domain.messages import Command

SEQUENCES = (list, tuple, set, frozenset)


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    sub: type
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _has_max(metadata) -> bool:
    for m in metadata:
        if isinstance(m, annotated_types.MaxLen) or (isinstance(m, FieldInfo) and _has_max(m.metadata)):
            return True
    return False


def _unwrap(annotation) -> list:
    """The types an annotation allows (a union's members), each with its Annotated metadata."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    if origin is typing.Annotated:
        inner, *metadata = typing.get_args(annotation)
        return [(t, [*metadata, *m]) for t, m in _unwrap(inner)]
    return [(annotation, [])]


def unbounded(model: type[BaseModel], where: str, seen: set[type]) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    found = []
    for name, info in model.model_fields.items():
        found += _check(info.annotation, info.metadata, f"{where}.{name}", seen, info)
    return found


def _check(annotation, metadata, where: str, seen: set[type], info: FieldInfo | None = None) -> list[str]:
    found = []
    for kind, inner_meta in _unwrap(annotation):
        bounds = [*metadata, *inner_meta]
        origin = typing.get_origin(kind)
        if kind is str and not _has_max(bounds):
            found.append(f"{where} (text)")
        elif origin in SEQUENCES:
            if not _has_max(bounds):
                found.append(f"{where} ({origin.__name__})")
            for item in typing.get_args(kind):
                if item is not Ellipsis:
                    found += _check(item, [], f"{where}[]", seen)
        elif isinstance(kind, type) and issubclass(kind, BaseModel):
            found += unbounded(kind, where, seen)
    return found


def test_every_text_and_list_a_caller_sends_has_a_bound():
    seen: set[type] = set()
    found = []
    for command in sorted(_subclasses(Command), key=lambda c: c.__name__):
        if getattr(command, "issued_by_system", False):
            continue
        found += unbounded(command, command.__name__, seen)
    assert found == [], f"give these a max_length: {found}"


def test_the_check_finds_an_unbounded_text_a_list_and_a_list_item():
    class Item(BaseModel):
        code: str

    class Probe(BaseModel):
        free: str
        items: list[Item]
        names: tuple[str, ...] = ()

    assert unbounded(Probe, "Probe", set()) == [
        "Probe.free (text)", "Probe.items (list)", "Probe.items[].code (text)", "Probe.names (tuple)", "Probe.names[] (text)",
    ]  # fmt: skip
