"""Account mutations: signUp, logIn, logOut, setTimeZone."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import Info

from api.accounts.permissions import IsAuthenticated
from api.accounts.types import AuthPayload, Gender, User
from api.accounts.viewer import bearer_token, client_address, require_viewer
from api.context import Context
from domain.accounts import tokens
from domain.accounts import users as accounts
from domain.errors import RateLimited, Unauthenticated
from domain.stats.rollups import set_time_zone


def _payload(outcome: accounts.LogIn) -> AuthPayload:
    return AuthPayload(token=outcome.token, expires_at=outcome.expires_at, user=User.from_model(outcome.user))


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description=(
        "Create an account (with its default playlist) and sign in. Every broken rule is listed in "
        "the error's `extensions.violations` as `{field, rule, message}`; the password rules are "
        "Django's: TOO_SHORT (under 8 characters), ENTIRELY_NUMERIC, TOO_COMMON, TOO_SIMILAR "
        "(to the nickname or name)."
    ))
    async def sign_up(self, info: Info[Context, None], nickname: str, name: str, birth_date: date, gender: Gender,
                      password: str) -> AuthPayload:
        account = accounts.NewAccount(nickname=nickname, name=name, birth_date=birth_date,
                                      gender=gender.value, password=password)
        return _payload(await info.context.run(accounts.sign_up, account, info.context.settings.auth))

    @strawberry.mutation(description=(
        "Sign in. After too many failures for a nickname or from one address the answer is "
        "RATE_LIMITED (with `extensions.retryAfterSeconds`) until the window has passed."
    ))
    async def log_in(self, info: Info[Context, None], nickname: str, password: str) -> AuthPayload:
        auth = info.context.settings.auth
        client = client_address(info.context.request)
        outcome = await info.context.run(accounts.log_in, nickname, password, client, auth)
        if outcome.retry_after is not None:
            raise RateLimited("Too many failed log-ins; try again later",
                              retryAfterSeconds=outcome.retry_after)
        if outcome.user is None:
            raise Unauthenticated("Wrong nickname or password")
        return _payload(outcome)

    @strawberry.mutation(description="Revoke this request's token, or every token of the user with `everywhere`.",
                         permission_classes=[IsAuthenticated])
    async def log_out(self, info: Info[Context, None], everywhere: bool = False) -> bool:
        if everywhere:
            user = await require_viewer(info)
            await info.context.run(tokens.revoke_user_tokens, user.id)
        else:
            await info.context.run(tokens.revoke_token, bearer_token(info))
        return True

    @strawberry.mutation(description=(
        "Set the signed-in user's time zone (an IANA name such as 'Asia/Seoul'; unknown names are "
        "BAD_USER_INPUT). Their listening statistics are recounted in it at once."),
        permission_classes=[IsAuthenticated])
    async def set_time_zone(self, info: Info[Context, None], time_zone: str) -> User:
        user = await require_viewer(info)
        await info.context.run(lambda s: set_time_zone(s.connection(), user.id, time_zone))
        return User.from_model(user.model_copy(update={"time_zone": time_zone}))
