"""The legal bases a decision on adult social services can rest on.

Serviceloven (SEL, LBK nr. 1089 af 2025) paragraphs for adults, with the
name a caseworker knows them by. A decision names one for every service.
"""

from __future__ import annotations

from domain.errors import DomainError

LEGAL_BASES: dict[str, str] = {
    "SEL § 82a": "Gruppebaseret hjælp og støtte",
    "SEL § 82b": "Individuel tidsbegrænset socialpædagogisk hjælp og støtte",
    "SEL § 83": "Personlig og praktisk hjælp",
    "SEL § 83a": "Rehabiliteringsforløb",
    "SEL § 84": "Aflastning og afløsning",
    "SEL § 85": "Socialpædagogisk bistand",
    "SEL § 86": "Genoptræning og vedligeholdelsestræning",
    "SEL § 95": "Kontant tilskud til hjælp",
    "SEL § 96": "Borgerstyret personlig assistance (BPA)",
    "SEL § 97": "Ledsagelse",
    "SEL § 99": "Støtte- og kontaktperson",
    "SEL § 100": "Merudgifter",
    "SEL § 103": "Beskyttet beskæftigelse",
    "SEL § 104": "Aktivitets- og samværstilbud",
    "SEL § 107": "Midlertidigt botilbud",
    "SEL § 108": "Længerevarende botilbud",
    "SEL § 18": "Samarbejde med frivillige sociale organisationer",
}


def check_legal_basis(value: str, *, field: str) -> str:
    normalised = " ".join(value.replace("§", " § ").split())
    if normalised in LEGAL_BASES:
        return normalised
    allowed = ", ".join(LEGAL_BASES)
    raise DomainError(
        f"{value!r} is not a legal basis for adult social services; use one of: {allowed}",
        rule="decision.unknown_legal_basis",
        field=field,
    )


APPEAL_GUIDANCE_DA = (
    "Klagevejledning (forvaltningslovens § 25): Du kan klage over afgørelsen. "
    "Klagen sendes til kommunen inden 4 uger efter, at du har modtaget afgørelsen. "
    "Kommunen genvurderer afgørelsen inden 4 uger. Fastholder kommunen afgørelsen, "
    "sendes klagen videre til Ankestyrelsen."
)
