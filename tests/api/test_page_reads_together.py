"""A page that shows several things records their reads together: one write to the access log
(one commit, one fsync) for the list and every case in it, before the page is shown; and a page
that fails shows nothing it read and records none of it."""

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
    for who, path, reads in (("citizen", "/borger", 2), ("volunteer", "/hold", 2)):
        batches = _count_writes(monkeypatch)
        shown = await page(api, who, path)
        assert shown.status_code == 200, shown.text
        # the list and the case view (and a volunteer's tasks): one batch
        assert len(batches) == 1 and batches[0] >= reads, (who, batches)


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
