"""When an appeal window ends (klagefristens udløb).

Retssikkerhedslovens § 67, stk. 1: an appeal of a municipal decision is made
within 4 weeks after the citizen received the decision. How such a window is
counted follows Justitsministeriets vejledning nr. 9533 af 26. juni 2018 om
beregning af klagefrister:

- it runs from the day the letter was available to the citizen (for Digital
  Post: the moment it was available in the citizen's mailbox), whatever the
  weekday or the hour; that day itself is not counted;
- a window given in weeks ends on the same weekday that many weeks later;
- it ends at the end of that day (23:59:59, Danish time), not at office hours;
- a window that would end on a Saturday, a Sunday or a public holiday
  (helligdag) ends on the next working day.

Pure: the Danish calendar comes from the ``holidays`` package, computed once
as data when the module loads, and the time zone from the standard library.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from holidays.countries.denmark import Denmark

DANISH_TIME = ZoneInfo("Europe/Copenhagen")
#: Retssikkerhedslovens § 67, stk. 1.
APPEAL_WINDOW = timedelta(weeks=4)
#: The years the calendar covers: decisions from 1990, windows ending by 2150.
CALENDAR_YEARS = range(1990, 2151)
#: The Danish public holidays (helligdage) as data, computed once when the domain is
#: loaded: looked up inside a workflow, ``holidays`` would read its translations
#: from disk, which the workflow sandbox refuses (and a replay must not depend on).
DANISH_HOLIDAYS: frozenset[date] = frozenset(Denmark(years=CALENDAR_YEARS))


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Danish public holiday (helligdag)."""
    if day.year not in CALENDAR_YEARS:
        raise ValueError(
            f"no Danish holiday calendar for {day.year} (covered: {CALENDAR_YEARS.start}-{CALENDAR_YEARS.stop - 1})"
        )
    return day.weekday() < 5 and day not in DANISH_HOLIDAYS


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` ends in Danish time (an exclusive bound), as an aware datetime."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=DANISH_TIME)


def appeal_last_day(received_at: datetime, window: timedelta = APPEAL_WINDOW) -> date:
    """The last day an appeal is in time: ``window`` after the Danish date the letter
    was received, moved to the next working day (Rsl § 67; vejledning nr. 9533/2018)."""
    received_on = received_at.astimezone(DANISH_TIME).date()
    return next_working_day(received_on + timedelta(days=window.days))


def appeal_window_ends(received_at: datetime, window: timedelta = APPEAL_WINDOW) -> datetime:
    """The instant the appeal window closes: an appeal at this instant or later is late.

    A window of whole days is counted on the Danish calendar (``appeal_last_day``,
    to the end of that day). A window shorter than a day (the demo's seconds) has
    no calendar to count on and ends that long after the receipt."""
    if window < timedelta(days=1):
        return received_at + window
    return end_of_day(appeal_last_day(received_at, window)).astimezone(UTC)


def last_day_of(window_ends_at: datetime) -> date:
    """The Danish date of the last moment inside a window that closes at ``window_ends_at``."""
    return (window_ends_at - timedelta(microseconds=1)).astimezone(DANISH_TIME).date()
