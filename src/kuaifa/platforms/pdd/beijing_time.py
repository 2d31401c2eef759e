"""PDD's time strings: ``yyyy-MM-dd HH:mm:ss`` in Beijing time (pdd-reference §2.2).

China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact and needs no tz database.
Kuaifa stores aware UTC datetimes; these functions are the only place the platform's local strings are read
or written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
PDD_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def parse_beijing(text: str | None) -> datetime | None:
    """A PDD time string as an aware UTC datetime; empty or missing means the event has not happened (None).

    Raises ValueError for anything that is not ``yyyy-MM-dd HH:mm:ss``.
    """
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise ValueError(f"expected a 'yyyy-MM-dd HH:mm:ss' string, got {type(text).__name__} {text!r}")
    # fromisoformat (C) is ~10× faster than strptime; the length and separator checks keep it to exactly
    # PDD's format (fromisoformat alone would also take offsets, fractions or a "T").
    if len(text) != 19 or text[10] != " ":
        raise ValueError(f"{text!r} is not a 'yyyy-MM-dd HH:mm:ss' time")
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)  # half the cost of .replace(tzinfo=…)


def format_beijing(moment: datetime | float) -> str:
    """An aware datetime or epoch seconds as PDD writes times: Beijing wall time, seconds precision."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("a naive datetime has no defined Beijing time; pass an aware datetime")
        local = moment.astimezone(BEIJING)
    else:
        local = datetime.fromtimestamp(int(moment), BEIJING)
    return local.strftime(PDD_TIME_FORMAT)


def epoch_seconds(moment: datetime | float) -> int:
    """Epoch seconds, as the gateway's ``*_updated_at`` / ``*_confirm_at`` window parameters expect."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("a naive datetime is ambiguous as a PDD window bound; pass an aware datetime")
        return int(moment.timestamp())
    return int(moment)
