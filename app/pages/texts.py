"""Every Danish word the pages show for the domain's names, in one place, but the
names of commands and events and the help above a command's form: each class
declares its own (``label``, ``intro``; ``domain.catalogue`` collects them).

The domain keeps its identifiers (command types, enum values, rule ids) and its
refusals in English for machines and logs; a person reads the Danish here.
``refusal_text`` turns a domain refusal into Danish by its rule id, with a
Danish fallback (and the original marked as English) for a rule not yet here.
``validation_text`` does the same for pydantic's input errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ROLE_LABELS = {
    "citizen": "borger",
    "caseworker": "sagsbehandler",
    "team_lead": "teamleder",
    "staff": "medarbejder",
    "volunteer": "frivillig",
    "relative": "pårørende",
    "auditor": "revisor",
    "administrator": "administrator",
    "system": "systemet",
}

#: Labels of the forms' fields, by their path without list indices ("plan.goals.description").
FIELD_LABELS = {
    # the case that goes on: the decision about the help, follow-up, revisitation
    "choice": "Afgørelse om hjælpen",
    "forum_proposal": "Forslag til forummet for målgruppen",
    "result": "Resultat af opfølgningen",
    "notes": "Hvad opfølgningen viste",
    "citizen_took_part": "Borgeren deltog i opfølgningen",
    "reported_by": "Hvem melder det ændrede behov",
    "description": "Beskrivelse",
    # the need that opens a case (RegisterNeed): its two parts
    "citizen": "Borgeren",
    "need": "Behovet",
    # representatives (FVL § 8), need-to-know units, aktindsigt (FVL § 9)
    "kind": "Slags",
    "name": "Navn",
    "scope": "Hvad fuldmagten dækker",
    "valid_from": "Gælder fra",
    "unit": "Enhed",
    "number": "Nummer",
    "expected_by": "Forventet afgørelse senest",
    "export_digest": "Kontrolsum (SHA-256) af udleveringen",
    # issue 23's rules: the Elder Act, partshøring's exceptions, reasons, information routes, declarations
    "covered": "Omfattet af ældreloven (behovet skyldes alder)",
    "hearing_exception": "Undtagelse fra partshøring",
    "hearing_exception.ground": "Hvilken undtagelse (forvaltningslovens § 19, stk. 2)",
    "rests_on": "Retsregler, afgørelsen hviler på (forvaltningslovens § 24)",
    "adverse": "Oplysningen er til ugunst for borgeren",
    "ground": "Grundlag",
    "route": "Hvordan oplysningen kom til kommunen",
    "trial": "Forsøgsordning, valget sker under",
    "reference": "Hvor den underskrevne erklæring er journaliseret",
    "signed_on": "Underskrevet den",
    "reason": "Begrundelse",
    "accept": "Dit svar",
    "approve": "Dit svar",
    "comment": "Kommentar",
    "text": "Observation",
    "summary": "Opsummering",
    "ended_early": "Piloten sluttede før tid",
    "early_end_reason": "Hvorfor sluttede piloten før tid",
    "person_id": "Person",
    "categories": "Hvad personen må se",
    "purpose": "Formål",
    "valid_until": "Gælder til og med",
    "invitee": "Den inviterede",
    "invitee.person_id": "Personens bruger-id",
    "invitee.name": "Navn",
    "invitee.kind": "Hvem er personen",
    "invitee.organisation": "Afdeling eller organisation",
    "invitee.life_area": "Livsområde",
    "plan": "Handleplan",
    "plan.purpose": "Formål med forløbet",
    "plan.goals": "Mål",
    "plan.goals.description": "Målet",
    "plan.goals.measure": "Hvordan ved vi, at målet er nået",
    "plan.goals.target_date": "Nås senest",
    "plan.goals.linked_goal": "Borgerens eget mål, som målet hører til",
    "plan.activities": "Aktiviteter",
    "plan.activities.description": "Aktiviteten",
    "plan.activities.responsible": "Ansvarlig",
    "plan.activities.expected_weeks": "Forventet varighed i uger",
    "outcome": "Afgørelse",
    "services": "Ydelser",
    "services.service": "Ydelse (FFB Social indsats)",
    "services.legal_basis": "Lovgrundlag",
    "services.hours_per_week": "Timer om ugen",
    "services.budget_dkk_per_year": "Budget i kr. om året",
    "services.service_hours_per_week": "Timer med ydelser om ugen",
    "services.cost_per_week_dkk": "Udgift til ydelser i kr. om ugen",
    "services.caseworker_hours_per_week": "Sagsbehandlertimer om ugen",
    "reasons": "Begrundelse",
    "target_group": "Målgruppe (FFB)",
    "referral_source": "Henvendelse eller henvisning fra",
    "conditions": "Vurderede tilstande",
    "conditions.condition": "Tilstand (FFB)",
    "conditions.function_level": "Funktionsevne",
    "conditions.severity": "Sværhedsgrad 0-4",
    "conditions.support_need": "Støttebehov",
    "conditions.experiences_limitations": "Oplever borgeren begrænsninger",
    "conditions.citizen_words": "Borgerens egne ord",
    "goals": "Borgerens mål",
    "goals.in_own_words": "Målet med borgerens egne ord",
    "goals.goal_type": "Måltype (FFB)",
    "goals.primary_condition": "Tilstand målet handler om",
    "goals.secondary_conditions": "Andre tilstande målet berører",
    "goals.target_severity": "Funktionsevne der sigtes mod",
    "goals.attainment": "Hvor langt nåede borgeren",
    "citizen_statement": "Borgerens egne ord om forløbet",
    "agenda": "Dagsorden",
    "answer": "Dit svar",
    "answer_within_days": "Svarfrist i dage",
    "applied_for": "Der søges om",
    "attended": "Hvem deltog",
    "case_id": "Sagsnummer",
    "citizen.cpr": "CPR-nummer",
    "citizen.name": "Navn",
    "citizen_is_work_leader": "Borgeren er selv arbejdsleder",
    "citizen_present": "Borgeren var med",
    "employer": "Arbejdsgiver",
    "employer.kind": "Hvem er arbejdsgiver",
    "employer.name": "Arbejdsgiverens navn",
    "employer.cvr": "CVR-nummer",
    "employer.approval": "Kommunens godkendelse",
    "follow_up": "Opfølgning",
    "follow_up.status": "Status på indsatsen (FFB)",
    "follow_up.pilot": "Hvad gør vi med piloten",
    "follow_up.reasons": "Begrundelse",
    "from_citizen": "Oplysningen kommer fra borgeren selv",
    "from_whom": "Fra hvem (én pr. linje)",
    "information": "Hvilke oplysninger (én pr. linje)",
    "function_levels": "Funktionsevne nu",
    "function_levels.condition": "Tilstand",
    "function_levels.level": "Funktionsevne",
    "in_own_words": "Borgerens egne ord",
    "meeting_no": "Møde",
    "minutes": "Referat",
    "need.description": "Behovet, som det blev fortalt",
    "need.life_areas": "Livsområder",
    "need.reported_by": "Hvem fortalte om behovet",
    "option": "Borgerens valg",
    "participants": "Hvem deltager",
    "participation": "Borgerens deltagelse",
    "participation.consent_respected": "Borgeren bekræfter, at samtykket blev respekteret",
    "participation.decisions_taken": "Beslutninger i alt",
    "participation.decisions_with_citizen": "Beslutninger taget med borgeren",
    "participation.meetings_held": "Møder i alt",
    "participation.meetings_with_citizen": "Møder med borgeren",
    "planned_for": "Tidspunkt",
    "proposed_by": "Foreslået af",
    "provider": "Leverandør borgeren har valgt",
    "ratings": "Vurderinger af forløbet",
    "ratings.by": "Hvem vurderer",
    "ratings.rating": "Vurdering",
    "ratings.comment": "Kommentar (ordret)",
    "received_on": "Modtaget den",
    "self_determination": "SB-6 Selvbestemmelse i hverdagen",
    "wemwbs": "WEMWBS (trivsel)",
    "respondent": "Hvem svarede",
    "answered_on": "Besvaret den",
    "items": "Spørgsmål",
    "source": "Kilde",
    "complaint": "Din klage",
}

FIELD_HELP = {
    "citizen.cpr": "10 cifre som DDMMÅÅ-SSSS, fx 010190-1234. De første 6 cifre er borgerens fødselsdato.",
    "citizen.name": "Borgerens fulde navn, som i CPR.",
    "need.description": "Skriv behovet med de ord, borgeren eller den, der henvendte sig, brugte. Mindst 3 tegn.",
    "need.life_areas": "Vælg de livsområder, behovet handler om (kan springes over).",
    "purpose": "Hvad må personen bruge oplysningerne til? Skriv mindst 10 tegn.",
    "valid_until": "Samtykket ophører af sig selv efter denne dato.",
    "reasons": "Skriftlig begrundelse (forvaltningslovens § 22); kræves, medmindre der gives fuldt ud.",
    "conditions.citizen_words": "Skriv borgerens egne ord ordret.",
    "goals.in_own_words": "Skriv målet, som borgeren selv siger det.",
    "goals.target_severity": "Udfyldes sammen med tilstanden, eller slet ikke.",
    "plan.goals.measure": 'Fx "antal timer i praktik om ugen".',
    "services.legal_basis": "Paragraffen i serviceloven, ydelsen gives efter.",
    "services.hours_per_week": "Fx 3 eller 2,5.",
    "answer": "Dit svar gemmes ordret i sagen.",
    "complaint": "Skriv med dine egne ord. Din klage gemmes ordret.",
    "planned_for": "Dato og klokkeslæt (dansk tid).",
    "comment": "Skal udfyldes, hvis du sender tilbage eller ønsker ændringer.",
    "reason": "Kort begrundelse.",
    "agenda": "Hvad skal I tale om?",
    "citizen_statement": "Skriv borgerens egne ord ordret; lad feltet stå tomt, hvis borgeren ikke ønsker at sige noget.",
    "answer_within_days": "Normalt 14 dage.",
}

#: Danish for the domain's enum values, by the enum's class name.
ENUM_LABELS: dict[str, dict[str, str]] = {
    "HelpChoice": {
        "continue": "Hjælpen fortsætter (opfølgning)",
        "adjust": "Hjælpen justeres (nyt forløb med ny handleplan)",
        "stop": "Hjælpen ophører",
        "scale": "Hjælpen fortsætter, og arbejdsformen foreslås udbredt",
    },
    "FollowUpResult": {
        "continue": "Hjælpen fortsætter uændret",
        "adjust": "Hjælpen skal justeres",
        "revisit": "Behovet har ændret sig (ny visitation)",
        "stop": "Hjælpen skal ophøre",
    },
    "Reporter": {
        "citizen": "Borgeren",
        "caseworker": "Sagsbehandleren",
        "relative": "En pårørende",
        "volunteer": "En frivillig",
    },
    "FileAccessOutcome": {
        "granted": "Aktindsigt givet",
        "partly_granted": "Delvis aktindsigt",
        "refused": "Afslag på aktindsigt",
        "notice": "Underretning: afgørelsen kommer senere (forvaltningslovens § 16, stk. 2)",
    },
    "RepresentativeKind": {
        "bisidder": "Bisidder",
        "partsrepraesentant": "Partsrepræsentant (med fuldmagt)",
        "vaerge": "Værge",
    },
    "HearingExceptionGround": {
        "unproblematic": "Nr. 1: afgørelsen kan uden betænkelighed træffes på det foreliggende grundlag",
        "statutory_deadline": "Nr. 2: ventetiden ville overskride en lovbestemt frist",
        "overriding_interests": "Nr. 3: hensyn til offentlige eller private interesser går forud",
        "no_access_right": "Nr. 4: borgeren har ikke ret til aktindsigt i oplysningen",
    },
    "InformationRoute": {
        "citizen": "Fra borgeren selv",
        "consent": "Indhentet med borgerens samtykke (retssikkerhedslovens § 11 a)",
        "unsolicited": "Modtaget uden at være bedt om det (noteret)",
        "own_finding": "Kommunens egen iagttagelse, fx et hjemmebesøg",
        "without_consent": "Udvekslet uden samtykke (retssikkerhedslovens § 11 c)",
    },
    "Outcome": {"granted": "Bevilget", "partly_granted": "Delvist bevilget", "refused": "Afslag"},
    "InformationCategory": {
        "need": "Dit behov, som du fortalte det",
        "goals": "Dine egne mål",
        "assessment": "Udredningen: din funktionsevne og dine egne ord",
        "health": "Helbredsforhold",
        "decision": "Afgørelsen og dine ydelser",
        "plan": "Handleplanen",
        "meeting_notes": "Referater fra fællesmøder",
        "observations": "Holdets observationer",
        "evaluation": "Evalueringen",
    },
    # the same categories as staff and team members read them: the citizen's, not "yours"
    "InformationCategoryOthers": {
        "need": "Borgerens behov, som borgeren fortalte det",
        "goals": "Borgerens egne mål",
        "assessment": "Udredningen: borgerens funktionsevne og egne ord",
        "health": "Helbredsforhold",
        "decision": "Afgørelsen og borgerens ydelser",
        "plan": "Handleplanen",
        "meeting_notes": "Referater fra fællesmøder",
        "observations": "Holdets observationer",
        "evaluation": "Evalueringen",
    },
    "MemberKind": {"staff": "Medarbejder i kommunen", "volunteer": "Frivillig", "relative": "Pårørende"},
    "InvitationStatus": {
        "invited": "inviteret, har ikke svaret endnu",
        "joined": "med på holdet",
        "declined": "takket nej",
        "expired": "svarede ikke i tide",
        "left": "ikke længere på holdet",
    },
    "LifeArea": {
        "work": "Arbejde",
        "housing": "Bolig",
        "health": "Helbred",
        "relations": "Relationer",
        "leisure": "Fritid",
        "economy": "Økonomi",
        "education": "Uddannelse",
    },
    "ReportedBy": {
        "citizen": "Borgeren selv",
        "caseworker": "Sagsbehandler",
        "relative": "Pårørende",
        "volunteer": "Frivillig",
    },
    "Respondent": {"citizen": "Borgeren selv", "proxy": "En anden på borgerens vegne", "professional": "En fagperson"},
    "Attainment": {"reached": "Nået", "partly": "Delvist nået", "not_reached": "Ikke nået"},
    "PilotAdvice": {"keep": "Fortsæt som nu", "adjust": "Justér", "scale": "Tilbyd flere borgere", "stop": "Stop"},
    "Rater": {"citizen": "Borgeren", "relative": "Pårørende"},
    "PersonalisedOption": {
        "bpa": "BPA (SEL § 96)",
        "cash_grant": "Kontant tilskud (SEL § 95)",
        "individual_budget": "Individuelt budget",
    },
    "EmployerKind": {
        "citizen": "Borgeren selv",
        "relative": "En pårørende",
        "association": "En forening",
        "company": "En virksomhed",
    },
    "ReconsiderationOutcome": {"upheld": "Fastholdt", "changed": "Ændret"},
    "AppealStatus": {
        "not_open": "ingen klagefrist endnu",
        "window_open": "klagefristen løber",
        "window_closed": "klagefristen er udløbet",
        "awaiting_reconsideration": "klagen er modtaget; kommunen genvurderer afgørelsen",
        "sent_to_ankestyrelsen": "kommunen fastholdt afgørelsen; klagen er sendt til Ankestyrelsen",
        "decision_changed": "kommunen har ændret afgørelsen",
        "decided_by_ankestyrelsen": "Ankestyrelsen har afgjort klagen",
        "withdrawn": "klagen er trukket tilbage",
    },
    "AnkestyrelsenOutcome": {
        "upheld": "Stadfæstet",
        "changed": "Ændret",
        "sent_back": "Hjemvist",
        "dismissed": "Afvist",
    },
    "AppealChannel": {
        "digital": "Selvbetjening",
        "phone": "Telefon",
        "letter": "Brev",
        "in_person": "Personligt fremmøde",
        "email": "E-mail",
    },
    "RecommendationStatus": {"pending": "venter på teamlederen", "approved": "godkendt", "returned": "sendt retur"},
}

#: The pilot's rating scale and the instruments' answer scale, in Danish.
RATING_LABELS = {1: "1 – meget dårligt", 2: "2 – dårligt", 3: "3 – middel", 4: "4 – godt", 5: "5 – meget godt"}
#: WEMWBS's Danish answer scale (Koushede et al. 2019); the items are referenced by number (a licensed form).
WEMWBS_SCALE = {1: "Aldrig", 2: "Sjældent", 3: "Noget af tiden", 4: "Ofte", 5: "Hele tiden"}
SB6_SCALE = {1: "Passer slet ikke", 2: "Passer dårligt", 3: "Passer delvist", 4: "Passer godt", 5: "Passer helt"}

PHASE_HINT = {
    "need": "Behovet er registreret. Næste skridt er, at en sagsbehandler åbner visitationen.",
    "visitation": "Kommunen udreder behovet og træffer en afgørelse.",
    "team": "Holdet omkring borgeren samles og godkendes af borgeren, og handleplanen laves sammen.",
    "pilot": "Handleplanen afprøves sammen med holdet.",
    "evaluation": "Forløbet evalueres sammen med borgeren, og der træffes afgørelse om hjælpen.",
    "follow_up": "Hjælpen fortsætter, og kommunen følger løbende op på, at den opfylder sit formål (serviceloven § 148).",
    "refused": "Der er givet afslag. Borgeren kan klage over afgørelsen.",
    "closed": "Sagen er afsluttet.",
}

#: What a read in the access log was, for the citizen (the access log's ``what``).
READ_WHAT = {
    "read_case": "så din sag",
    "read_timeline": "så sagens historik",
    "read_deadlines": "så sagens frister",
    "read_access_log": "så hvem der har set din sag",
    "list_cases": "så din sag på en liste over sager",
    "audit_trail": "gennemgik sagens hændelser (revision)",
    "audit_export": "eksporterede sagen (revision)",
}
#: A refused attempt to read or act (its ``what`` is ``refused:<action>``).
READ_REFUSED = "forsøgte, men havde ikke adgang"
#: A read of a kind ``READ_WHAT`` does not name.
READ_OTHER = "så sagen"

#: The domain's refusals in Danish, by rule id. ``{field}`` is the field's Danish label where the text uses it.
RULE_TEXTS = {
    "access.denied": "Du har ikke adgang til dette. Adgangen følger din rolle og borgerens samtykke.",
    "access.purpose_required": "Skriv formålet med dine opslag; det logges sammen med hvert opslag.",
    "auth.invalid_token": "Dit login er ikke gyldigt eller er udløbet. Log ind igen.",
    "auth.missing_token": "Du skal logge ind.",
    "case.not_found": "Vi kan ikke finde sagen.",
    "case.wrong_phase": "Det kan ikke lade sig gøre i sagens nuværende fase.",
    "case.close_while_help_goes_on": "Hjælpen fortsætter. Træf afgørelse om at stoppe hjælpen, før sagen afsluttes.",
    "case.application_undecided": "En ansøgning venter på afgørelse. Træf afgørelsen eller registrér, at den er trukket tilbage.",
    "application.same_kind_pending": "Der venter allerede en ansøgning om det samme. Den skal afgøres eller trækkes tilbage først.",
    "application.one_pending": "Der venter allerede en ansøgning. Den skal afgøres eller trækkes tilbage først.",
    "help.not_open": "Der kan ikke træffes afgørelse om hjælpen nu (først efter evaluering eller en opfølgning).",
    "help.needs_reasons": "Skriv begrundelsen for afgørelsen (forvaltningslovens § 22).",
    "help.plan_with_adjust": "En justering af hjælpen kræver en ny handleplan.",
    "help.scale_needs_proposal": "Skriv forslaget til forummet, når arbejdsformen skal udbredes.",
    "help.proposal_names_a_person": "Forslaget går til forummet, som drøfter behov, ikke personer: skriv det uden navne og CPR-numre.",
    "case.not_revivable": "Sagens forløb er stoppet uden at sagen blev afsluttet. Kontakt systemets driftsansvarlige.",
    "follow_up.decision_pending": "Opfølgningen viste, at hjælpen skal ændres. Træf afgørelse om hjælpen først.",
    "revisitation.needs_new_assessment": "Behovet har ændret sig. Lav en ny udredning før den nye afgørelse.",
    "deadline.expected_not_after_deadline": "Den forventede dato skal ligge efter sagsbehandlingsfristen.",
    "case.role_not_allowed": "Din rolle kan ikke foretage denne handling.",
    "case.no_answer": "Sagen svarede ikke i tide. Handlingen kan være udført alligevel; genindlæs siden og se historikken.",
    "case.close_before_evaluation": "Registrér evalueringen, før sagen lukkes.",
    "case.stale": "Sagen er ændret af en anden, siden du åbnede formularen.",
    "input.invalid": "Feltet er ikke udfyldt korrekt.",
    "application.already_received": "Ansøgningen er allerede modtaget og afgjort; en ny ansøgning modtages, når et ændret behov er meldt.",
    "application.future": "En ansøgning kan ikke være modtaget i fremtiden.",
    "assessment.duplicate_condition": "Samme tilstand er vurderet to gange. Vurdér hver tilstand én gang.",
    "assessment.goal_condition_not_assessed": "Et mål skal handle om en af de tilstande, der er vurderet i udredningen.",
    "assessment.goal_condition_wrong_group": 'Et mål skal handle om en tilstand under "Aktivitet og deltagelse" (FFB indsatsmål).',
    "assessment.goal_secondary_is_primary": "Den primære tilstand kan ikke også være sekundær.",
    "assessment.goal_secondary_without_primary": "Andre tilstande kræver, at der er valgt en primær tilstand.",
    "assessment.goal_target_incomplete": "Vælg både tilstanden og den funktionsevne, der sigtes mod, eller ingen af dem.",
    "assessment.group_not_condition": "Vælg et tilstandsområde eller en tilstand, ikke en af de tre hovedgrupper.",
    "assessment.level_mismatch": "Sværhedsgrad og funktionsevne passer ikke sammen. Angiv kun den ene.",
    "terminology.wrong_list": "Koden hører ikke til den rigtige liste. Vælg fra listen.",
    "terminology.unknown_code": "Koden findes ikke. Vælg fra listen.",
    "decision.needs_assessment": "Der skal være registreret en udredning (VUM 2.0) først.",
    "decision.already_made": "Der er allerede truffet afgørelse. En ny afgørelse kommer kun efter en genvurdering, der ændrer den (retssikkerhedslovens § 66).",
    "decision.reasons_required": "Skriv en begrundelse. Den kræves, medmindre der gives fuldt ud (forvaltningslovens § 22).",
    "decision.refusal_with_services": 'Et afslag giver ingen ydelser. Fjern ydelserne, eller vælg "Delvist bevilget".',
    "decision.no_services": "Vælg mindst én ydelse, når der gives helt eller delvist.",
    "decision.needs_approved_recommendation": "En sagsbehandler træffer afgørelse på en indstilling, som en teamleder har godkendt. Send en indstilling først.",
    "decision.four_eyes": "Du har selv lavet udredningen. Uden en godkendt indstilling skal en anden træffe afgørelsen (fire øjne).",
    "decision.differs_from_recommendation": "Afgørelsen afviger fra den godkendte indstilling. Send en ny indstilling for at træffe en anden afgørelse.",
    "decision.hearing_open": "Partshøringen er ikke afsluttet. Vent på borgerens svar eller på svarfristen.",
    "decision.hearing_required": "Der er oplysninger, borgeren ikke er hørt om. Start en partshøring først (forvaltningslovens § 19).",
    "decision.elder_act": "Borgeren er i folkepensionsalderen; hjælpen gives efter ældreloven, ikke serviceloven §§ 83-86.",
    "decision.hours_required": "Angiv timer om ugen for ydelsen.",
    "decision.not_citizens_choice": "Ydelsen svarer ikke til det, borgeren har valgt.",
    "decision.unknown_legal_basis": "Lovgrundlaget kendes ikke. Vælg en paragraf fra listen.",
    "recommendation.pending": "Der er allerede en indstilling, som venter på teamlederens svar.",
    "recommendation.none_pending": "Der er ingen indstilling, som venter på godkendelse.",
    "recommendation.same_person": "Du har selv lavet indstillingen. En anden skal godkende den (fire øjne).",
    "recommendation.return_needs_comment": "Skriv hvorfor indstillingen sendes retur, så sagsbehandleren kan rette den.",
    "hearing.already_open": "Der er allerede en partshøring i gang.",
    "hearing.not_open": "Der er ingen partshøring at svare på.",
    "hearing.nothing_to_hear": "Der er ingen oplysninger at høre borgeren om.",
    "hearing.not_citizen": "Kun borgeren selv kan svare på partshøringen.",
    "hearing.not_due": "Høringsfristen er ikke udløbet endnu.",
    "information.no_consent": "Der er ikke samtykke til at indhente denne oplysning.",
    "consent.blanket": "Et samtykke til alt er ikke konkret. Vælg kun de oplysninger, personen har brug for.",
    "consent.expired": "Samtykket kan ikke slutte før den dag, det gives.",
    "consent.not_on_team": "Personen er ikke på dit hold. Samtykke gives til en navngiven person på holdet.",
    "consent.not_needed_for_staff": "Personen er ansat i kommunen og har tavshedspligt; samtykke er kun til frivillige og pårørende.",
    "consent.none_in_force": "Personen har ikke et samtykke, der gælder nu.",
    "consent.missing": "Borgeren har ikke givet samtykke, der dækker observationer.",
    "consent.not_citizen": "Kun borgeren selv kan give samtykke.",
    "consent.other_case": "Samtykket hører til en anden sag.",
    "team.already_invited": "Personen er allerede inviteret til eller med på holdet.",
    "team.change_needs_reason": "Borgeren har allerede godkendt holdet; skriv en begrundelse for ændringen.",
    "team.no_open_invitation": "Der er ingen åben invitation til denne person.",
    "team.decline_needs_reason": "Skriv hvorfor du takker nej, så sagsbehandleren kan finde en anden.",
    "team.changes_need_comment": "Skriv hvilke ændringer du ønsker i holdet.",
    "team.already_approved": "Holdet er allerede godkendt.",
    "team.empty": "Ingen har sagt ja til holdet endnu. Et hold skal have mindst én person ud over borgeren.",
    "team.open_invitations": "Der ventes stadig på svar fra nogen, der er inviteret.",
    "team.not_a_member": "Personen er ikke på holdet.",
    "team.already_reminded": "Personen er allerede påmindet.",
    "plan.goal_not_linked": "Hvert mål skal høre til et af borgerens egne mål fra udredningen.",
    "plan.target_date_passed": "Datoen for et mål skal ligge ude i fremtiden.",
    "plan.none_proposed": "Der er ikke foreslået en handleplan endnu.",
    "plan.already_accepted": "Handleplanen er allerede godkendt.",
    "plan.changes_need_comment": "Skriv hvilke ændringer du ønsker i handleplanen.",
    "plan.proposer_not_on_team": "Forslaget skal komme fra borgeren eller en på holdet.",
    "pilot.responsible_not_on_team": "Den ansvarlige skal være på holdet, sagsbehandleren eller borgeren.",
    "pilot.team_not_approved": "Borgeren skal godkende holdet først.",
    "pilot.plan_not_accepted": "Borgeren skal godkende handleplanen, før piloten starter.",
    "pilot.not_on_team": "Du er ikke på holdet.",
    "pilot.observer_not_on_team": "Observationer kommer fra holdet.",
    "pilot.early_end_needs_reason": "Skriv hvorfor piloten sluttede før tid.",
    "pilot.check_in_order": "Opfølgningerne registreres i rækkefølge.",
    "meeting.in_the_past": "Et møde planlægges til et tidspunkt ude i fremtiden.",
    "meeting.participant_not_on_team": "Deltagerne skal være på holdet.",
    "meeting.unknown": "Mødet findes ikke.",
    "meeting.already_held": "Mødet er allerede registreret.",
    "meeting.citizen_absent": "Et fællesmøde holdes med borgeren til stede. Uden borgeren: registrér en observation i stedet.",
    "evaluation.already_recorded": "Evalueringen er allerede registreret.",
    "evaluation.baseline_already_recorded": "Udgangspunktet er allerede målt; det måles én gang, når piloten starter.",
    "evaluation.condition_not_assessed": "Tilstanden er ikke vurderet i udredningen.",
    "evaluation.condition_not_followed_up": "Angiv funktionsevnen nu for hver vurderet tilstand.",
    "evaluation.duplicate_condition": "Samme tilstand er angivet to gange.",
    "evaluation.goal_missing": "Angiv målopfyldelse for hvert mål i handleplanen.",
    "evaluation.goal_type_missing": "Vælg en måltype.",
    "evaluation.no_rating": "Giv mindst én vurdering af forløbet, fra borgeren eller en pårørende.",
    "evaluation.participation_exceeds": "Antallet med borgeren kan ikke være større end antallet i alt.",
    "evaluation.too_many_goals": "Der er angivet flere mål end handleplanen har.",
    "instrument.missing_item": "Besvar alle spørgsmål.",
    "instrument.item_out_of_range": "Svaret ligger uden for skalaen.",
    "instrument.respondent_not_allowed": "Spørgeskemaet besvares af borgeren selv eller en på borgerens vegne.",
    "instrument.too_many_items": "Der er givet for mange svar.",
    "instrument.unknown_version": "Denne version af spørgeskemaet kan ikke scores.",
    "choice.bpa_needs_work_leader": "BPA kræver en arbejdsleder.",
    "choice.no_employer": "Vælg arbejdsgiver.",
    "choice.employer_unnamed": "Skriv arbejdsgiverens navn.",
    "choice.employer_cvr": "Et CVR-nummer er 8 cifre.",
    "choice.employer_not_approved": "Foreningen eller virksomheden skal være godkendt af kommunen.",
    "choice.no_provider": "Skriv hvilken leverandør borgeren har valgt.",
    "choice.not_citizen": "Valget er borgerens eget.",
    "appeal.already_lodged": "Du har allerede klaget over denne afgørelse.",
    "appeal.no_decision": "Der er ingen afgørelse at klage over.",
    "appeal.not_found": "Der er ingen klagemulighed på denne afgørelse endnu. Prøv igen om lidt.",
    "appeal.window_not_open": "Klagefristen er ikke åben.",
    "appeal.role_not_allowed": "Din rolle kan ikke give denne kommando i klagesagen.",
    "appeal.unstamped": "Kommandoen mangler et tidspunkt. Prøv igen.",
    "appeal.not_sent_on": "Ankestyrelsens afgørelse kan kun registreres på en klage, der er sendt videre til Ankestyrelsen.",
    "appeal.not_withdrawable": "Klagen kan kun trækkes tilbage, mens kommunen genvurderer den, eller den ligger hos Ankestyrelsen.",
    "appeal.ended": "Klagesagen er afsluttet.",
    "appeal.withdrawal_channel_required": "Angiv hvordan borgeren trak klagen tilbage (telefon, brev, e-mail eller fremmøde).",
    "appeal.received_in_future": "Datoen for modtagelsen kan ikke ligge efter i dag.",
    "appeal.received_before_decision": "Klagen kan ikke være modtaget før afgørelsen blev truffet.",
    "appeal.outcome_before_forwarding": "Ankestyrelsen kan ikke have afgjort klagen, før den blev sendt videre.",
    "appeal.outcome_in_future": "Ankestyrelsens afgørelse kan ikke være dateret efter i dag.",
    "appeal.nothing_to_reconsider": "Der er ingen klage, der venter på genvurdering.",
    "appeal.reasons_required": "Skriv en begrundelse.",
    "deadline.expected_in_past": "Datoen skal ligge ude i fremtiden.",
}

#: pydantic's input errors in Danish, by error type; ``{...}`` from the error's context.
VALIDATION_TEXTS = {
    "missing": "Skal udfyldes.",
    "string_too_short": "Skriv mindst {min_length} tegn.",
    "string_too_long": "Skriv højst {max_length} tegn.",
    "string_pattern_mismatch": "Brug kun bogstaver, tal, punktum, bindestreg og understreg.",
    "too_short": "Udfyld mindst {min_length}.",
    "too_long": "Højst {max_length}.",
    "int_parsing": "Skriv et helt tal.",
    "int_from_float": "Skriv et helt tal.",
    "int_type": "Skriv et helt tal.",
    "float_parsing": "Skriv et tal, fx 3 eller 2,5.",
    "float_type": "Skriv et tal.",
    "greater_than": "Skal være større end {gt}.",
    "greater_than_equal": "Skal være mindst {ge}.",
    "less_than": "Skal være mindre end {lt}.",
    "less_than_equal": "Må højst være {le}.",
    "date_parsing": "Skriv en dato.",
    "date_from_datetime_parsing": "Skriv en dato.",
    "date_type": "Skriv en dato.",
    "datetime_parsing": "Skriv dato og klokkeslæt.",
    "datetime_from_date_parsing": "Skriv dato og klokkeslæt.",
    "datetime_type": "Skriv dato og klokkeslæt.",
    "timezone_aware": "Skriv dato og klokkeslæt.",
    "enum": "Vælg en af mulighederne.",
    "literal_error": "Vælg en af mulighederne.",
    "bool_parsing": "Vælg ja eller nej.",
    "bool_type": "Vælg ja eller nej.",
    "list_type": "Vælg mindst én.",
    "model_type": "Udfyld feltet.",
    "dict_type": "Udfyld feltet.",
    "string_type": "Udfyld feltet.",
    "extra_forbidden": "Feltet hører ikke til formularen.",
    "value_error": "Ikke gyldigt.",
}
#: Value errors from the domain's own validators, by a word of their English message.
VALUE_ERROR_TEXTS = {"CPR": "Ikke et gyldigt CPR-nummer. Skriv 10 cifre som DDMMÅÅ-SSSS med en rigtig dato."}

#: Danish names of the months, for dates as a person writes them ("3. marts 2026").
MONTHS = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
]


def enum_label(enum_name: str, value: Any) -> str:
    value = getattr(value, "value", value)
    return ENUM_LABELS.get(enum_name, {}).get(str(value), str(value))


def field_label(path: str) -> str:
    """The Danish label of a field path ('plan.goals.description'), most specific first."""
    if path in FIELD_LABELS:
        return FIELD_LABELS[path]
    leaf = path.rsplit(".", 1)[-1]
    return FIELD_LABELS.get(leaf, FIELD_LABELS.get(path.split(".", 1)[-1], leaf.replace("_", " ").capitalize()))


def refusal_text(rule: str | None, message: str = "") -> tuple[str, bool]:
    """The Danish text of a refusal, and whether it was found (else a Danish fallback)."""
    if rule and rule in RULE_TEXTS:
        return RULE_TEXTS[rule], True
    return "Handlingen blev afvist af sagens regler.", False


def validation_text(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "value_error":
        message = str(error.get("msg", ""))
        for word, text in VALUE_ERROR_TEXTS.items():
            if word in message:
                return text
    template = VALIDATION_TEXTS.get(kind, "Feltet er ikke udfyldt korrekt.")
    try:
        return template.format(
            **{k: str(v).replace(".", ",") if isinstance(v, float) else v for k, v in context.items()}
        )
    except (KeyError, IndexError):
        return template
