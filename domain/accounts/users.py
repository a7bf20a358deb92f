"""Creating accounts (sign-up rules) and logging in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from domain.accounts.passwords import hash_password, needs_rehash, password_violations, verify_password
from domain.accounts.tables import User
from domain.accounts.throttling import clear_failures, reserve_attempt
from domain.accounts.tokens import create_token
from domain.columns import utcnow
from domain.playlists.tables import Playlist
from domain.settings import AuthSettings
from domain.validation import Violation, check

NICKNAME = re.compile(r"[A-Za-z0-9_.-]{3,30}")
MAX_NAME_LENGTH = 150
MAX_AGE_YEARS = 120
DEFAULT_PLAYLIST_NAME = "My playlist"
CANNOT_CREATE = "Cannot create the account"


class Gender(str, Enum):
    FEMALE = "FEMALE"
    MALE = "MALE"
    OTHER = "OTHER"


@dataclass(frozen=True)
class NewAccount:
    nickname: str
    name: str
    birth_date: date
    gender: str
    password: str
    is_admin: bool = False


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _taken(nickname: str) -> Violation:
    return Violation("nickname", "TAKEN", f"The nickname {nickname!r} is taken.")


def nickname_taken(session: Session, nickname: str) -> bool:
    """Whether an account already uses ``nickname``."""
    return session.exec(select(User.id).where(User.nickname == nickname)).first() is not None


def account_violations(session: Session, account: NewAccount, today: date) -> list[Violation]:
    """Every rule the new account breaks (nickname, name, birth date, gender, password)."""
    found = []
    if not NICKNAME.fullmatch(account.nickname):
        found.append(Violation("nickname", "FORMAT",
                               "Use 3 to 30 letters, digits, '.', '_' or '-' for the nickname."))
    elif nickname_taken(session, account.nickname):
        found.append(_taken(account.nickname))
    if not account.name.strip():
        found.append(Violation("name", "REQUIRED", "The name must not be empty."))
    elif len(account.name) > MAX_NAME_LENGTH or not account.name.isprintable():
        found.append(Violation("name", "FORMAT",
                               f"The name must be at most {MAX_NAME_LENGTH} printable characters."))
    if account.birth_date > today:
        found.append(Violation("birthDate", "IN_FUTURE", "The birth date must not be in the future."))
    elif account.birth_date < _years_before(today, MAX_AGE_YEARS):
        found.append(Violation("birthDate", "IMPLAUSIBLE",
                               f"The birth date must be within the last {MAX_AGE_YEARS} years."))
    if account.gender not in Gender.__members__:
        found.append(Violation("gender", "UNKNOWN", f"The gender must be one of {', '.join(Gender.__members__)}."))
    found.extend(password_violations(account.password, account.nickname, account.name))
    return found


def create_account(session: Session, account: NewAccount, auth: AuthSettings) -> User:
    """Validate and store a new account with its default playlist (``InvalidInput`` if invalid)."""
    account = NewAccount(**{**account.__dict__, "name": account.name.strip()})
    check(CANNOT_CREATE, account_violations(session, account, utcnow().date()))
    user = User(nickname=account.nickname, name=account.name, birth_date=account.birth_date,
                gender=account.gender, password_hash=hash_password(account.password, auth),
                is_admin=account.is_admin)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # a concurrent sign-up took the nickname since the check
        session.rollback()
        check(CANNOT_CREATE, [_taken(account.nickname)])
    session.add(Playlist(user_id=user.id, name=DEFAULT_PLAYLIST_NAME, is_default=True))
    return user


@dataclass
class LogIn:
    """The outcome of a log-in: a user and a token, or neither (and maybe a wait)."""

    user: User | None = None
    token: str | None = None
    expires_at: datetime | None = None
    retry_after: int | None = None


def _signed_in(session: Session, user: User, auth: AuthSettings) -> LogIn:
    token, row = create_token(session, user.id, auth.token_ttl)
    return LogIn(user=user, token=token, expires_at=row.expires_at)


def sign_up(session: Session, account: NewAccount, auth: AuthSettings) -> LogIn:
    """Create the account and sign it in."""
    return _signed_in(session, create_account(session, account, auth), auth)


def log_in(session: Session, nickname: str, password: str, client: str, auth: AuthSettings) -> LogIn:
    """Check the password (unless throttled), count failures, and issue a token on success.

    Commits the session once before checking the password (see :func:`reserve_attempt`).
    """
    wait = reserve_attempt(session, nickname, client, auth, utcnow())
    if wait is not None:
        return LogIn(retry_after=wait)
    user = session.exec(select(User).where(User.nickname == nickname)).first()
    if not verify_password(user.password_hash if user else None, password, auth):
        return LogIn()  # the attempt stays counted
    if needs_rehash(user.password_hash, auth):
        user.password_hash = hash_password(password, auth)
        session.add(user)
    clear_failures(session, nickname)  # this attempt's row too
    return _signed_in(session, user, auth)


def set_password(session: Session, user: User, password: str, auth: AuthSettings) -> None:
    """Give ``user`` a new password (validated like at sign-up)."""
    check("Cannot set the password", password_violations(password, user.nickname, user.name))
    user.password_hash = hash_password(password, auth)
    session.add(user)

