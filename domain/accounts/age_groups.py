"""Age groups (decades of age), the demographic key of recommendations and statistics."""

from __future__ import annotations

from datetime import date


def age_group(birth: date, today: date) -> int:
    """The decade of age on ``today`` (10 for teenagers and younger, 20 for 20–29, …)."""
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return max(10, age // 10 * 10)
