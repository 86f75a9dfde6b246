"""Which rows a page's reads are kept as (``kept_as_page``): the cases it read the same way as
one row naming them; a list whose every case the page also read left out; everything else
as it was read."""

from __future__ import annotations

from eventlog.access_log import SHOWN_PREFIX, Read, kept_as_page, read_kind


def _read(case_id: str | None, what: str = "read_case", purpose: str = "p", who: str = "anna", shown=None) -> Read:
    return Read(who, "caseworker", case_id, what, purpose, shown=shown)


def test_a_list_and_the_cases_it_showed_read_in_full_are_one_row_naming_them():
    kept = kept_as_page([_read(None, "list_cases", shown=["a", "b", "c"]), _read("a"), _read("b"), _read("c")])
    assert kept == [_read(None, "read_case", shown=["a", "b", "c"])]


def test_one_case_read_keeps_its_plain_row_and_a_list_with_a_case_not_read_stays():
    kept = kept_as_page([_read(None, "list_cases", shown=["a", "b"]), _read("a")])
    assert kept == [_read(None, "list_cases", shown=["a", "b"]), _read("a")]


def test_reads_of_another_kind_purpose_or_reader_are_not_folded_together():
    reads = [_read("a"), _read("b", "read_access_log"), _read("c", purpose="q"), _read("d", who="bo")]
    assert kept_as_page(reads) == reads
    # and a list is left out only for the reader who read its cases
    listed = _read(None, "list_cases", shown=["a"], who="bo")
    assert kept_as_page([listed, _read("a")]) == [listed, _read("a")]


def test_an_empty_list_and_a_read_of_the_whole_log_stay_and_a_case_read_twice_is_named_once():
    empty, whole = _read(None, "list_cases", shown=[]), _read(None, "audit_verify")
    kept = kept_as_page([empty, whole, _read("a"), _read("b"), _read("a")])
    assert kept == [empty, whole, _read(None, shown=["a", "b"])]


def test_the_kind_of_a_row_is_its_action_whatever_it_names():
    assert read_kind(f"{SHOWN_PREFIX}read_case:{'0' * 64}") == "read_case"
    assert read_kind(f"{SHOWN_PREFIX}list_cases:{'0' * 64}") == "list_cases"
    assert read_kind("read_case as_of=2026-01-01") == "read_case"
    assert read_kind("refused:read_case submit_assessment") == "refused:read_case"
