"""A small fake of the Spotify Web API, served on loopback for tests and ``hz45 demo --spotify-fake``.

It serves the endpoints the ingestion uses, from a deterministic in-memory catalogue: the token
endpoint (client credentials), search by genre, several tracks / artists / audio features, and
playlist items. Tests steer it: reject the credentials, revoke issued tokens or the whole app,
answer 403 on an endpoint (as audio features now do for new apps), return null audio features
for some ids, or answer the next request under a path with 429 and ``Retry-After``. Every
request is recorded.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from domain.settings import SpotifySettings

GENRES = tuple(SpotifySettings().genres)
TOP50_PLAYLIST_ID = SpotifySettings().top50_playlist_id
FAKE_CLIENT_ID = "fake-client-id"
FAKE_CLIENT_SECRET = "fake-client-secret"
_WORDS = ("Midnight", "Echo", "Summer", "Neon", "Rain", "Golden", "Heart", "City", "Dream", "Fire",
          "Ocean", "Blue", "Moon", "Star", "Road", "Light", "Shadow", "Wild", "Velvet", "Bloom")


@dataclass
class FakeCatalog:
    """What the fake serves: objects by Spotify id, search results per genre, playlists."""

    tracks: dict[str, dict] = field(default_factory=dict)
    artists: dict[str, dict] = field(default_factory=dict)
    audio_features: dict[str, dict] = field(default_factory=dict)
    genre_tracks: dict[str, list[str]] = field(default_factory=dict)
    playlists: dict[str, list[str]] = field(default_factory=dict)


def fake_id(kind: str, n: int) -> str:
    """A stable base-62 (hex) Spotify-like id."""
    return hashlib.sha1(f"{kind}:{n}".encode()).hexdigest()[:22]


def build_catalog(tracks_per_genre: int = 12, chart_only_tracks: int = 20, seed: int = 45) -> FakeCatalog:
    """A deterministic catalogue in the deck's ten genres and a "Top 50 — South Korea" playlist.

    Every fourth track of a genre is also listed under the next genre; the playlist holds
    ``chart_only_tracks`` tracks found under no genre plus the most popular genre tracks.
    """
    rng = random.Random(seed)
    catalog = FakeCatalog()

    def add_artist(genres: list[str]) -> dict:
        n = len(catalog.artists)
        artist = {
            "id": fake_id("artist", n), "type": "artist", "uri": f"spotify:artist:{fake_id('artist', n)}",
            "name": f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {n}", "genres": genres,
            "popularity": rng.randint(20, 95),
            "followers": {"href": None, "total": rng.randint(500, 9_000_000)},
            "images": [],
        }
        catalog.artists[artist["id"]] = artist
        return artist

    def add_track(artists: list[dict]) -> str:
        n = len(catalog.tracks)
        track_id = fake_id("track", n)
        simple = [{k: a[k] for k in ("id", "name", "type", "uri")} for a in artists]
        catalog.tracks[track_id] = {
            "id": track_id, "type": "track", "uri": f"spotify:track:{track_id}", "is_local": False,
            "name": f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}", "artists": simple,
            "album": {"id": fake_id("album", n), "name": f"{rng.choice(_WORDS)} Album",
                      "album_type": "single",
                      "release_date": f"{rng.randint(1995, 2024)}-{rng.randint(1, 12):02d}-"
                                      f"{rng.randint(1, 28):02d}",
                      "release_date_precision": "day", "artists": simple},
            "popularity": rng.randint(10, 100), "duration_ms": rng.randint(120_000, 300_000),
            "explicit": rng.random() < 0.1, "preview_url": None, "disc_number": 1, "track_number": 1,
        }
        catalog.audio_features[track_id] = {
            "id": track_id, "type": "audio_features", "uri": f"spotify:track:{track_id}",
            "danceability": round(rng.uniform(0.2, 0.95), 3), "energy": round(rng.uniform(0.1, 0.98), 3),
            "key": rng.randint(0, 11), "loudness": round(rng.uniform(-14.0, -3.0), 2),
            "mode": rng.randint(0, 1),
            "speechiness": round(rng.uniform(0.02, 0.3), 3), "acousticness": round(rng.uniform(0.0, 0.9), 3),
            "instrumentalness": round(rng.uniform(0.0, 0.4), 3), "liveness": round(rng.uniform(0.05, 0.4), 3),
            "valence": round(rng.uniform(0.1, 0.9), 3), "tempo": round(rng.uniform(80.0, 160.0), 3),
            "time_signature": 4, "duration_ms": catalog.tracks[track_id]["duration_ms"],
        }
        return track_id

    for genre in GENRES:
        artists = [add_artist([genre]) for _ in range(3)]
        catalog.genre_tracks[genre] = [add_track(rng.sample(artists, rng.choice((1, 1, 2))))
                                       for _ in range(tracks_per_genre)]
    own = {genre: list(ids) for genre, ids in catalog.genre_tracks.items()}
    for i, genre in enumerate(GENRES):
        catalog.genre_tracks[GENRES[(i + 1) % len(GENRES)]] += own[genre][::4]
    for genre, ids in catalog.genre_tracks.items():
        ids.sort(key=lambda t: -catalog.tracks[t]["popularity"])  # search ranks popular first

    chart_artists = [add_artist(["k-pop", "korean r&b"]) for _ in range(4)]
    chart = [add_track([rng.choice(chart_artists)]) for _ in range(chart_only_tracks)]
    listed = sorted({t for ids in catalog.genre_tracks.values() for t in ids},
                    key=lambda t: (-catalog.tracks[t]["popularity"], t))
    chart += listed[:max(0, 50 - len(chart))]
    rng.shuffle(chart)
    catalog.playlists[TOP50_PLAYLIST_ID] = chart
    return catalog


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    status: int
    at: float  # time.monotonic()


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status, headers=headers)


class FakeSpotify:
    """State and behaviour of the fake API; ``app`` is its Starlette application."""

    def __init__(self, catalog: FakeCatalog | None = None, *, client_id: str = FAKE_CLIENT_ID,
                 client_secret: str = FAKE_CLIENT_SECRET, max_page_size: int = 50) -> None:
        self.catalog = catalog or build_catalog()
        self.client_id, self.client_secret = client_id, client_secret
        self.base_url = ""
        self._default_page_size = max_page_size
        self._lock = threading.Lock()
        self.reset()
        routes = [Route("/api/token", self._token, methods=["POST"]),
                  Route("/v1/search", self._api(self._search)),
                  Route("/v1/playlists/{playlist_id}/items", self._api(self._playlist_items)),
                  Route("/v1/playlists/{playlist_id}/tracks", self._api(self._playlist_items))]
        for name, key, max_ids in (("tracks", "tracks", 50), ("artists", "artists", 50),
                                   ("audio-features", "audio_features", 100)):
            lookup = self._api(self._lookup_endpoint(name, key, max_ids))
            routes += [Route(f"/v1/{name}", lookup), Route(f"/v1/{name}/", lookup)]
        self.app = Starlette(routes=routes)

    # -- steering ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget issued tokens and recorded requests, and undo every steering setting."""
        with self._lock:
            self.max_page_size = self._default_page_size  # pages are never longer, whatever the limit
            self.reject_credentials = False
            self.forbidden: set[str] = set()  # endpoints answering 403: "audio-features", "artists", "tracks"
            self.null_features: set[str] = set()  # track ids whose audio features come back null
            self.requests: list[RecordedRequest] = []
            self._tokens: set[str] = set()
            self._throttles: list[tuple[str, int]] = []
            self._revoke_countdown: int | None = None

    def throttle(self, path_prefix: str, retry_after: int = 1) -> None:
        """Answer the next request whose path starts with ``path_prefix`` with 429."""
        with self._lock:
            self._throttles.append((path_prefix, retry_after))

    def revoke_tokens(self) -> None:
        """Invalidate every access token issued so far (the API then answers 401)."""
        with self._lock:
            self._tokens.clear()

    def revoke_access(self, after: int = 0) -> None:
        """After ``after`` more API requests, revoke the app: tokens answer 401, credentials are rejected."""
        with self._lock:
            self._revoke_countdown = after
        if after == 0:
            self._revoke_now()

    def _revoke_now(self) -> None:
        with self._lock:
            self._revoke_countdown = None
            self._tokens.clear()
            self.reject_credentials = True

    def _count_down_revocation(self) -> None:
        with self._lock:
            if self._revoke_countdown is None:
                return
            if self._revoke_countdown > 0:
                self._revoke_countdown -= 1
                return
        self._revoke_now()

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        """The recorded requests whose path starts with ``path_prefix``, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    @property
    def api_prefix(self) -> str:
        return f"{self.base_url}/v1/"

    @property
    def auth_url(self) -> str:
        return f"{self.base_url}/api/token"

    def settings_overrides(self) -> dict[str, str]:
        """Values for ``Settings.spotify`` that point the client at this fake."""
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "api_prefix": self.api_prefix, "auth_url": self.auth_url,
                "top50_playlist_id": TOP50_PLAYLIST_ID}

    # -- plumbing ---------------------------------------------------------------------------

    def _record(self, request: Request, status: int) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(request.method, request.url.path,
                                                 dict(request.query_params), status, time.monotonic()))

    def _take_throttle(self, path: str) -> int | None:
        with self._lock:
            for i, (prefix, retry_after) in enumerate(self._throttles):
                if path.startswith(prefix):
                    del self._throttles[i]
                    return retry_after
        return None

    def _api(self, handler: Callable[[Request], JSONResponse]) -> Callable:
        async def endpoint(request: Request) -> JSONResponse:
            self._count_down_revocation()
            retry_after = self._take_throttle(request.url.path)
            auth = request.headers.get("authorization", "")
            if retry_after is not None:
                response = _error(429, "API rate limit exceeded", {"Retry-After": str(retry_after)})
            elif not auth.startswith("Bearer "):
                response = _error(401, "No token provided")
            elif auth.removeprefix("Bearer ") not in self._tokens:
                response = _error(401, "The access token expired")
            else:
                try:
                    response = handler(request)
                except ValueError as exc:
                    response = _error(400, str(exc))
            self._record(request, response.status_code)
            return response
        return endpoint

    # -- endpoints --------------------------------------------------------------------------

    async def _token(self, request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if form.get("grant_type") != "client_credentials":
            response = JSONResponse({"error": "unsupported_grant_type"}, 400)
        elif self.reject_credentials or request.headers.get("authorization") != f"Basic {expected}":
            response = JSONResponse({"error": "invalid_client", "error_description": "Invalid client"}, 400)
        else:
            token = secrets.token_urlsafe(16)
            with self._lock:
                self._tokens.add(token)
            response = JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 3600})
        self._record(request, response.status_code)
        return response

    def _page(self, request: Request, ids: list[str], item: Callable[[str], Any], max_limit: int) -> dict:
        limit = int(request.query_params.get("limit", 20))
        offset = int(request.query_params.get("offset", 0))
        if not 1 <= limit <= max_limit or offset < 0:
            raise ValueError("Invalid limit or offset")
        size = min(limit, self.max_page_size)
        following = offset + size < len(ids)
        previous = max(0, offset - size)
        return {
            "href": str(request.url), "items": [item(i) for i in ids[offset:offset + size]],
            "limit": size, "offset": offset, "total": len(ids),
            "next": str(request.url.include_query_params(offset=offset + size)) if following else None,
            "previous": str(request.url.include_query_params(offset=previous)) if offset else None,
        }

    def _search(self, request: Request) -> JSONResponse:
        if "track" not in request.query_params.get("type", "").split(","):
            raise ValueError("Bad search type field")
        match = re.search(r'genre:(?:"([^"]+)"|(\S+))', request.query_params.get("q", ""))
        ids = self.catalog.genre_tracks.get(match.group(1) or match.group(2), []) if match else []
        return JSONResponse({"tracks": self._page(request, ids, self.catalog.tracks.__getitem__, 50)})

    def _lookup_endpoint(self, name: str, key: str, max_ids: int) -> Callable[[Request], JSONResponse]:
        table = {"tracks": self.catalog.tracks, "artists": self.catalog.artists,
                 "audio-features": self.catalog.audio_features}[name]

        def lookup(request: Request) -> JSONResponse:
            if name in self.forbidden:
                return _error(403, "Forbidden")
            ids = [i for i in request.query_params.get("ids", "").split(",") if i]
            if not ids or len(ids) > max_ids:
                raise ValueError("Too many ids requested" if ids else "invalid id")
            hidden = self.null_features if name == "audio-features" else set()
            return JSONResponse({key: [None if i in hidden else table.get(i) for i in ids]})
        return lookup

    def _playlist_items(self, request: Request) -> JSONResponse:
        ids = self.catalog.playlists.get(request.path_params["playlist_id"])
        if ids is None:
            return _error(404, "Resource not found")
        # The API renamed playlists/{id}/tracks to /items, and each entry's "track" to "item".
        key = "item" if request.url.path.endswith("/items") else "track"
        entry = lambda t: {"added_at": "2024-01-01T00:00:00Z", "is_local": False,  # noqa: E731
                           key: self.catalog.tracks[t]}
        return JSONResponse(self._page(request, ids, entry, 100))


@dataclass
class RunningFake:
    """A fake served by uvicorn in a background thread."""

    fake: FakeSpotify
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self.server.should_exit = True
        self.server.force_exit = True  # idle keep-alive connections need no graceful wait
        self.thread.join(timeout=10)


def start_fake_spotify(fake: FakeSpotify | None = None) -> RunningFake:
    """Serve ``fake`` (a new default one if None) on a free 127.0.0.1 port; returns once it listens."""
    fake = fake or FakeSpotify()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # binding here, not in uvicorn, avoids a race for the port
    fake.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(fake.app, log_config=None, log_level="warning",
                                           access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="fake-spotify")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the fake Spotify API did not start")
        time.sleep(0.005)
    return RunningFake(fake, server, thread)


@contextmanager
def serve_fake_spotify(fake: FakeSpotify | None = None) -> Iterator[FakeSpotify]:
    """Serve a fake Spotify API on loopback for the duration of the ``with`` block."""
    running = start_fake_spotify(fake)
    try:
        yield running.fake
    finally:
        running.stop()


def start_for_demo() -> tuple[RunningFake, dict[str, str]]:
    """Start the fake for ``hz45 demo --spotify-fake``; it serves until ``stop()`` or exit.

    Returns the running fake and the ``Settings.spotify`` overrides that point at it.
    """
    running = start_fake_spotify()
    return running, running.fake.settings_overrides()


if __name__ == "__main__":  # python -m jobs.spotify.fake_api: serve until Ctrl-C
    demo, overrides = start_for_demo()
    for key, value in overrides.items():
        print(f"export HZ45_SPOTIFY__{key.upper()}={value}", flush=True)
    try:
        demo.thread.join()
    except KeyboardInterrupt:
        demo.stop()
