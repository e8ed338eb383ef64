"""dates.parse_date and long_date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from newpower_site.core.dates import DateError, long_date, parse_date

LONDON = ZoneInfo("Europe/London")


def offset(value: object, zone: ZoneInfo = LONDON) -> timedelta:
    return parse_date(value, zone).utcoffset()


def test_date_only_is_midnight_in_the_site_zone_in_summer() -> None:
    moment = parse_date("2026-07-01", LONDON)
    assert (moment.year, moment.month, moment.day, moment.hour, moment.minute) == (2026, 7, 1, 0, 0)
    assert moment.utcoffset() == timedelta(hours=1)
    assert moment.astimezone(UTC) == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)


def test_date_only_in_winter_is_utc_in_london() -> None:
    assert offset("2026-01-15") == timedelta(0)


def test_date_only_follows_the_given_zone() -> None:
    assert offset("2026-03-01", ZoneInfo("America/New_York")) == timedelta(hours=-5)
    assert offset("2026-03-01", ZoneInfo("Asia/Kolkata")) == timedelta(hours=5, minutes=30)


def test_datetime_with_offset_keeps_its_offset() -> None:
    moment = parse_date("2026-03-01T09:30:00+05:30", LONDON)
    assert moment.utcoffset() == timedelta(hours=5, minutes=30)
    assert moment.astimezone(UTC) == datetime(2026, 3, 1, 4, 0, tzinfo=UTC)


def test_datetime_without_offset_is_in_the_site_zone() -> None:
    moment = parse_date("2026-07-01T09:30:00", LONDON)
    assert moment.astimezone(UTC) == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    assert parse_date("2026-07-01T09:30", LONDON) == moment


def test_z_means_utc() -> None:
    moment = parse_date("2026-07-01T09:30:00Z", LONDON)
    assert moment.utcoffset() == timedelta(0)
    assert moment == datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-03-01 09:30:00+0100", "2026-03-01T09:30:00.250+01:00", "  2026-03-01T09:30:00+01:00  "])
def test_other_iso_forms(text: str) -> None:
    moment = parse_date(text, LONDON)
    assert moment.replace(microsecond=0) == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-02-30", "2026-13-01", "2026-02-29", "2026-00-10", "2026-04-31", "0000-01-01"])
def test_impossible_dates(text: str) -> None:
    with pytest.raises(DateError, match="is not a real date"):
        parse_date(text, LONDON)


@pytest.mark.parametrize("text", ["2026-03-01T24:00", "2026-03-01T09:60", "2026-03-01T09:30:00+25:00"])
def test_impossible_times(text: str) -> None:
    with pytest.raises(DateError, match="is not a real date and time"):
        parse_date(text, LONDON)


def test_leap_day_in_a_leap_year() -> None:
    assert parse_date("2028-02-29", LONDON).date().isoformat() == "2028-02-29"


@pytest.mark.parametrize(
    "text", ["soon", "1 March 2026", "2026-3-1", "01/03/2026", "2026-03-01T09:30:00z", "2026-03", "", "２０２６-03-01", "2026-03-01 09"]
)
def test_non_dates(text: str) -> None:
    with pytest.raises(DateError, match="is not a date: write YYYY-MM-DD"):
        parse_date(text, LONDON)


@pytest.mark.parametrize("value", [20260301, 2026, 1.5])
def test_numbers_are_not_dates(value: object) -> None:
    with pytest.raises(DateError, match="is not a date"):
        parse_date(value, LONDON)


@pytest.mark.parametrize("value", [True, False, None, ["2026-03-01"], {"y": 2026}])
def test_other_types_are_not_dates(value: object) -> None:
    with pytest.raises(DateError, match="expected a date such as 2026-03-01"):
        parse_date(value, LONDON)


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_dates_that_cannot_be_expressed_in_utc_are_refused(text: str) -> None:
    # later stages sort by timestamp and print feed dates in UTC
    with pytest.raises(DateError, match="out of range"):
        parse_date(text, LONDON)


def test_date_error_is_a_value_error() -> None:
    assert issubclass(DateError, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", "1 March 2026"),
        ("2026-01-31", "31 January 2026"),
        ("2026-12-09", "9 December 2026"),
        ("2028-02-29", "29 February 2028"),
        ("2026-07-01T00:30:00+01:00", "1 July 2026"),
    ],
)
def test_long_date(text: str, expected: str) -> None:
    assert long_date(parse_date(text, LONDON)) == expected


def test_long_date_uses_the_moments_own_day() -> None:
    # 23:30 UTC on 30 June is already 1 July in London: the page shows the local day
    moment = datetime(2026, 6, 30, 23, 30, tzinfo=UTC).astimezone(LONDON)
    assert long_date(moment) == "1 July 2026"
