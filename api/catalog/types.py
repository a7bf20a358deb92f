"""Catalog types: Track, Artist, AudioFeatures, Genre and the track connection."""

from __future__ import annotations

import strawberry
from strawberry import Info

from api.accounts.viewer import viewer
from api.context import Context
from api.pagination import Connection, decode_cursor, encode_cursor, page_size
from api.playlists.loaders import rating_loader
from domain.catalog import queries as catalog
from domain.catalog import tables
from domain.catalog.search import check_search
from domain.errors import NotFound


@strawberry.type
class AudioFeatures:
    danceability: float
    energy: float
    key: int
    loudness: float
    mode: int
    speechiness: float
    acousticness: float
    instrumentalness: float
    liveness: float
    valence: float
    tempo: float
    time_signature: int
    pca_x: float | None
    pca_y: float | None
    gmm_cluster: int | None

    @classmethod
    def from_model(cls, row: tables.AudioFeatures) -> AudioFeatures:
        return cls(**{name: getattr(row, name) for name in cls.__annotations__})


@strawberry.type
class Artist:
    db_id: strawberry.Private[int]
    id: strawberry.ID
    spotify_id: str
    name: str
    genres: list[str]
    popularity: int | None
    followers: int | None

    @classmethod
    def from_model(cls, row: tables.Artist) -> Artist:
        return cls(
            db_id=row.id, id=strawberry.ID(str(row.id)), spotify_id=row.spotify_id, name=row.name,
            genres=list(row.genres or []), popularity=row.popularity, followers=row.followers,
        )

    @strawberry.field(description="This artist's tracks, most popular first.")
    async def tracks(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[Track]:
        return await track_connection(info, first=first, after=after, artist=self.db_id)


@strawberry.type
class Track:
    db_id: strawberry.Private[int]
    id: strawberry.ID
    spotify_id: str
    name: str
    album: str | None
    release_date: str | None
    popularity: int
    duration_ms: int | None
    explicit: bool
    preview_url: str | None
    spotify_uri: str | None

    @classmethod
    def from_model(cls, row: tables.Track) -> Track:
        return cls(
            db_id=row.id, id=strawberry.ID(str(row.id)), spotify_id=row.spotify_id, name=row.name,
            album=row.album, release_date=row.release_date, popularity=row.popularity,
            duration_ms=row.duration_ms, explicit=row.explicit, preview_url=row.preview_url,
            spotify_uri=row.spotify_uri,
        )

    @strawberry.field(description="Credited artists, in order.")
    async def artists(self, info: Info[Context, None]) -> list[Artist]:
        rows = await info.context.loaders.artists_by_track.load(self.db_id)
        return [Artist.from_model(a) for a in rows]

    @strawberry.field(description="Every genre the track is listed under, primary first.")
    async def genres(self, info: Info[Context, None]) -> list[str]:
        return await info.context.loaders.genres_by_track.load(self.db_id)

    @strawberry.field(description="The primary genre.")
    async def primary_genre(self, info: Info[Context, None]) -> str | None:
        genres = await info.context.loaders.genres_by_track.load(self.db_id)
        return genres[0] if genres else None

    @strawberry.field(description=(
        "The signed-in user's rating (0–5) when the track is in one of their playlists (the latest "
        "added, if in several); null otherwise and for anonymous callers."
    ))
    async def my_rating(self, info: Info[Context, None]) -> int | None:
        user = await viewer(info)
        return await rating_loader(info, user.id).load(self.db_id) if user is not None else None

    @strawberry.field(description="Spotify audio features; null when Spotify did not provide them.")
    async def audio_features(self, info: Info[Context, None]) -> AudioFeatures | None:
        row = await info.context.loaders.features_by_track.load(self.db_id)
        return AudioFeatures.from_model(row) if row else None


@strawberry.type
class GenreCount:
    name: str
    track_count: int


async def track_connection(
    info: Info[Context, None],
    *,
    first: int | None,
    after: str | None,
    search: str | None = None,
    genre: str | None = None,
    artist: int | None = None,
) -> Connection[Track]:
    """A page of tracks (most popular first) as a Relay connection."""
    ctx = info.context
    limit = page_size(first, ctx.settings.api.default_page_size, ctx.settings.api.max_page_size)
    key = decode_cursor(after, (int, int)) if after else None
    if search:
        check_search(search, max_words=ctx.settings.api.max_search_words, max_length=ctx.settings.api.max_search_length)
    genre_id = None
    if genre is not None:
        genre_id = await ctx.run(catalog.genre_id, genre)
        if genre_id is None:
            raise NotFound(f"Unknown genre {genre!r}; see the genres query", argument="genre")
    filters = {"search": search, "genre": genre_id, "artist": artist}
    page = await ctx.run(lambda s: catalog.list_tracks(s, limit=limit, after=key, **filters))
    for row in page.tracks:
        ctx.loaders.track.prime(row.id, row)

    async def count() -> int:
        return await ctx.run(lambda s: catalog.count_tracks(s, **filters))

    return Connection.of([Track.from_model(t) for t in page.tracks], [encode_cursor(*k) for k in page.keys],
                         has_next=page.has_next, has_previous=key is not None, count=count)
