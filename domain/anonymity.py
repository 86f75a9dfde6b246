"""Keeping personal identifiers out of the cross-sector forum.

Observations brought to the forum are about needs in general, not about a
person (databeskyttelsesforordningen art. 5, stk. 1, litra c, data
minimisation). We refuse a text that holds a CPR number, or what reads as a
person's name: a common Danish first name followed by a capitalised word, or
a name given after words such as "hedder" or "navn".
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

CPR_PATTERN = re.compile(r"(?<!\d)(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{2}[- ]?\d{4}(?!\d)")
NAMED_PATTERN = re.compile(r"\b(?:hedder|navn(?:et)?(?: er)?:?|kaldet)\s+([A-ZÆØÅ][a-zæøåé]+)", re.IGNORECASE)
WORD = re.compile(r"[A-ZÆØÅ][a-zæøåé]+(?:-[A-ZÆØÅ][a-zæøåé]+)?")


@cache
def common_first_names() -> frozenset[str]:
    text = resources.files("domain").joinpath("data", "danish_first_names.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def find_cpr(text: str) -> str | None:
    match = CPR_PATTERN.search(text)
    return match.group(0) if match else None


def find_person_name(text: str) -> str | None:
    """The first thing in ``text`` that reads as a person's name, if any."""
    named = NAMED_PATTERN.search(text)
    if named:
        return named.group(1)
    words = list(WORD.finditer(text))
    names = common_first_names()
    for word, following in zip(words, words[1:]):
        adjacent = text[word.end() : following.start()].strip() == ""
        if word.group(0) in names and adjacent:
            return f"{word.group(0)} {following.group(0)}"
    for word in words:
        if word.group(0) in names and word.start() > 0:  # a first name mid-sentence
            return word.group(0)
    return None
