"""The radio query: a listenable sequence of tracks similar to a seed track or artist."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry import Info

from api.accounts.viewer import require_viewer
from api.catalog.types import Artist, Track
from api.context import Context
from api.recommendations.queries import MAX_K
from domain.errors import BadUserInput, NotFound
from domain.experiments.impressions import log_impressions
from domain.recommendations.radio import Radio, artist_seed_tracks, left_out, radio, seed_track
from domain.validation import check_id, db_id


@strawberry.enum(description="How far a radio reaches from its seed.")
class Adventurousness(Enum):
    LOW = "LOW"  # nearest neighbours, the seed's genre favoured
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"  # more candidates and their neighbours, other genres favoured, one track of the seed's artist


@strawberry.type
class RadioItem:
    track: Track
    score: float = strawberry.field(description="Similarity to the seed on the engine's scale (1 for the seed).")
    reason: str
    engine: str = strawberry.field(description='The engine that found the track ("seed" for the seed).')


@strawberry.type
class RadioList:
    mix_id: str = strawberry.field(
        description='"radio:<level>"; put "recommendation:<mixId>" in recordPlay\'s source when one is played.')
    seed_track: Track = strawberry.field(description="The track the radio starts with (an artist's most popular).")
    seed_artist: Artist | None
    items: list[RadioItem] = strawberry.field(description="In listening order, starting with the seed track.")


def _seed_number(value: strawberry.ID, argument: str) -> int:
    text = check_id(str(value), argument)
    number = db_id(text) if text.isdigit() else None
    if number is None:
        raise NotFound(f"No {argument.removeprefix('seed').removesuffix('Id').lower()} with id {text!r}",
                       argument=argument)
    return number


@strawberry.type
class RadioQuery:
    @strawberry.field(description="A radio for the signed-in user: tracks similar to one seed (a track or an "
                      "artist), ordered so tempo and energy change smoothly, no artist twice in 3 tracks.")
    async def radio(
        self,
        info: Info[Context, None],
        seed_track_id: strawberry.ID | None = None,
        seed_artist_id: strawberry.ID | None = None,
        k: int = 25,
        adventurous: Adventurousness = Adventurousness.MEDIUM,
    ) -> RadioList:
        user = await require_viewer(info)
        if not 1 <= k <= MAX_K:
            raise BadUserInput(f"k must be between 1 and {MAX_K}, got {k}", argument="k")
        if (seed_track_id is None) == (seed_artist_id is None):
            raise BadUserInput("Give exactly one of seedTrackId and seedArtistId",
                               argument="seedTrackId" if seed_track_id is not None else "seedArtistId")
        artist = _seed_number(seed_artist_id, "seedArtistId") if seed_artist_id is not None else None
        track = _seed_number(seed_track_id, "seedTrackId") if seed_track_id is not None else None
        service = info.context.recommender
        settings = info.context.settings.recommenders

        def build(session) -> Radio:
            seeds = artist_seed_tracks(session, artist) if artist is not None else seed_track(session, track)
            return radio(session, service, seeds, adventurous.value, k, left_out(session, user, settings))

        answer = await info.context.run(build)
        tracks = await info.context.loaders.track.load_many(answer.track_ids)
        log_impressions(info.context.impressions, user.id, answer.mix_id, [t.id for t in tracks if t], "radio")
        seed_artist = await info.context.loaders.artist.load(artist) if artist is not None else None
        items = [RadioItem(track=Track.from_model(row), score=item.score, reason=item.reason, engine=item.engine)
                 for item, row in zip(answer.items, tracks, strict=True) if row is not None]
        return RadioList(mix_id=answer.mix_id, seed_track=items[0].track, items=items,
                         seed_artist=Artist.from_model(seed_artist) if seed_artist is not None else None)
