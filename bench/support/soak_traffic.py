"""The soak benchmark's traffic: locust users that browse anonymously or sign in and listen.

Every request is a GraphQL POST named by its operation; a non-200 answer, a body without
``data`` or with ``errors`` is a failure (none of these operations expects one).
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

from support.documents import RECOMMENDATIONS

TRACK_FIELDS = "id name popularity artists { name } genres"

SEARCH = (f"query Search($q: String!) {{ tracks(search: $q, first: 20) "
          f"{{ totalCount edges {{ node {{ {TRACK_FIELDS} }} }} }} }}")
BROWSE = (f"query Browse($genre: String!, $after: String) {{ tracks(genre: $genre, first: 20, after: $after) "
          f"{{ edges {{ cursor node {{ {TRACK_FIELDS} }} }} pageInfo {{ endCursor hasNextPage }} }} }}")
TRACK_PAGE = (f"query TrackPage($id: ID!) {{ track(id: $id) {{ {TRACK_FIELDS} album releaseDate durationMs myRating "
              "audioFeatures { danceability energy valence tempo gmmCluster } } }")
CATALOG_PAGE = "query($g: String!) { tracks(genre: $g, first: 100) { edges { node { id name artists { name } } } } }"
GENRES = "query Genres { genres { name trackCount } }"
CHART = ("query Chart($kind: ChartKind!, $at: DateTime) { chart(kind: $kind, at: $at, first: 50) "
         "{ windowStart entries { rank plays track { id name artists { name } } } } }")
LOG_IN = ("mutation LogIn($nickname: String!, $password: String!) "
          "{ logIn(nickname: $nickname, password: $password) { token user { id nickname } } }")
SIMILAR = ("query Similar($id: ID!) { similarTracks(trackId: $id, k: 10) "
           "{ score engine track { id name artists { name } } } }")
MY_STATS = ("query MyStats($from: Date!, $to: Date!) { myStats(from: $from, to: $to) { plays daysActive "
            "topTracks { plays track { name } } topArtists { plays artist { name } } topGenres { genre plays } "
            "playsPerWeekday playsPerHour } }")
RECORD_PLAY = ("mutation RecordPlay($id: ID!, $source: String) "
               "{ recordPlay(trackId: $id, source: $source) { id playedAt } }")
ADD = ("mutation AddToPlaylist($id: ID!, $rating: Int!) { addToPlaylist(trackId: $id, rating: $rating) "
       "{ id items(first: 20) { totalCount edges { node { rating track { id name } } } } } }")
REMOVE = "mutation RemoveFromPlaylist($id: ID!) { removeFromPlaylist(trackId: $id) { id items(first: 20) { totalCount } } }"
MY_PLAYLISTS = ("query MyPlaylists { myPlaylists { edges { node { id name isDefault "
                "items(first: 20) { totalCount edges { node { rating track { id name } } } } } } } }")


@dataclass
class Catalog:
    """What the clients pick from: track ids, search words, genres, and the logins to use."""

    track_ids: list[str]
    search_words: list[str]
    genres: list[str]
    logins: list[tuple[str, str]] = field(default_factory=list)


def catalog_sample(post, logins: list[tuple[str, str]]) -> Catalog:
    """Read genres and up to 100 tracks per genre through the API; ``post(query, variables)`` -> body."""
    genres = [g["name"] for g in post(GENRES, {})["data"]["genres"]]
    ids, words = [], set()
    for genre in genres:
        body = post(CATALOG_PAGE, {"g": genre})
        for edge in body["data"]["tracks"]["edges"]:
            node = edge["node"]
            ids.append(node["id"])
            names = [node["name"], *(a["name"] for a in node["artists"])]
            words.update(w.lower() for name in names for w in name.split() if w.isalnum() and len(w) > 2)
    return Catalog(track_ids=ids, search_words=sorted(words), genres=genres, logins=logins)


class GraphQLUser(FastHttpUser):
    """A client of ``/graphql`` that fails any answer carrying errors."""

    abstract = True
    catalog: Catalog  # set by the benchmark before the run
    wait_time = between(0.1, 0.5)

    token: str | None = None

    def gql(self, name: str, query: str, variables: dict | None = None) -> dict | None:
        """POST one operation; returns ``data`` or None when the request failed."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        payload = json.dumps({"query": query, "variables": variables or {}})
        headers["Content-Type"] = "application/json"
        with self.client.post("/graphql", data=payload, headers=headers, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:300]}")
                return None
            try:
                body = response.json()
            except ValueError:
                response.failure(f"not JSON: {(response.text or '')[:300]}")
                return None
            if body.get("errors") or body.get("data") is None:
                response.failure("GraphQL errors: " + json.dumps(body.get("errors"))[:500])
                return None
            return body["data"]

    def any_track(self) -> str:
        return random.choice(self.catalog.track_ids)


class Browser(GraphQLUser):
    """An anonymous visitor: search, genre pages, track pages, charts."""

    @task(4)
    def search(self) -> None:
        words = random.sample(self.catalog.search_words, random.choice((1, 1, 2)))
        # Half the time the visitor is still typing: a prefix of the last word.
        if random.random() < 0.5 and len(words[-1]) > 3:
            words[-1] = words[-1][: random.randint(3, len(words[-1]) - 1)]
        self.gql("tracks(search)", SEARCH, {"q": " ".join(words)})

    @task(3)
    def browse_genre(self) -> None:
        genre, after = random.choice(self.catalog.genres), None
        for _ in range(random.choice((1, 1, 2, 3))):  # sometimes the next pages
            data = self.gql("tracks(genre)", BROWSE, {"genre": genre, "after": after})
            if not data or not data["tracks"]["pageInfo"]["hasNextPage"]:
                return
            after = data["tracks"]["pageInfo"]["endCursor"]

    @task(4)
    def track_page(self) -> None:
        self.gql("track", TRACK_PAGE, {"id": self.any_track()})

    @task(2)
    def realtime_chart(self) -> None:
        self.gql("chart(REALTIME)", CHART, {"kind": "REALTIME"})

    @task(1)
    def hourly_chart(self) -> None:
        at = datetime.now(UTC) - timedelta(hours=random.randint(1, 72))
        self.gql("chart(HOURLY)", CHART, {"kind": "HOURLY", "at": at.isoformat()})

    @task(1)
    def genres(self) -> None:
        self.gql("genres", GENRES)


class Listener(GraphQLUser):
    """A signed-in listener (a demo login): recommendations, plays, playlists, ratings, stats."""

    started = itertools.count()

    def on_start(self) -> None:
        # Clients take the demo logins in turn, like one account signed in on several devices.
        nickname, password = self.catalog.logins[next(self.started) % len(self.catalog.logins)]
        data = self.gql("logIn", LOG_IN, {"nickname": nickname, "password": password})
        self.token = data["logIn"]["token"] if data else None
        self.recommended: list[str] = []
        self.mix_id = "default"
        self.in_playlist: list[str] = []

    @task(4)
    def recommendations(self) -> None:
        data = self.gql("recommendations", RECOMMENDATIONS)
        if data:
            self.mix_id = data["recommendations"]["mixId"]
            self.recommended = [item["track"]["id"] for item in data["recommendations"]["items"]]

    @task(3)
    def play_recommended(self) -> None:
        if self.recommended:
            self.gql("recordPlay", RECORD_PLAY, {"id": random.choice(self.recommended),
                                                 "source": f"recommendation:{self.mix_id}"})

    @task(2)
    def play_from_track_page(self) -> None:
        self.gql("recordPlay", RECORD_PLAY, {"id": self.any_track(), "source": "track_page"})

    @task(3)
    def similar_tracks(self) -> None:
        seed = random.choice(self.recommended) if self.recommended and random.random() < 0.5 else self.any_track()
        self.gql("similarTracks", SIMILAR, {"id": seed})

    @task(1)
    def my_stats(self) -> None:
        today = datetime.now(UTC).date()
        self.gql("myStats", MY_STATS, {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()})

    @task(2)
    def add_to_playlist(self) -> None:
        track = random.choice(self.recommended) if self.recommended else self.any_track()
        if self.gql("addToPlaylist", ADD, {"id": track, "rating": random.randint(3, 5)}) and track not in self.in_playlist:
            self.in_playlist.append(track)

    @task(1)
    def rate(self) -> None:
        if self.in_playlist:  # a new rating for a track already in the playlist
            self.gql("addToPlaylist(rate)", ADD, {"id": random.choice(self.in_playlist), "rating": random.randint(0, 5)})

    @task(1)
    def remove_from_playlist(self) -> None:
        if len(self.in_playlist) > 5:
            track = self.in_playlist.pop(random.randrange(len(self.in_playlist)))
            self.gql("removeFromPlaylist", REMOVE, {"id": track})

    @task(1)
    def my_playlists(self) -> None:
        self.gql("myPlaylists", MY_PLAYLISTS)
