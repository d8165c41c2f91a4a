"""Instants, wall-clock times and dates for the Europe/London properties, crowded around the UK clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import strategies as st

#: the UK clock changes of 2026-2027, all at 01:00 UTC (forward in March, back in October)
CLOCK_CHANGES = (date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31))
#: the years whose changes follow today's rule (the last Sunday of March and of October, at 01:00 UTC)
FIRST_YEAR, LAST_YEAR = 1996, 2100
HOUR = timedelta(hours=1)

changes = st.sampled_from(CLOCK_CHANGES)
any_day = st.dates(min_value=date(FIRST_YEAR, 1, 1), max_value=date(LAST_YEAR, 12, 31))
days = st.one_of(any_day, st.builds(lambda day, shift: day + timedelta(days=shift), changes, st.integers(-3, 3)))

instants = st.one_of(
    st.datetimes(datetime(FIRST_YEAR, 1, 1), datetime(LAST_YEAR, 12, 31), timezones=st.just(UTC)),
    # within three hours of a change, to the microsecond
    st.builds(
        lambda day, offset: datetime.combine(day, time(1), tzinfo=UTC) + offset,
        changes,
        st.timedeltas(min_value=-3 * HOUR, max_value=3 * HOUR),
    ),
)

#: naive wall-clock times: anywhere in the years, or between 23:00 and 03:00 on the night of a change
wall_clock_times = st.one_of(
    st.datetimes(datetime(FIRST_YEAR, 1, 1), datetime(LAST_YEAR, 12, 31)),
    st.builds(
        lambda day, offset: datetime.combine(day, time.min) + offset,
        changes,
        st.timedeltas(min_value=-HOUR, max_value=3 * HOUR),
    ),
)
