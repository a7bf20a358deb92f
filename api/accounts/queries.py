"""Account queries: me."""

from __future__ import annotations

import strawberry
from strawberry import Info

from api.accounts.permissions import IsAuthenticated
from api.accounts.types import User
from api.accounts.viewer import require_viewer
from api.context import Context


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in user.", permission_classes=[IsAuthenticated])
    async def me(self, info: Info[Context, None]) -> User:
        return User.from_model(await require_viewer(info))
