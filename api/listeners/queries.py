"""similarUsers: the signed-in listener's most similar listeners (stored daily by jobs.similar_users)."""

from __future__ import annotations

import strawberry
from strawberry import Info

from api.accounts.viewer import require_viewer
from api.context import Context
from domain.errors import BadUserInput
from domain.listeners.queries import similar_users

MAX_K = 50
SHARED_ARTISTS = 3


@strawberry.type(description="Another listener's public profile.")
class PublicUser:
    id: strawberry.ID
    nickname: str


@strawberry.type
class SimilarUser:
    user: PublicUser
    similarity: float = strawberry.field(description="Cosine of your and their play counts (0..1].")
    shared_artists: list[str] = strawberry.field(description=(
        f"Up to {SHARED_ARTISTS} artists both of you played in the window, most played together first."))


@strawberry.type
class ListenerQuery:
    @strawberry.field(description=(
        f"The signed-in listener's `k` (1..{MAX_K}) most similar listeners, best first: cosine over the "
        "play counts of the recent window, computed daily. Empty before the first run of the job, or "
        "for a listener without plays in the window."
    ))
    async def similar_users(self, info: Info[Context, None], k: int = 10) -> list[SimilarUser]:
        user = await require_viewer(info)
        if not 1 <= k <= MAX_K:
            raise BadUserInput(f"`k` must be between 1 and {MAX_K}", argument="k")
        window = info.context.settings.listeners.similar_users_window_days
        neighbours = await info.context.run(
            lambda session: similar_users(session.connection(), user.id, k, window_days=window,
                                          shared=SHARED_ARTISTS))
        return [SimilarUser(user=PublicUser(id=strawberry.ID(str(n.user_id)), nickname=n.nickname),
                            similarity=n.similarity, shared_artists=n.shared_artists) for n in neighbours]
