"""Input violations (every broken rule of one input, reported together as one error) and the
shape rules of ids and dates."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from domain.errors import BadUserInput


@dataclass(frozen=True)
class Violation:
    """One broken rule: the input field (GraphQL name), a stable rule name and a message."""

    field: str
    rule: str
    message: str
    index: int | None = None  # the position in a list input (batches)

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


class InvalidInput(BadUserInput):
    """``BAD_USER_INPUT`` carrying every violation in ``extensions.violations``."""

    def __init__(self, summary: str, violations: list[Violation]) -> None:
        self.violations = violations
        details = "; ".join(f"{v.field}: {v.message}" for v in violations)
        super().__init__(f"{summary}: {details}", violations=[v.as_dict() for v in violations])


def check(summary: str, violations: list[Violation]) -> None:
    """Raise :class:`InvalidInput` when ``violations`` is not empty."""
    if violations:
        raise InvalidInput(summary, violations)


# Numeric ids are written within 64 bits (the id rule). The id columns clients name (tracks,
# artists, playlists) are INTEGER, 32 bits on PostgreSQL: a bigger number names no row on either
# backend, and no cursor holds one.
MAX_ID_NUMBER = 2**63 - 1
MAX_DB_ID = 2**31 - 1
# The ids a client may name: database ids, Spotify ids (22 characters), job ids (UUIDs).
MAX_ID_LENGTH = 64
# Accepted dates leave a wide margin to the ends of Python's calendar (years 1 and 9999), so
# no window, week or time-zone arithmetic on an accepted date can overflow.
EARLIEST_DATE = date(1000, 1, 1)
LATEST_DATE = date(8999, 12, 31)


def _number(text: str) -> int | None:
    """The number ``text`` spells in ASCII digits within 64 bits, or None."""
    if text.isascii() and text.isdigit() and len(text.lstrip("0")) <= len(str(MAX_ID_NUMBER)):
        value = int(text)
        return value if value <= MAX_ID_NUMBER else None
    return None


def db_id(text: str) -> int | None:
    """The database id ``text`` spells, or None (also for a number above every row's id)."""
    value = _number(text)
    return value if value is not None and value <= MAX_DB_ID else None


def check_id(text: str, argument: str | None = None) -> str:
    """``text`` when it can name something, else ``BAD_USER_INPUT``: ids are ASCII, short, and
    a numeric id fits in 64 bits."""
    details = {"argument": argument} if argument else {}
    if len(text) > MAX_ID_LENGTH or not text.isascii():
        raise BadUserInput(f"Malformed id {text[:MAX_ID_LENGTH]!r}: ids are at most {MAX_ID_LENGTH} ASCII characters",
                           **details)
    if text.isdigit() and _number(text) is None:
        raise BadUserInput(f"Malformed id {text!r}: numeric ids are at most {MAX_ID_NUMBER}", **details)
    return text


def check_calendar_date(value: date) -> None:
    """``BAD_USER_INPUT`` for a date (or datetime) outside ``EARLIEST_DATE``..``LATEST_DATE``."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise BadUserInput(f"Dates must be between {EARLIEST_DATE} and {LATEST_DATE}, got {value.isoformat()}")
