"""The legal bases a decision on adult social services can rest on, and every
legal reference the rules cite, spelled once.

Serviceloven is cited by name and paragraph only: the consolidation in force
changes (LBK nr. 155 af 11. februar 2025 was the one later amending acts refer
to, e.g. L 201 of 2024-25; it has since been amended by LOV nr. 1703 af 30.
december 2024 and others), and a decision rests on the paragraph in force on
its day, not on one consolidation's number.

Each paragraph in ``LEGAL_BASES`` is one a municipality decides an individual
case under. SEL § 18 (the municipality's duty to cooperate with and support
voluntary social work) is not: it grants nothing to a citizen and has no
processing deadline, so it is cited only where the team draws on civil society
(``SEL_18``).

Sources confirmed:
- SEL § 83 b is madservice from 1 July 2025 (LOV nr. 1703 af 30/12/2024 § 1,
  nr. 7), and SEL § 2, stk. 5 leaves §§ 83, 83 a, 83 b, 84 and 86 to ældreloven
  for the people it covers (same act, § 1, nr. 2).
- SEL § 100's merudgiftsydelse is called kompensationsydelse from 1 September
  2025 (L 201 2024-25, the new heading of chapter 17).
- Ældreloven is LOV nr. 1651 af 30/12/2024 (title "Ældrelov").
- SEL § 18: the ministry's pages on "Servicelovens §§ 18 og 18 a".
"""

from __future__ import annotations

from enum import StrEnum

from domain.errors import DomainError

SERVICELOVEN = "lov om social service (serviceloven)"

LEGAL_BASES: dict[str, str] = {
    "SEL § 82a": "Gruppebaseret hjælp og støtte",
    "SEL § 82b": "Individuel tidsbegrænset socialpædagogisk hjælp og støtte",
    "SEL § 83": "Personlig og praktisk hjælp",
    "SEL § 83a": "Rehabiliteringsforløb",
    "SEL § 83b": "Madservice",
    "SEL § 84": "Aflastning og afløsning",
    "SEL § 85": "Socialpædagogisk bistand",
    "SEL § 86": "Genoptræning og vedligeholdelsestræning",
    "SEL § 95": "Kontant tilskud til hjælp",
    "SEL § 96": "Borgerstyret personlig assistance (BPA)",
    "SEL § 97": "Ledsagelse",
    "SEL § 99": "Støtte- og kontaktperson",
    "SEL § 100": "Kompensationsydelse (til 1. september 2025: merudgiftsydelse)",
    "SEL § 103": "Beskyttet beskæftigelse",
    "SEL § 104": "Aktivitets- og samværstilbud",
    "SEL § 107": "Midlertidigt botilbud",
    "SEL § 108": "Længerevarende botilbud",
}


def check_legal_basis(value: str, *, field: str) -> str:
    normalised = normalise_legal_basis(value)
    if normalised in LEGAL_BASES:
        return normalised
    allowed = ", ".join(LEGAL_BASES)
    if normalised == "SEL § 18":
        raise DomainError(
            f"{SEL_18} er kommunens pligt til at samarbejde med og støtte frivilligt socialt arbejde; den er ikke "
            f"hjemmel til en afgørelse om hjælp til den enkelte borger. Brug en af: {allowed}",
            rule="decision.not_individual_basis",
            field=field,
        )
    raise DomainError(
        f"{value!r} is not a legal basis for adult social services; use one of: {allowed}",
        rule="decision.unknown_legal_basis",
        field=field,
    )


def normalise_legal_basis(value: str) -> str:
    """ "SEL §85", "SEL  § 85" and "SEL § 85" are the same paragraph."""
    return " ".join(value.replace("§", " § ").split())


# -- references the rules cite, spelled once ---------------------------------

# Serviceloven
SEL_2_5 = "servicelovens § 2, stk. 5 (ældrelovens personkreds får ikke hjælp efter §§ 83, 83 a, 83 b, 84 og 86)"
SEL_18 = "servicelovens § 18 (samarbejde med frivillige sociale organisationer og foreninger)"
SEL_96_2 = "servicelovens § 96, stk. 2 (arbejdsleder og overførsel af arbejdsgiveropgaverne)"
SEL_141 = "servicelovens § 141 (handleplan)"
SOCIALTILSYN_APPROVAL = "socialtilsynets godkendelse (lov om socialtilsyn; servicelovens § 96, stk. 2)"

# Ældreloven and Barnets Lov
ELDER_ACT = "ældreloven (LOV nr. 1651 af 30. december 2024, i kraft 1. juli 2025)"
ELDER_ACT_2 = "ældrelovens § 2 (personkreds: behov, der skyldes aldring; kommunens vurdering, stk. 3)"
ELDER_ACT_2_4 = "ældrelovens § 2, stk. 4 (gælder ikke for personer omfattet af servicelovens §§ 95 eller 96)"
BARNETS_LOV = "barnets lov (i kraft 1. januar 2024)"

# Forvaltningsloven
FVL_8 = "forvaltningslovens § 8 (partsrepræsentant og bisidder)"
FVL_9 = "forvaltningslovens § 9 (partsaktindsigt)"
FVL_16 = "forvaltningslovens § 16, stk. 2 (aktindsigt: afgørelse eller underretning inden 7 arbejdsdage)"
FVL_19 = "forvaltningslovens § 19 (partshøring)"
FVL_19_2 = "forvaltningslovens § 19, stk. 2 (undtagelser fra partshøring)"
FVL_21 = "forvaltningslovens § 21 (partens ret til at udtale sig, før der træffes afgørelse)"
FVL_22 = "forvaltningslovens § 22 (begrundelse)"
FVL_24 = "forvaltningslovens § 24 (begrundelsens indhold: de retsregler, afgørelsen bygger på)"
FVL_25 = "forvaltningslovens § 25 (klagevejledning)"
FVL_27 = "forvaltningslovens § 27 (tavshedspligt)"
OFFL_13 = "offentlighedslovens § 13 (notatpligt)"

# Retssikkerhedsloven
RSL_3_2 = "retssikkerhedslovens § 3, stk. 2 (sagsbehandlingsfrister)"
RSL_11A = "retssikkerhedslovens § 11 a (samtykke til at indhente oplysninger)"
RSL_11C = "retssikkerhedslovens § 11 c (udveksling af oplysninger uden samtykke)"
RSL_66 = "retssikkerhedslovens § 66 (genvurdering)"
RSL_67 = "retssikkerhedslovens § 67 (klagefrist)"

# Data protection
GDPR_CONSENT = "databeskyttelsesforordningens art. 6, stk. 1, litra a, og art. 9, stk. 2, litra a"
GDPR_7_3 = "databeskyttelsesforordningens art. 7, stk. 3 (samtykke kan trækkes tilbage)"
GDPR_15 = "databeskyttelsesforordningens art. 15 (indsigtsret)"
GDPR_15_LOG = (
    "databeskyttelsesforordningens art. 15 som fortolket i EU-Domstolens dom C-579/21 (22. juni 2023) og "
    "anvendt af Datatilsynet (2024-32-0283): tidspunkt og formål med opslag, ikke medarbejdernes identitet"
)
GDPR_17_3_B = "databeskyttelsesforordningens art. 17, stk. 3, litra b (opbevaring, som en retlig forpligtelse kræver)"
DBL_7 = "databeskyttelseslovens § 7 (følsomme oplysninger)"
DBL_8_2 = "databeskyttelseslovens § 8, stk. 2 (oplysninger om strafbare forhold)"
DBL_11 = "databeskyttelseslovens § 11, stk. 2, nr. 2 (personnummer videregivet til private med samtykke)"
CONSENT_TO_SHARE = (
    f"{GDPR_CONSENT}, {DBL_7}, {DBL_11} og, for oplysninger om strafbare forhold, {DBL_8_2}; samtykket "
    f"ophæver kommunens {FVL_27} over for den navngivne modtager"
)
ARCHIVES = "arkivloven og Rigsarkivets bestemmelser om bevaring og kassation for kommuner"


class LegalBasis(StrEnum):
    """The statute an event type rests on, as the event log's ``legal_basis`` column
    holds it. An event class names one of these (``Event.basis``) where its basis is
    fixed; ``Event.legal_basis()`` works it out from the payload where it is not.
    The values are the log's: changing one changes what new rows say."""

    RSL_3_2 = "Retssikkerhedsloven § 3, stk. 2"
    RSL_11A = "Retssikkerhedsloven § 11 a"
    RSL_11C = "Retssikkerhedsloven § 11 c"
    RSL_60 = "Retssikkerhedsloven § 60 (Ankestyrelsen)"
    RSL_66 = "Retssikkerhedsloven § 66"
    RSL_67 = "Retssikkerhedsloven § 67"
    FVL_8 = "Forvaltningsloven § 8"
    FVL_9 = "Forvaltningsloven § 9"
    FVL_9_16 = "Forvaltningsloven § 9, § 16"
    FVL_19 = "Forvaltningsloven § 19"
    FVL_21 = "Forvaltningsloven § 21"
    OFFL_13 = "Offentlighedsloven § 13"
    SEL_141 = "SEL § 141"
    SEL_148_2 = "Serviceloven § 148, stk. 2"
    ELDER_ACT_2 = "Ældreloven § 2"
    GDPR_CONSENT = GDPR_CONSENT


APPEAL_GUIDANCE_DA = (
    "Klagevejledning (forvaltningslovens § 25): Du kan klage over afgørelsen. "
    "Klagen sendes til kommunen inden 4 uger efter, at du har modtaget afgørelsen. "
    "Kommunen genvurderer afgørelsen inden 4 uger. Fastholder kommunen afgørelsen, "
    "sendes klagen videre til Ankestyrelsen."
)
