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
    "SEL § 83b": "Hjælp efter serviceloven § 83 b (borgere i folkepensionsalderen: ældreloven)",
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
    normalised = normalise_legal_basis(value)
    if normalised in LEGAL_BASES:
        return normalised
    allowed = ", ".join(LEGAL_BASES)
    raise DomainError(
        f"{value!r} is not a legal basis for adult social services; use one of: {allowed}",
        rule="decision.unknown_legal_basis",
        field=field,
    )


# References the rules cite, spelled once.
FVL_19 = "forvaltningslovens § 19 (partshøring)"
FVL_22 = "forvaltningslovens § 22 (begrundelse)"
FVL_24 = "forvaltningslovens § 24 (begrundelsens indhold)"
FVL_25 = "forvaltningslovens § 25 (klagevejledning)"
RSL_3_2 = "retssikkerhedslovens § 3, stk. 2 (sagsbehandlingsfrister)"
RSL_11A = "retssikkerhedslovens § 11 a (samtykke til at indhente oplysninger)"
RSL_66 = "retssikkerhedslovens § 66 (genvurdering)"
RSL_67 = "retssikkerhedslovens § 67 (klagefrist)"
ELDER_ACT = "ældreloven (lov om ældre, i kraft 1. juli 2025)"


def normalise_legal_basis(value: str) -> str:
    """ "SEL §85", "SEL  § 85" and "SEL § 85" are the same paragraph."""
    return " ".join(value.replace("§", " § ").split())


APPEAL_GUIDANCE_DA = (
    "Klagevejledning (forvaltningslovens § 25): Du kan klage over afgørelsen. "
    "Klagen sendes til kommunen inden 4 uger efter, at du har modtaget afgørelsen. "
    "Kommunen genvurderer afgørelsen inden 4 uger. Fastholder kommunen afgørelsen, "
    "sendes klagen videre til Ankestyrelsen."
)
