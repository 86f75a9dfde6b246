"""KL's FFB reporting guide, release 1.0.0, read from its own FHIR Shorthand files.

The guide ("FFB reporting (FFB uddatasæt)", HL7 Denmark's kl-ffb-reporting,
release 1.0.0, the version KL Gateway validates against) is shipped with the
package in ``domain/data/kl-ffb-reporting-1.0.0``: ``sushi-config.yaml`` and
every file of its ``input/fsh`` but the examples. Everything a delivery report
must get right that the guide states is read from there, never retyped:

- the canonical base (``sushi-config.yaml``) and the URL of every profile and
  extension, ``{canonical}/StructureDefinition/{Id}``, built from its ``Id:``
  line, not from its name (FHIR Shorthand's rule: the ``Id:`` makes the URL);
- the code systems, from the ``Alias:`` lines of ``KLReportingFFBAliases.fsh``
  (FFB is ``$KLFFB``, KL's common care and social codes ``$KLCommon``);
- the values a profile fixes (``* code.coding = $KLCommon#effe55c7-...``);
- the invariants (``Invariant:`` with its ``Expression:``) and which profile
  obeys which (``* obeys ...``; a commented-out obeys does not count).

Extensions the guide takes from its dependencies keep the URLs those packages
give them; those are the one thing declared here by hand (``DEPENDENCY_EXTENSIONS``),
with their source.

Only a reader of FHIR Shorthand's declarations (entities, metadata, rules) is
here; what an ``Instance:`` means as JSON is the example transcription's business
(``tests/kl_gateway/fixtures/transcribe_examples.py``). Pure: reads its own data files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

GUIDE_FOLDER = "kl-ffb-reporting-1.0.0"

#: Extensions from the guide's dependencies (sushi-config.yaml: kl.dk.fhir.core
#: 1.2.0, hl7.fhir.dk.core 1.1.0), by the name the guide's FSH uses for them, with
#: the URL the dependency gives them (their StructureDefinition.url).
DEPENDENCY_EXTENSIONS: dict[str, str] = {
    "ConditionRank": "http://fhir.kl.dk/core/StructureDefinition/ConditionRank",  # kl.dk.fhir.core
    "BasedOnServiceRequest": "http://fhir.kl.dk/core/StructureDefinition/BasedOnServiceRequest",  # kl.dk.fhir.core
    "ConditionLastAssertedDate": "http://hl7.dk/fhir/core/StructureDefinition/ConditionLastAssertedDate",  # hl7.fhir.dk.core
}
#: The CPR identifier's system (hl7.fhir.dk.core, profile dk-core-cpr-identifier,
#: which KLReportingFFBCitizen requires: ``identifier only dk-core-cpr-identifier``).
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"

_ENTITY_KEYWORDS = (
    "Alias",
    "Profile",
    "Extension",
    "Invariant",
    "RuleSet",
    "Instance",
    "ValueSet",
    "CodeSystem",
    "Logical",
    "Resource",
    "Mapping",
)
_METADATA_KEYWORDS = ("Id", "Parent", "Title", "Description", "Severity", "Expression", "XPath", "InstanceOf", "Usage")
_HEADER = re.compile(rf"^({'|'.join(_ENTITY_KEYWORDS + _METADATA_KEYWORDS)}):[ \t]*(.*)$", re.DOTALL)


# -- reading FHIR Shorthand ----------------------------------------------------------


def strip_comments(text: str) -> str:
    """The text without ``//`` and ``/* */`` comments, leaving quoted strings whole.

    ``//`` opens a comment at the start of a line or after white space only, so
    the URL of an unquoted ``Alias:`` (``http://snomed.info/sct``) stays."""
    out: list[str] = []
    i, n, quoted = 0, len(text), False
    while i < n:
        c = text[i]
        if quoted:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            quoted = c != '"'
        elif c == '"':
            quoted = True
            out.append(c)
        elif text.startswith("//", i) and (i == 0 or text[i - 1].isspace()):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i)
            i = n if end < 0 else end + 2
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _logical_lines(text: str) -> list[str]:
    """Lines, with a quoted string that spans lines joined into one."""
    lines: list[str] = []
    pending = ""
    for line in text.splitlines():
        pending = f"{pending}\n{line}" if pending else line
        if _unclosed_quote(pending):
            continue
        lines.append(pending)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def _unclosed_quote(text: str) -> bool:
    quoted, i = False, 0
    while i < len(text):
        if quoted and text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            quoted = not quoted
        i += 1
    return quoted


def unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


@dataclass(frozen=True)
class Rule:
    """One ``*`` rule: its indent (for FSH's indented paths) and its text after the star."""

    indent: int
    text: str
    source: str  # "file:line" for messages


@dataclass
class Entity:
    """An FSH entity: ``Profile: X`` with its metadata and rules."""

    kind: str  # Profile, Extension, Invariant, RuleSet, Instance, Alias, ...
    name: str
    metadata: dict[str, str] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    file: str = ""

    @property
    def id(self) -> str:
        return unquote(self.metadata.get("Id", self.name))


def parse_fsh(text: str, file: str = "") -> list[Entity]:
    """The entities of one FSH file, in order (aliases as entities of kind ``Alias``)."""
    entities: list[Entity] = []
    current: Entity | None = None
    for number, line in enumerate(_logical_lines(strip_comments(text)), start=1):
        if not line.strip():
            continue
        header = _HEADER.match(line)
        if header and header.group(1) in _ENTITY_KEYWORDS:
            current = Entity(header.group(1), header.group(2).strip(), file=file)
            entities.append(current)
        elif header and current is not None:
            current.metadata[header.group(1)] = header.group(2).strip()
        elif line.lstrip().startswith("*") and current is not None:
            stripped = line.lstrip()
            current.rules.append(Rule(len(line) - len(stripped), stripped[1:].strip(), f"{file}:{number}"))
        elif current is not None and current.rules and line[:1].isspace():
            # a rule continued on the next line (``* extension contains\n    a 0..1 and ...``)
            last = current.rules[-1]
            current.rules[-1] = Rule(last.indent, f"{last.text} {line.strip()}", last.source)
    return entities


# -- the guide -------------------------------------------------------------------------


@dataclass(frozen=True)
class Invariant:
    """A constraint of the guide: its id, what it demands, and the FHIRPath that checks it."""

    id: str
    description: str
    severity: str
    expression: str
    profiles: tuple[str, ...]  # ids of the profiles that obey it


@dataclass(frozen=True)
class FixedValue:
    """A value a profile fixes on an element, e.g. ``code.coding = $KLCommon#effe55c7-...``."""

    profile: str  # the profile's id
    path: str  # the FSH path, slices included (``target[severitySlice].measure``)
    system: str | None  # None for a bare code (``#planned``) or a string
    code: str
    source: str


@dataclass(frozen=True)
class Guide:
    canonical: str
    version: str
    aliases: dict[str, str]
    entities: tuple[Entity, ...]

    def entity(self, name_or_id: str, kind: str | None = None) -> Entity:
        for entity in self.entities:
            if (kind is None or entity.kind == kind) and name_or_id in (entity.name, entity.id):
                return entity
        raise KeyError(f"the guide has no {kind or 'entity'} {name_or_id!r}")

    def url(self, name_or_id: str) -> str:
        """The canonical URL of a profile or extension: ``{canonical}/StructureDefinition/{Id}``."""
        entity = next(
            (e for e in self.entities if e.kind in ("Profile", "Extension") and name_or_id in (e.name, e.id)), None
        )
        if entity is None:
            raise KeyError(f"the guide has no profile or extension {name_or_id!r}")
        return f"{self.canonical}/StructureDefinition/{entity.id}"

    def extension_url(self, name: str) -> str:
        """The URL of an extension the guide uses: its own by ``Id:``, a dependency's as that package gives it."""
        if name in DEPENDENCY_EXTENSIONS:
            return DEPENDENCY_EXTENSIONS[name]
        return self.url(name)

    def profiles(self) -> dict[str, Entity]:
        """Profile id -> profile."""
        return {e.id: e for e in self.entities if e.kind == "Profile"}

    def extensions(self) -> dict[str, str]:
        """The guide's own extensions: id -> URL."""
        return {e.id: self.url(e.id) for e in self.entities if e.kind == "Extension"}

    def alias(self, name: str) -> str:
        return self.aliases[name]

    def invariants(self) -> list[Invariant]:
        obeyed: dict[str, list[str]] = {}
        for profile in self.profiles().values():
            for rule in profile.rules:
                if rule.text.startswith("obeys "):
                    for invariant_id in re.split(r"\s+and\s+|\s*,\s*", rule.text[len("obeys ") :].strip()):
                        obeyed.setdefault(invariant_id.strip(), []).append(profile.id)
        return [
            Invariant(
                id=e.name,
                description=unquote(e.metadata.get("Description", "")),
                severity=e.metadata.get("Severity", "#error").lstrip("#"),
                expression=unquote(e.metadata["Expression"]),
                profiles=tuple(obeyed.get(e.name, ())),
            )
            for e in self.entities
            if e.kind == "Invariant"
        ]

    def fixed_values(self, profile: str) -> list[FixedValue]:
        """What the profile fixes with ``path = value`` (codes and strings; not ``^`` metadata)."""
        entity = self.entity(profile, "Profile")
        fixed = []
        for rule in entity.rules:
            match = re.match(r"^([A-Za-z][\w.\[\]-]*)\s*=\s*(.+?)(\s+\(exactly\))?$", rule.text)
            if not match or "^" in match.group(1):
                continue
            value = match.group(2).strip()
            coded = re.match(r'^(\$\w+|[a-z]+:\S+)?#([^\s"]+)', value)
            if coded:
                system = coded.group(1)
                system = self.aliases.get(system, system) if system else None
                fixed.append(FixedValue(entity.id, match.group(1), system, coded.group(2), rule.source))
            elif value.startswith('"'):
                fixed.append(FixedValue(entity.id, match.group(1), None, unquote(value), rule.source))
        return fixed

    def fixed_coding(self, profile: str, path: str) -> tuple[str, str]:
        """(system, code) a profile fixes on ``path``; KeyError when it fixes none there."""
        for value in self.fixed_values(profile):
            if value.path == path and value.system:
                return value.system, value.code
        raise KeyError(f"profile {profile!r} fixes no coding on {path!r}")


def _data(*parts: str) -> str:
    return resources.files("domain").joinpath("data", GUIDE_FOLDER, *parts).read_text(encoding="utf-8")


def guide_files() -> list[str]:
    """Names of the guide's FSH files shipped with the package."""
    folder = resources.files("domain").joinpath("data", GUIDE_FOLDER, "fsh")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".fsh"))


def read_guide(config: str, fsh_files: dict[str, str]) -> Guide:
    """The guide from the text of its ``sushi-config.yaml`` and of its FSH files (name -> text)."""
    settings = dict(
        (m.group(1), m.group(2).strip()) for m in re.finditer(r"^(\w+):[ \t]*([^#\n]*)", config, re.MULTILINE)
    )
    entities = [e for name, text in sorted(fsh_files.items()) for e in parse_fsh(text, name)]
    aliases = {}
    for e in entities:
        if e.kind == "Alias":
            name, _, value = e.name.partition("=")
            aliases[name.strip()] = value.strip()
    return Guide(
        canonical=settings["canonical"].rstrip("/"),
        version=settings["version"],
        aliases=aliases,
        entities=tuple(e for e in entities if e.kind != "Alias"),
    )


@cache
def guide() -> Guide:
    """The guide as shipped with the package."""
    return read_guide(_data("sushi-config.yaml"), {name: _data("fsh", name) for name in guide_files()})


# -- what a report uses, by name ------------------------------------------------------------


@cache
def ffb_system() -> str:
    """FFB's code system (``Alias: $KLFFB``)."""
    return guide().alias("$KLFFB")


@cache
def kl_common_system() -> str:
    """KL's common care and social codes (``Alias: $KLCommon``)."""
    return guide().alias("$KLCommon")


@cache
def snomed_system() -> str:
    return guide().alias("$snomedCT")
