"""When an ACR task's timer trigger fires next: five-field cron, evaluated in UTC as ACR Tasks does.

ACR Tasks interpret timer schedules with the NCrontab library: five required fields ``{minute} {hour} {day}
{month} {day-of-week}``, UTC, 24-hour hours; each field a value, ``*``, a range ``a-b``, a list ``a,b`` or a step
``*/n`` / ``a-b/n`` (ACR docs "Run an ACR task on a defined schedule", section "Cron expressions"; the example
``"30 9 * Jan Mon"`` shows month and weekday names). NCrontab matches day-of-month *and* day-of-week (both must
hold), unlike Vixie cron's "either" when both are restricted (NCrontab ``CrontabSchedule.GetNextOccurrence``: the
day is chosen from the day field, then kept only if its weekday is in the weekday field). The next occurrence is
strictly after the base time, at second 0.

Pure and small on purpose: the pre-flight only needs "the next run after now", never a scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from acrdoctor.errors import InputError

__all__ = ["CronSchedule"]

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")
_DAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_MONTHS = {name[:3]: i for i, name in enumerate(_MONTH_NAMES, start=1)}
_DAYS = {name[:3]: i for i, name in enumerate(_DAY_NAMES)}
#: Full names by their abbreviation: NCrontab takes "Jan" and "January" alike.
_FULL = {name[:3]: name for name in (*_MONTH_NAMES, *_DAY_NAMES)}
#: (name, lowest, highest, names) of the five fields, in order.
_FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day", 1, 31, {}), ("month", 1, 12, _MONTHS),
           ("day-of-week", 0, 6, _DAYS))
#: How far ahead to look: a schedule such as "0 0 29 2 1" (29 February on a Monday) fires once in 28 years.
_HORIZON_DAYS = 366 * 60


def _value(text: str, field: str, low: int, high: int, names: dict[str, int], schedule: str) -> int:
    key = text.lower()
    if names and key[:3] in names and key in (key[:3], _FULL[key[:3]]):
        return names[key[:3]]
    if not text.isdigit():
        raise InputError(f"invalid cron schedule {schedule!r}: {text!r} is not a valid {field}")
    number = int(text)
    if not low <= number <= high:
        raise InputError(f"invalid cron schedule {schedule!r}: {field} {number} is outside {low}-{high}")
    return number


def _field(text: str, field: str, low: int, high: int, names: dict[str, int], schedule: str) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        if not part:
            raise InputError(f"invalid cron schedule {schedule!r}: empty item in the {field} field")
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise InputError(f"invalid cron schedule {schedule!r}: step {step_text!r} of the {field} field")
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first = _value(a, field, low, high, names, schedule)
            last = _value(b, field, low, high, names, schedule)
            if first > last:
                raise InputError(f"invalid cron schedule {schedule!r}: range {base!r} runs backwards")
        else:
            first = _value(base, field, low, high, names, schedule)
            last = high if slash else first  # "5/15": from 5 to the end, every 15
        out.update(range(first, last + 1, step))
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A parsed five-field schedule; ``next_after`` gives its next firing time."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    @classmethod
    def parse(cls, text: str) -> CronSchedule:
        """``InputError`` for anything ACR Tasks would not accept (six fields, names it does not know, ranges)."""
        fields = text.split()
        if len(fields) != 5:
            raise InputError(f"invalid cron schedule {text!r}: ACR Tasks need exactly five fields "
                             "({minute} {hour} {day} {month} {day-of-week}), got " + str(len(fields)))
        parsed = [_field(f, name, low, high, names, text) for f, (name, low, high, names) in zip(fields, _FIELDS,
                                                                                                   strict=True)]
        return cls(text, *parsed)

    def _day_matches(self, day: datetime) -> bool:
        # Python: Monday=0 … Sunday=6; cron: Sunday=0 … Saturday=6.
        return day.month in self.months and day.day in self.days and (day.weekday() + 1) % 7 in self.weekdays

    def next_after(self, base: datetime) -> datetime | None:
        """The first firing strictly after ``base`` (UTC), or None when none falls within 60 years."""
        base = base.astimezone(UTC).replace(second=0, microsecond=0)
        day = base.replace(hour=0, minute=0)
        for offset in range(_HORIZON_DAYS):
            candidate_day = day + timedelta(days=offset)
            if not self._day_matches(candidate_day):
                continue
            for hour in sorted(self.hours):
                for minute in sorted(self.minutes):
                    at = candidate_day.replace(hour=hour, minute=minute)
                    if at > base:
                        return at
        return None
