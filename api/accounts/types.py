"""Account types: User, Gender and the AuthPayload of signUp/logIn."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain.accounts import tables
from domain.accounts import users as accounts
from domain.accounts.age_groups import age_group as decade_of_age
from domain.columns import utcnow

Gender = strawberry.enum(accounts.Gender, description="A user's gender.")


@strawberry.type
class User:
    id: strawberry.ID
    nickname: str
    name: str
    birth_date: date
    gender: Gender
    is_admin: bool
    created_at: datetime
    time_zone: str = strawberry.field(description=(
        "IANA time zone name (default UTC): the days and hours of myListening (setTimeZone)."))

    @classmethod
    def from_model(cls, row: tables.User) -> User:
        return cls(id=strawberry.ID(str(row.id)), nickname=row.nickname, name=row.name,
                   birth_date=row.birth_date, gender=Gender(row.gender), is_admin=row.is_admin,
                   created_at=row.created_at, time_zone=row.time_zone)

    @strawberry.field(description="Decade of age today (UTC): 10 (teens and younger), 20, 30, …")
    def age_group(self) -> int:
        return decade_of_age(self.birth_date, utcnow().date())


@strawberry.type
class AuthPayload:
    token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime
    user: User
