"""Relay-style cursor pagination helpers (keyset cursors, validated page sizes)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from domain.errors import BadUserInput


def encode_cursor(*values: Any) -> str:
    """An opaque cursor for a row's sort key."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


def decode_cursor(cursor: str, types: tuple[type, ...]) -> tuple[Any, ...]:
    """The sort key inside ``cursor``; a malformed cursor is a ``BAD_USER_INPUT`` error."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong arity")
        if not all(type(v) is t for v, t in zip(values, types, strict=True)):
            raise ValueError("wrong types")
        return tuple(values)
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise BadUserInput("Malformed cursor: pass an endCursor from a previous page", argument="after") from exc


def page_size(first: int | None, default: int, maximum: int) -> int:
    """Validate ``first``: 1..maximum, defaulting to ``default``."""
    if first is None:
        return default
    if first < 1 or first > maximum:
        raise BadUserInput(f"first must be between 1 and {maximum}, got {first}", argument="first")
    return first
