"""KL's common terminology as data: Fælles Faglige Begreber (FFB), KL's common
care and social codes, and Fælles Sprog III.

The code lists are the FHIR CodeSystem files KL publishes (HL7 Denmark's
kl-term guide), shipped with the package in ``domain/data`` as exact copies of
the shared terminology files (a test compares them). Codes are never retyped by
hand: every rule asks this module whether a code belongs to the list it must
come from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources

from domain.errors import DomainError


@dataclass(frozen=True)
class Concept:
    code: str
    display: str
    path: tuple[str, ...]  # displays of the ancestors, outermost first
    children: tuple[str, ...] = field(default=())

    @property
    def depth(self) -> int:
        return len(self.path)


@dataclass(frozen=True)
class CodeSystem:
    name: str
    url: str
    version: str
    concepts: dict[str, Concept]

    def get(self, code: str) -> Concept | None:
        return self.concepts.get(code)

    def find(self, *path: str) -> Concept:
        """The concept reached by a path of displays, e.g. ("FFB tilstande", "Aktivitet og deltagelse")."""
        for concept in self.concepts.values():
            if (*concept.path, concept.display) == path:
                return concept
        raise KeyError(f"{self.name} has no concept {' > '.join(path)!r}")

    def descendants(self, *path: str) -> list[Concept]:
        root = self.find(*path)
        found: list[Concept] = []
        stack = list(reversed(root.children))
        while stack:
            concept = self.concepts[stack.pop()]
            found.append(concept)
            stack.extend(reversed(concept.children))
        return found

    def code_list(self, *path: str) -> CodeList:
        return CodeList(system=self, path=path, codes=frozenset(c.code for c in self.descendants(*path)))


@dataclass(frozen=True)
class CodeList:
    """A named part of a code system, e.g. FFB "Funktionsevneniveau"."""

    system: CodeSystem
    path: tuple[str, ...]
    codes: frozenset[str]

    @property
    def name(self) -> str:
        return f'{self.system.name} "{self.path[-1]}"'

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def concepts(self) -> tuple[Concept, ...]:
        """The list's concepts in the order of their names (sorted once: the pages ask on every view)."""
        return self._by_display

    @cached_property
    def _by_display(self) -> tuple[Concept, ...]:
        return tuple(sorted((self.system.concepts[c] for c in self.codes), key=lambda concept: concept.display))

    def check(self, code: str, *, field: str) -> Concept:
        """The concept for ``code``, or a DomainError that names the field, the code and the list."""
        if code in self.codes:
            return self.system.concepts[code]
        concept = self.system.get(code)
        if concept is None:
            for other in load_all():
                concept = other.get(code)
                if concept is not None:
                    break
        where = (
            f"it is {concept.display!r} from {' > '.join(concept.path) or 'the top'} instead"
            if concept
            else "it is not a known KL code"
        )
        raise DomainError(
            f"code {code!r} must come from {self.name}; {where}",
            rule="terminology.wrong_list" if concept else "terminology.unknown_code",
            field=field,
        )

    def by_display(self, display: str) -> Concept:
        for code in self.codes:
            concept = self.system.concepts[code]
            if concept.display == display:
                return concept
        raise KeyError(f"{display!r} is not in {self.name}")


def _index(raw: list[dict], path: tuple[str, ...], into: dict[str, Concept]) -> None:
    for item in raw:
        children = item.get("concept", [])
        into[item["code"]] = Concept(
            code=item["code"],
            display=item["display"],
            path=path,
            children=tuple(child["code"] for child in children),
        )
        _index(children, (*path, item["display"]), into)


def _load(filename: str, name: str) -> CodeSystem:
    text = resources.files("domain").joinpath("data", filename).read_text(encoding="utf-8")
    raw = json.loads(text)
    concepts: dict[str, Concept] = {}
    _index(raw["concept"], (), concepts)
    return CodeSystem(name=name, url=raw["url"], version=str(raw.get("version", "")), concepts=concepts)


@cache
def ffb() -> CodeSystem:
    return _load("CodeSystem-FFB.json", "FFB")


@cache
def fsiii() -> CodeSystem:
    return _load("CodeSystem-FSIII.json", "FSIII")


@cache
def care_social() -> CodeSystem:
    """KL's common care and social codes (the codes the FFB reporting guide fixes on resources)."""
    return _load("CodeSystem-CareSocialCodes.json", "KL CareSocialCodes")


def load_all() -> tuple[CodeSystem, ...]:
    return (ffb(), care_social(), fsiii())


def code_system(url: str) -> CodeSystem | None:
    """The vendored code system with this canonical URL, or None."""
    return next((system for system in load_all() if system.url == url), None)


# -- value sets ------------------------------------------------------------------------


@cache
def _condition_ad_codes() -> frozenset[tuple[str, str]]:
    areas = ffb().find("FFB tilstande", "Aktivitet og deltagelse").children
    return frozenset(
        (ffb().url, concept.code)
        for area in areas
        for concept in ffb().descendants(*ffb().concepts[area].path, ffb().concepts[area].display)
    )


#: The value sets the FFB reporting guide's invariants name in ``memberOf()``,
#: composed as kl.dk.fhir.term defines them (hl7dk/kl-term, input/fsh/ValueSets.fsh),
#: over the vendored code systems. KLConditionADCodesFFB ("KLTilstandADKoderFFB"):
#: "include codes from system FFB where concept descendent-of" each of the six
#: areas under FFB tilstande > Aktivitet og deltagelse (Relationer, Kommunikation,
#: Mobilitet, Egenomsorg, Samfundsliv, Praktiske opgaver): the conditions under
#: those areas, not the areas themselves.
CONDITION_AD_CODES = "http://fhir.kl.dk/term/ValueSet/KLConditionADCodesFFB"
VALUE_SETS = {
    CONDITION_AD_CODES: _condition_ad_codes,
}


def value_set(url: str) -> frozenset[tuple[str, str]]:
    """The (system, code) pairs of a value set; KeyError for one this module cannot expand."""
    try:
        expand = VALUE_SETS[url.split("|")[0]]
    except KeyError:
        raise KeyError(f"value set {url!r} is not one the vendored code lists can expand") from None
    return expand()


# The lists the rules use, by their official names.
@cache
def conditions() -> CodeList:
    """FFB tilstande: the 11 condition areas in 3 groups and the conditions under them."""
    return ffb().code_list("FFB tilstande")


@cache
def function_levels() -> CodeList:
    return ffb().code_list("Funktionsevneniveau")


@cache
def support_need_levels() -> CodeList:
    return ffb().code_list("Støttebehovsniveau")


@cache
def goal_types() -> CodeList:
    return ffb().code_list("Måltype")


@cache
def target_groups() -> CodeList:
    return ffb().code_list("Social indsats", "Målgruppe")


@cache
def services() -> CodeList:
    """FFB "Ydelse": the social services a decision can grant."""
    return ffb().code_list("Social indsats", "Ydelse")


@cache
def follow_up_decisions() -> CodeList:
    return ffb().code_list("Status på indsats")


# Severity 0-4 as VUM 2.0 scores it, and the FFB function level it names.
FUNCTION_LEVEL_BY_SEVERITY: dict[int, str] = {
    0: "Ingen nedsat funktionsevne",
    1: "Let nedsat funktionsevne",
    2: "Moderat nedsat funktionsevne",
    3: "Svært nedsat funktionsevne",
    4: "Fuldstændig nedsat funktionsevne",
}
NOT_ASSESSED = "Ikke vurderet"


def function_level_for(severity: int | None) -> Concept:
    display = NOT_ASSESSED if severity is None else FUNCTION_LEVEL_BY_SEVERITY[severity]
    return function_levels().by_display(display)
