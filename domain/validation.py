"""Input violations: every broken rule of one input, reported together as one error."""

from __future__ import annotations

from dataclasses import asdict, dataclass

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
