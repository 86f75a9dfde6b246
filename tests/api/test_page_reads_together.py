"""A page that shows several things records their reads together: one write to the access log
(one commit, one fsync) for the list and every case in it, before the page is shown, the cases it
read the same way as one row naming them; and a page that fails shows nothing it read and
records none of it."""

from __future__ import annotations

from eventlog.access_log import AccessLog
from tests import scenario
from tests.api.test_appeal_pages import page
from tests.browser.test_pages import _team_case


def _count_writes(monkeypatch) -> list[int]:
    batches: list[int] = []
    write = AccessLog._write

    def counted(self, batch):
        batches.append(len(batch))
        return write(self, batch)

    monkeypatch.setattr(AccessLog, "_write", counted)
    return batches


async def test_the_citizen_s_and_the_volunteer_s_home_pages_record_their_reads_in_one_commit(api, case_id, monkeypatch):
    await api.open(case_id)
    await _team_case(api, case_id)
    assert (await api.give(case_id, scenario.consent(scenario.VOLUNTEER))).status_code == 200
    # the list and the case view (and a volunteer's tasks, here none): one batch, and the case's
    # read says more than the list that showed it, so the list is not a row of its own
    for who, path, rows in (("citizen", "/borger", 1), ("volunteer", "/hold", 2)):
        batches = _count_writes(monkeypatch)
        shown = await page(api, who, path)
        assert shown.status_code == 200, shown.text
        assert batches == [rows], (who, batches)


async def test_a_page_of_two_cases_is_one_row_naming_both_in_each_case_s_log(api, case_id, monkeypatch):
    other = f"{case_id}-b"
    assert (await api.open(case_id)).status_code == 201
    opened = await api.open(other)
    assert opened.status_code == 201, opened.text
    listed = await api.get(f"/cases?min_position={opened.json()['position']}", "caseworker")  # both projected
    assert listed.status_code == 200, listed.text
    batches = _count_writes(monkeypatch)
    shown = await page(api, "citizen", "/borger")
    assert shown.status_code == 200, shown.text
    assert f"/sager/{case_id}" in shown.text and f"/sager/{other}" in shown.text
    assert batches == [1], batches  # the list and two case reads: one row naming both cases
    for case in (case_id, other):
        log = await api.get(f"/cases/{case}/access-log", "caseworker")
        assert log.status_code == 200, log.text
        [row] = [r for r in log.json() if r["role"] == "citizen"]
        assert row["what"].startswith("shown#read_case:") and row["case_id"] is None
        told = await page(api, "citizen", f"/sager/{case}?fane=adgang")
        assert told.status_code == 200, told.text
        assert "så din sag</td>" in told.text and "så sagen</td>" not in told.text
    verified = await api.get("/audit/verify", "auditor")  # the join rows match the digest the row's hash covers
    assert verified.status_code == 200 and verified.json()["access_log"]["ok"], verified.text


async def test_a_case_page_records_its_reads_before_it_is_shown_and_its_reader_sees_them(api, case_id, monkeypatch):
    await api.open(case_id)
    batches = _count_writes(monkeypatch)
    shown = await page(api, "caseworker", f"/sager/{case_id}?fane=adgang")
    assert shown.status_code == 200, shown.text
    assert len(batches) == 1  # the case and its access log, together
    access = await api.http.get(f"/cases/{case_id}/access-log", headers=api.headers("caseworker"))
    assert access.status_code == 200, access.text
    body = access.json()
    whats = [read["what"] for read in (body["reads"] if isinstance(body, dict) else body)]
    assert any(w.startswith("read_case") for w in whats) and any(w.startswith("read_access_log") for w in whats)


async def test_the_work_list_records_the_list_and_the_tasks_in_one_commit(api, case_id, monkeypatch):
    await api.open(case_id)
    batches = _count_writes(monkeypatch)
    shown = await page(api, "caseworker", "/sager")
    assert shown.status_code == 200, shown.text
    assert len(batches) == 1 and batches[0] == 2, batches  # the list view and the tasks, together
    # a search the list refuses still shows the tasks, recorded alone
    batches.clear()
    shown = await page(api, "caseworker", "/sager?cpr=123")
    assert shown.status_code == 422, shown.text
    assert len(batches) == 1, batches
