"""Accounts, tokens and playlists."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from domain.columns import UTCDateTime, utcnow


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    id: int | None = Field(default=None, primary_key=True)
    nickname: str = Field(max_length=150, unique=True)
    name: str = Field(max_length=150)
    birth_date: date
    gender: str = Field(max_length=10)  # FEMALE | MALE | OTHER
    password_hash: str = Field(max_length=255)
    is_admin: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # IANA zone name; the listening statistics count days and hours in it
    time_zone: str = Field(default="UTC", max_length=64, sa_column_kwargs={"server_default": "UTC"})


class AuthToken(SQLModel, table=True):
    """A bearer token; only its hash is stored, so a database leak reveals no tokens."""

    __tablename__ = "auth_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginFailure(SQLModel, table=True):
    """A failed log-in, kept for throttling per nickname and per client address."""

    __tablename__ = "login_failure"
    id: int | None = Field(default=None, primary_key=True)
    nickname: str = Field(max_length=150, index=True)
    client: str = Field(max_length=100, index=True)
    failed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


