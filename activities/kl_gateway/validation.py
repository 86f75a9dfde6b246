"""Validating a delivery report: the FHIR R4 structure of every resource, the
guide's named rules (``domain.ffb_report_rules``), and the guide's own FHIRPath
invariants, evaluated as its FSH files state them.

- Structure: the ``fhir.resources`` models (element names, data types, the base
  cardinalities).
- Invariants: every ``Invariant:`` of KL's FFB reporting guide 1.0.0 that a
  profile ``obeys`` (``domain.ffb_guide``), evaluated with ``fhirpathpy`` on each
  resource claiming that profile (the delivery report's own on the Bundle). The
  expression is the guide's text, not a rewrite. Three functions the library
  does not implement are given to it here:

  - ``memberOf(url)``: the value set is expanded from the vendored KL code lists
    as kl.dk.fhir.term composes it (``domain.terminology.value_set``); a coding
    is a member when its (system, code) is in the expansion. A value set it
    cannot expand makes the invariant fail (fail closed), naming the value set.
  - ``resolve()``: a reference resolves to the resource of the report it names
    (by ``Type/id`` or by ``fullUrl``), as a validator resolves within a Bundle.
  - ``conformsTo(url)``: the resource claims that profile in ``meta.profile``
    and is of its type. What the profile demands of it is checked on its own (its
    named rules, fixed values and invariants), so claiming a profile and breaking
    it is refused all the same.

  An invariant whose expression, as published, fails on the guide's own example
  reports is not enforced; ``DEFECTIVE_INVARIANTS`` names it, why, and the named
  rule that checks what it means.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import ValidationError

from domain import terminology
from domain.ffb_guide import Invariant, guide
from domain.ffb_report_rules import DEFECTIVE_INVARIANTS, ID_OF_KIND, PROFILES, Violation, profile_kind, validate_report

STRUCTURE_RULE = "report.fhir_structure"


def _structure(report: dict) -> list[Violation]:
    from fhir.resources.R4B import get_fhir_model_class

    violations = []
    entry_list = report.get("entry")
    entries = entry_list if isinstance(entry_list, list) else []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            violations.append(Violation(STRUCTURE_RULE, "every entry holds one resource"))
            continue
        where = f"{resource.get('resourceType')}/{resource.get('id')}"
        try:
            model = get_fhir_model_class(str(resource.get("resourceType")))
        except (KeyError, ValueError):
            violations.append(
                Violation(STRUCTURE_RULE, f"{resource.get('resourceType')!r} is not a FHIR resource type", where)
            )
            continue
        try:
            model.model_validate(resource)
        except ValidationError as error:
            for problem in error.errors()[:5]:
                path = ".".join(str(p) for p in problem["loc"])
                violations.append(
                    Violation(
                        STRUCTURE_RULE, f"{path}: {problem['msg']}", where, f"{resource.get('resourceType')}.{path}"
                    )
                )
    return violations


# -- the guide's invariants ------------------------------------------------------------


def _member_of(inputs: list[Any], url: str) -> list[bool]:
    """FHIRPath ``memberOf``: is the code, Coding or CodeableConcept in the value set?"""
    members = terminology.value_set(url)  # KeyError: a value set the code lists cannot expand
    result = []
    for item in inputs:
        codings = item.get("coding", []) if isinstance(item, dict) and "coding" in item else [item]
        result.append(any(isinstance(c, dict) and (c.get("system"), c.get("code")) in members for c in codings))
    return result


def _conforms_to(inputs: list[Any], url: str) -> list[bool]:
    """FHIRPath ``conformsTo``: the resource claims the profile and is of the profile's type."""
    target = PROFILES.get(url.split("|")[0].rsplit("/", 1)[-1])
    claims = lambda r: url in ((r.get("meta") or {}).get("profile") or [])  # noqa: E731
    return [
        isinstance(r, dict) and target is not None and r.get("resourceType") == target[1] and claims(r) for r in inputs
    ]


def _resolver(report: dict):
    index: dict[str, dict] = {}
    for entry in report.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            index[f"{resource.get('resourceType')}/{resource.get('id')}"] = resource
            if entry.get("fullUrl"):
                index[str(entry["fullUrl"])] = resource

    def resolve(inputs: list[Any]) -> list[dict]:
        refs = [i.get("reference") if isinstance(i, dict) else i for i in inputs]
        return [index[r] for r in refs if isinstance(r, str) and r in index]

    return resolve


@cache
def _parsed(expression: str) -> dict:
    from fhirpathpy.parser import parse

    return parse(expression)


def invariants_of(profile_id: str) -> list[Invariant]:
    """The guide's error-level invariants a profile obeys, less the defective ones."""
    return [
        i
        for i in guide().invariants()
        if profile_id in i.profiles and i.severity == "error" and i.id not in DEFECTIVE_INVARIANTS
    ]


def evaluate_invariant(invariant: Invariant, resource: dict, report: dict) -> bool:
    """Does the resource (inside ``report``) satisfy the invariant? Only a single ``true`` does."""
    functions = {
        "memberOf": {"fn": _member_of, "arity": {1: ["String"]}},
        "conformsTo": {"fn": _conforms_to, "arity": {1: ["String"]}},
        "resolve": {"fn": _resolver(report), "arity": {0: []}},
    }
    from fhirpathpy import apply_parsed_path
    from fhirpathpy.models import models

    # the guide is FHIR 4.0.1 (sushi-config.yaml: fhirVersion)
    result = apply_parsed_path(
        resource, _parsed(invariant.expression), {}, models["r4"], {"userInvocationTable": functions}
    )
    return result == [True]


def _invariants(report: dict) -> list[Violation]:
    violations = []
    resources = [(report, profile_kind(report))] + [
        (e["resource"], profile_kind(e["resource"]))
        for e in report.get("entry") or []
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    ]
    for resource, kind in resources:
        if kind is None or (kind == "report" and resource is not report):
            continue  # report.resource_types names a resource without one of the guide's profiles
        key = f"{resource.get('resourceType')}/{resource.get('id')}"
        for invariant in invariants_of(ID_OF_KIND[kind]):
            try:
                holds = evaluate_invariant(invariant, resource, report)
                why = ""
            except Exception as error:  # noqa: BLE001 - a constraint that cannot be evaluated does not pass
                holds, why = False, f" (could not be evaluated: {error})"
            if not holds:
                violations.append(
                    Violation(
                        invariant.id,
                        f"{invariant.description}{why}; the guide's expression: {' '.join(invariant.expression.split())}",
                        key,
                        str(resource.get("resourceType")),
                    )
                )
    return violations


def validate_delivery_report(report: Any) -> list[Violation]:
    """Every problem with the report: FHIR structure first, then the guide's rules, then its invariants."""
    if not isinstance(report, dict):
        return validate_report(report)
    return _structure(report) + validate_report(report) + _invariants(report)
