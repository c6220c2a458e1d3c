"""Timer triggers: the next run of a five-field cron schedule in UTC, checked against a minute-by-minute recount.

The recount is deliberately naive (every minute from the base, testing each field as a set), so it shares nothing
with the day-then-time search of :mod:`acrdoctor.preflight.cron`. The base is the real (possibly shifted) clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from acrdoctor.errors import InputError
from acrdoctor.preflight.cron import CronSchedule


def _expand(field: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    out: set[int] = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            values = range(low, high + 1)
        elif "-" in base:
            a, b = (names.get(x.lower()[:3]) if not x.isdigit() else int(x) for x in base.split("-"))
            assert a is not None and b is not None
            values = range(a, b + 1)
        else:
            v = int(base) if base.isdigit() else names[base.lower()[:3]]
            values = range(v, high + 1) if step else range(v, v + 1)
        out.update(list(values)[::int(step)] if step else values)
    return out


MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                      "dec"], start=1)}
DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}


def recount(schedule: str, base: datetime, limit_days: int = 400) -> datetime | None:
    minute, hour, day, month, dow = schedule.split()
    sets = (_expand(minute, 0, 59, {}), _expand(hour, 0, 23, {}), _expand(day, 1, 31, {}),
            _expand(month, 1, 12, MONTHS), _expand(dow, 0, 6, DAYS))
    t = base.replace(second=0, microsecond=0) + timedelta(minutes=1)
    end = base + timedelta(days=limit_days)
    while t < end:
        if (t.minute in sets[0] and t.hour in sets[1] and t.day in sets[2] and t.month in sets[3]
                and t.isoweekday() % 7 in sets[4]):
            return t
        t += timedelta(minutes=1)
    return None


SCHEDULES = ["0 2 * * *", "*/10 * * * *", "30 9 * * 1-5", "30 9 * Jan Mon", "0 1-3 * * *", "20,30,40 * * * *",
             "5/15 3 * * *", "0 */2 * * *", "15 4 1,15 * *", "0 0 */1 * *", "45 23 * * sun", "0 12 * 2-4 *",
             "0 6 13 * 5"]


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_next_run_equals_a_minute_by_minute_recount_from_now(schedule: str) -> None:
    now = datetime.now(UTC)  # moved by --clock-shift-days: the schedules hold years ahead too
    expected = recount(schedule, now, limit_days=2000)
    assert expected is not None
    assert CronSchedule.parse(schedule).next_after(now) == expected


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_next_run_from_awkward_bases(schedule: str) -> None:
    for base in (datetime(2028, 2, 28, 23, 59, 30, tzinfo=UTC), datetime(2030, 12, 31, 23, 59, tzinfo=UTC),
                 datetime(2027, 1, 4, 9, 30, tzinfo=UTC)):
        assert CronSchedule.parse(schedule).next_after(base) == recount(schedule, base, limit_days=2000)


def test_day_of_month_and_weekday_must_both_hold_as_in_ncrontab() -> None:
    # Friday the 13th: NCrontab picks the 13th, then keeps it only on a Friday (not "the 13th or any Friday").
    nxt = CronSchedule.parse("0 6 13 * 5").next_after(datetime(2026, 12, 2, tzinfo=UTC))
    assert nxt is not None and nxt.day == 13 and nxt.weekday() == 4
    # 29 February on a Monday: years away, still found.
    leap = CronSchedule.parse("0 0 29 2 1").next_after(datetime(2026, 12, 2, tzinfo=UTC))
    assert leap is not None and (leap.month, leap.day, leap.weekday()) == (2, 29, 0) and leap.year > 2030


def test_the_next_run_is_strictly_after_the_base() -> None:
    at = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert CronSchedule.parse("0 2 * * *").next_after(at) == at + timedelta(days=1)
    assert CronSchedule.parse("0 2 * * *").next_after(at - timedelta(seconds=1)) == at


def test_a_schedule_that_never_fires_has_no_next_run() -> None:
    assert CronSchedule.parse("0 0 31 2 *").next_after(datetime(2026, 1, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize("bad", ["0 2 * *", "0 0 2 * * *", "61 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *",
                                 "* * * * 7", "*/0 * * * *", "5-1 * * * *", "a * * * *", "* * * Foo *", ""])
def test_schedules_acr_tasks_would_refuse_are_input_errors(bad: str) -> None:
    with pytest.raises(InputError, match="invalid cron schedule"):
        CronSchedule.parse(bad)
