"""Validating a delivery report: the guide's rules (``domain.ffb_report_rules``)
and, beside them, the FHIR R4 structure of every resource, checked with the
``fhir.resources`` models (element names, data types, the base cardinalities)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from domain.ffb_report_rules import Violation, validate_report

STRUCTURE_RULE = "report.fhir_structure"


def _structure(report: dict) -> list[Violation]:
    from fhir.resources.R4B import get_fhir_model_class

    violations = []
    entries = report.get("entry") if isinstance(report.get("entry"), list) else []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            violations.append(Violation(STRUCTURE_RULE, "every entry holds one resource"))
            continue
        where = f"{resource.get('resourceType')}/{resource.get('id')}"
        try:
            model = get_fhir_model_class(str(resource.get("resourceType")))
        except (KeyError, ValueError):
            violations.append(Violation(STRUCTURE_RULE, f"{resource.get('resourceType')!r} is not a FHIR resource type", where))
            continue
        try:
            model.model_validate(resource)
        except ValidationError as error:
            for problem in error.errors()[:5]:
                path = ".".join(str(p) for p in problem["loc"])
                violations.append(Violation(STRUCTURE_RULE, f"{path}: {problem['msg']}", where))
    return violations


def validate_delivery_report(report: Any) -> list[Violation]:
    """Every problem with the report: FHIR structure first, then the guide's rules."""
    if not isinstance(report, dict):
        return validate_report(report)
    return _structure(report) + validate_report(report)
