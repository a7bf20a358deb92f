"""Password rules (Django's default validators) and argon2id hashing.

Django is used only for ``django.contrib.auth.password_validation``; it is configured with
the bare minimum (no apps, no translation) the first time a password is checked.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from domain.settings import AuthSettings
from domain.validation import Violation

# A stored hash starting with "!" never verifies (as in Django): accounts created in bulk (the
# demo data) exist without a password, and cost no argon2 work to create.
UNUSABLE_PREFIX = "!"
UNUSABLE_PASSWORD = UNUSABLE_PREFIX + "unusable"

# Django's default AUTH_PASSWORD_VALIDATORS, compared against the account's nickname and name.
_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("nickname", "name")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


@functools.cache
def _validators() -> list:
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)
    from django.contrib.auth.password_validation import get_password_validators

    return get_password_validators(_VALIDATORS)


class _Fields:
    """The ``_meta`` Django's similarity validator asks for the label of a field."""

    def get_field(self, name: str):
        from django.core.exceptions import FieldDoesNotExist

        raise FieldDoesNotExist(name)


class _Owner:
    """The would-be account, as Django's similarity validator sees it."""

    _meta = _Fields()

    def __init__(self, nickname: str, name: str) -> None:
        self.nickname = nickname
        self.name = name


def password_violations(password: str, nickname: str, name: str) -> list[Violation]:
    """Every password rule ``password`` breaks; the rule is Django's code, e.g. ``TOO_SHORT``."""
    from django.core.exceptions import ValidationError

    violations = []
    for validator in _validators():
        try:
            validator.validate(password, _Owner(nickname, name))
        except ValidationError as error:
            for item in error.error_list:
                rule = (item.code or "invalid").removeprefix("password_").upper()
                violations.extend(Violation("password", rule, message) for message in item.messages)
    return violations


@functools.cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID)


def password_hasher(auth: AuthSettings) -> PasswordHasher:
    """The argon2id hasher for the configured cost."""
    return _hasher(auth.argon2_time_cost, auth.argon2_memory_cost_kib, auth.argon2_parallelism)


def hash_password(password: str, auth: AuthSettings) -> str:
    """An argon2id hash of ``password`` (salted, with its parameters encoded)."""
    return password_hasher(auth).hash(password)


@functools.cache
def _decoy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("decoy password for unknown accounts")


def verify_password(stored: str | None, password: str, auth: AuthSettings) -> bool:
    """Whether ``password`` matches ``stored``; unknown accounts and unusable hashes never do.

    Those still cost one verification, so response times do not tell which nicknames exist.
    """
    hasher = password_hasher(auth)
    usable = stored is not None and not stored.startswith(UNUSABLE_PREFIX)
    try:
        return hasher.verify(stored if usable else _decoy_hash(hasher), password) and usable
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str, auth: AuthSettings) -> bool:
    """Whether ``stored`` was made with other parameters than the configured ones."""
    return password_hasher(auth).check_needs_rehash(stored)
