"""The appeal window (Rsl § 67; Justitsministeriets vejledning nr. 9533/2018): 4 weeks
from the letter's receipt, to the end of the day in Danish time, moved to the
next working day past a weekend or public holiday."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.appeal_window import DANISH_TIME, appeal_last_day, appeal_window_ends, is_working_day, last_day_of


def at(y, m, d, hh=10, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=DANISH_TIME)


def test_a_friday_receipt_ends_four_weeks_later_on_friday_at_midnight_danish_time():
    received = at(2027, 1, 8)  # Friday
    assert appeal_last_day(received) == date(2027, 2, 5)  # Friday, 4 weeks on
    ends = appeal_window_ends(received)
    assert ends == datetime(2027, 2, 5, 23, 0, tzinfo=UTC)  # 24:00 CET
    assert last_day_of(ends) == date(2027, 2, 5)


def test_a_window_ending_on_a_weekend_moves_to_monday():
    assert appeal_last_day(at(2027, 1, 9)) == date(2027, 2, 8)  # Saturday receipt -> Saturday -> Monday
    assert appeal_last_day(at(2027, 1, 10)) == date(2027, 2, 8)  # Sunday -> Monday


def test_a_window_ending_at_easter_moves_past_the_whole_easter():
    # Thursday 25 March 2027 is Skærtorsdag; then Langfredag, the weekend and 2. påskedag
    assert appeal_last_day(at(2027, 2, 25)) == date(2027, 3, 30)
    assert not is_working_day(date(2027, 3, 29)) and is_working_day(date(2027, 3, 30))


def test_a_window_ending_on_whit_monday_or_ascension_moves_to_the_next_working_day():
    assert appeal_last_day(at(2027, 4, 19)) == date(2027, 5, 18)  # 17 May 2027: 2. pinsedag
    assert appeal_last_day(at(2027, 4, 8)) == date(2027, 5, 7)  # 6 May 2027: Kristi himmelfartsdag


def test_store_bededag_is_no_longer_a_holiday():
    assert is_working_day(date(2027, 4, 23))  # the 4th Friday after Easter: abolished from 2024


def test_the_day_is_the_danish_one_not_utc():
    # 23:30 UTC on 1 March is 00:30 on 2 March in Copenhagen: the window counts from 2 March
    late_evening = datetime(2027, 3, 1, 23, 30, tzinfo=UTC)
    assert appeal_last_day(late_evening) == date(2027, 3, 30)  # Tue 30 March (29th: 2. påskedag)


def test_end_of_day_follows_summer_time():
    # received in winter time, ending in summer time (DST from 28 March 2027): midnight is 22:00 UTC
    ends = appeal_window_ends(at(2027, 3, 3))  # Wed 3 March -> Wed 31 March
    assert ends == datetime(2027, 3, 31, 22, 0, tzinfo=UTC)
    assert ends.astimezone(DANISH_TIME).utcoffset() == timedelta(hours=2)
    # and one that starts in summer time and ends in winter time (DST ends 31 October 2027)
    assert appeal_window_ends(at(2027, 10, 13)) == datetime(2027, 11, 10, 23, 0, tzinfo=UTC)


def test_a_moment_before_midnight_is_in_time_and_midnight_is_not():
    ends = appeal_window_ends(at(2027, 1, 8))
    assert last_day_of(ends - timedelta(seconds=1)) == date(2027, 2, 5)
    assert (ends).astimezone(DANISH_TIME).date() == date(2027, 2, 6)


def test_a_window_shorter_than_a_day_is_plain_time():
    received = at(2027, 1, 8)
    assert appeal_window_ends(received, timedelta(seconds=2)) == received + timedelta(seconds=2)
