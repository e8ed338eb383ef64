"""Front matter dates to aware datetimes.

A date without an offset is read in the site's time zone, so that a London
editor's "2026-03-01" is 1 March in London, not the evening of 28 February in
UTC, and an item dated today is published today.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

# re.ASCII: `\d` would otherwise accept other scripts' digits ('２０２６-03-01').
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$", re.ASCII)


class DateError(ValueError):
    """A value that is not a date we accept; the message says what is wanted."""


def parse_date(value: object, zone: ZoneInfo) -> datetime:
    moment = _parse(value, zone)
    try:
        moment.astimezone(UTC)  # later stages sort and print in UTC
    except OverflowError:
        raise DateError(f"{str(value).strip()!r} is out of range") from None
    return moment


def _parse(value: object, zone: ZoneInfo) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DateError("expected a date such as 2026-03-01")
    text = str(value).strip()
    if _DATE_ONLY.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise DateError(f"{text!r} is not a real date ({exc})") from None
        return datetime.combine(day, time(0, 0), tzinfo=zone)
    if _DATETIME.match(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise DateError(f"{text!r} is not a real date and time ({exc})") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)
    raise DateError(f"{text!r} is not a date: write YYYY-MM-DD or an ISO 8601 datetime such as 2026-03-01T09:30:00+00:00")


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def long_date(moment: datetime) -> str:
    """`1 March 2026`: the form British readers expect; no locale needed."""
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"
