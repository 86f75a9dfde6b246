"""Keeping personal identifiers out of the cross-sector forum.

Observations brought to the forum are about needs in general, not about a
person (databeskyttelsesforordningen art. 5, stk. 1, litra c, data
minimisation). We refuse a text that holds a CPR number in any writing of it
(``120399-1235``, ``12.03.99-1235``, ``12 03 99 12 35``), or what reads as a
person's name or where they live: a common Danish first name anywhere (also
at the start of a sentence, unless the name is also an everyday word there),
a first name followed by a capitalised word, a name given after words such as
"hedder" or "navn", a title with a surname in any case ("hr. holm"), or a
street address ("vej 7", "Møllegade 12").

This is screening, not a proof of anonymity (a first name written in lower
case, or an unusual name, gets through): a caseworker still reads what is
brought to the forum, and each text is erasable on its own (every forum event
is under a key of its own; ``samskab forum erase``).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from itertools import pairwise

#: Ten digits with at most one separator (space, dot, hyphen, slash) between any two.
CPR_PATTERN = re.compile(r"(?<![\d.])\d(?:[ .\-/]?\d){9}(?![\d])")
_CPR_DATE = re.compile(r"(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{2}")
TITLE_PATTERN = re.compile(r"\b(?:hr|fru|frk|dr|pastor)\.?\s+[a-zæøåé][a-zæøåé-]+", re.IGNORECASE)
ADDRESS_PATTERN = re.compile(
    r"\b[a-zæøåé]*(?:vej|gade|allé|alle|stræde|plads|torv|vænge|parken|boulevard)\s+\d+[a-z]?\b", re.IGNORECASE
)
SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n)\s*$")
#: First names that are also everyday words at the start of a sentence ("Per uge", "Hans mor", "Alle").
ALSO_WORDS = frozenset(
    {"Per", "Bo", "Max", "Mark", "Sol", "Storm", "Ask", "Hans", "Alle", "Tor", "Rose", "Vinter", "Lærke"}
)
NAMED_PATTERN = re.compile(r"\b(?:hedder|navn(?:et)?(?: er)?:?|kaldet)\s+([A-ZÆØÅ][a-zæøåé]+)", re.IGNORECASE)
WORD = re.compile(r"[A-ZÆØÅ][a-zæøåé]+(?:-[A-ZÆØÅ][a-zæøåé]+)?")


@cache
def common_first_names() -> frozenset[str]:
    text = resources.files("domain").joinpath("data", "danish_first_names.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def find_cpr(text: str) -> str | None:
    for match in CPR_PATTERN.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if _CPR_DATE.match(digits):
            return match.group(0)
    return None


def find_person_name(text: str) -> str | None:
    """The first thing in ``text`` that reads as a person's name, if any."""
    named = NAMED_PATTERN.search(text)
    if named:
        return named.group(1)
    for pattern in (TITLE_PATTERN, ADDRESS_PATTERN):
        found = pattern.search(text)
        if found:
            return found.group(0)
    words = list(WORD.finditer(text))
    names = common_first_names()
    for word, following in pairwise(words):
        adjacent = text[word.end() : following.start()].strip() == ""
        if word.group(0) in names and adjacent:
            return f"{word.group(0)} {following.group(0)}"
    for word in words:
        if word.group(0) not in names:
            continue
        if word.start() > 0 and not SENTENCE_START.search(text[: word.start()]):
            return word.group(0)  # a first name mid-sentence
        if word.group(0) not in ALSO_WORDS:
            return word.group(0)  # a first name at the start of a sentence, that is not also a word
    return None
