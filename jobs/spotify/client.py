"""A spotipy client with client credentials, and the paged and batched reads the ingestion needs.

spotipy has no constructor arguments for the API prefix or the token URL: both are attributes
(``Spotify.prefix`` and ``SpotifyClientCredentials.OAUTH_TOKEN_URL``), set here from
``Settings.spotify``. Retries go through urllib3's ``Retry`` on the requests session, which
honours ``Retry-After`` on 429. Every failure surfaces as a :class:`SpotifyError` subclass
with a one-line message.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from spotipy import Spotify, SpotifyClientCredentials, SpotifyException, SpotifyOauthError
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.util import Retry
from urllib3.exceptions import MaxRetryError, ResponseError

from domain.settings import SpotifySettings

log = logging.getLogger(__name__)

TRACKS_PER_REQUEST = 50
ARTISTS_PER_REQUEST = 50
AUDIO_FEATURES_PER_REQUEST = 100
PLAYLIST_PAGE_SIZE = 100
SEARCH_PAGE_SIZE = 50


class SpotifyError(Exception):
    """A Spotify request failed; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SpotifyConfigError(SpotifyError):
    """The Spotify settings are incomplete (e.g. no client credentials)."""


class SpotifyAuthError(SpotifyError):
    """Spotify rejected the client credentials or the access token."""


class SpotifyNotFound(SpotifyError):
    """The requested Spotify resource does not exist or is not served to this app."""


class SpotifyRateLimited(SpotifyError):
    """Spotify kept answering 429 after the retries, or asked to wait too long."""


class _BoundedRetry(Retry):
    """spotipy's ``Retry``, giving up at once when ``Retry-After`` asks for more than ``max_wait``.

    A throttled app can be told to wait hours; a job should fail (and be retried by its queue)
    rather than hold a worker that long.
    """

    max_wait = 60.0

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        wait = self.get_retry_after(response) if response is not None else None
        if wait is not None and wait > self.max_wait:
            raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {wait:.0f} s"))
        return super().increment(method, url, response=response, error=error, _pool=_pool,
                                 _stacktrace=_stacktrace)


def client_credentials(settings: SpotifySettings) -> tuple[str, str]:
    """The client id and secret from the settings, else from ``SPOTIPY_CLIENT_ID`` / ``_SECRET``."""
    client_id = settings.client_id or os.environ.get("SPOTIPY_CLIENT_ID")
    client_secret = settings.client_secret or os.environ.get("SPOTIPY_CLIENT_SECRET")
    if not client_id or not client_secret:
        raise SpotifyConfigError(
            "Spotify client credentials are missing: set HZ45_SPOTIFY__CLIENT_ID and "
            "HZ45_SPOTIFY__CLIENT_SECRET (or SPOTIPY_CLIENT_ID and SPOTIPY_CLIENT_SECRET)")
    return client_id, client_secret


def spotify_client(settings: SpotifySettings, *, retries: int = 3, backoff_factor: float = 0.3,
                   timeout: float = 10.0) -> Spotify:
    """A spotipy client authenticated with client credentials against the configured URLs.

    The token is only fetched on the first request; 429 and 5xx answers are retried
    ``retries`` times, waiting ``Retry-After`` seconds when given, else with backoff.
    """
    client_id, client_secret = client_credentials(settings)
    auth = SpotifyClientCredentials(client_id, client_secret, requests_timeout=timeout,
                                    cache_handler=MemoryCacheHandler())  # never a .cache file
    auth.OAUTH_TOKEN_URL = settings.auth_url
    retry = _BoundedRetry(total=retries, connect=None, read=False, status=retries,
                          allowed_methods=frozenset({"GET"}), backoff_factor=backoff_factor,
                          status_forcelist=Spotify.default_retry_codes)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    client = Spotify(auth_manager=auth, requests_session=session, requests_timeout=timeout)
    client.prefix = settings.api_prefix.rstrip("/") + "/"
    return client


def _message(exc: SpotifyException) -> str:
    # spotipy's message is "<url>:\n <message>"; keep the message.
    return str(exc.msg).split("\n", 1)[-1].strip() or "no message"


def _call(sp: Spotify, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one API call, turning spotipy and requests failures into :class:`SpotifyError`.

    A 401 gets one more try with a fresh token: issued tokens expire or may be revoked while
    the credentials themselves are still good.
    """
    for attempt in (1, 2):
        try:
            return fn(*args, **kwargs)
        except SpotifyOauthError as exc:
            reason = getattr(exc, "error", None) or str(exc)
            raise SpotifyAuthError(f"Spotify rejected the client credentials ({reason})", 400) from exc
        except SpotifyException as exc:
            if exc.http_status == 401 and attempt == 1:
                sp.auth_manager.cache_handler.save_token_to_cache(None)
                continue
            status, message = exc.http_status, _message(exc)
            if status == 401:
                raise SpotifyAuthError(f"Spotify rejected the access token for {what} ({message})",
                                       401) from exc
            if status == 404:
                raise SpotifyNotFound(f"{what}: not found", 404) from exc
            if status == 429:
                # spotipy reports every exhausted retry as 429; the reason says which it was.
                reason = exc.reason or message
                raise SpotifyRateLimited(f"{what}: gave up after retries ({reason})", 429) from exc
            raise SpotifyError(f"{what}: HTTP {status} ({message})", status) from exc
        except requests.RequestException as exc:
            raise SpotifyError(f"{what}: cannot reach Spotify ({type(exc).__name__})") from exc
    raise AssertionError("unreachable")


def search_genre_tracks(sp: Spotify, genre: str, limit: int = 50) -> list[dict]:
    """Up to ``limit`` track objects listed under ``genre``, following the result pages."""
    query = f'genre:"{genre}"'
    what = f"search {query}"
    page = _call(sp, what, sp.search, q=query, type="track", limit=min(limit, SEARCH_PAGE_SIZE))["tracks"]
    tracks: list[dict] = []
    while True:
        tracks += [t for t in page["items"] if t and t.get("id")]
        if len(tracks) >= limit or not page.get("next"):
            return tracks[:limit]
        page = _call(sp, what, sp.next, page)["tracks"]


def _lookup(sp: Spotify, what: str, fn: Callable, key: str, ids: Sequence[str], size: int,
            forbidden_ok: bool = False) -> dict[str, dict | None]:
    """Objects by id (None where the API has none), asking ``size`` ids per request.

    With ``forbidden_ok``, a 403 or 404 on the endpoint means "not served to this app": every
    remaining id maps to None and the endpoint is not asked again.
    """
    found: dict[str, dict | None] = {}
    ids = list(dict.fromkeys(ids))
    for start in range(0, len(ids), size):
        batch = ids[start:start + size]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # spotipy warns on audio features
                answer = _call(sp, what, fn, batch)
        except SpotifyError as exc:
            if not (forbidden_ok and exc.status in (403, 404)):
                raise
            log.warning("%s: not served to this app (HTTP %s); %d ids left without it",
                        what, exc.status, len(ids) - start)
            return found | dict.fromkeys(ids[start:])
        objects = (answer.get(key) if isinstance(answer, dict) else answer) or []
        by_id = {o["id"]: o for o in objects if o and o.get("id")}
        found.update({i: by_id.get(i) for i in batch})
    return found


def fetch_tracks(sp: Spotify, ids: Sequence[str]) -> dict[str, dict | None]:
    """Track objects by id, 50 ids per request."""
    return _lookup(sp, "tracks", sp.tracks, "tracks", ids, TRACKS_PER_REQUEST)


def fetch_artists(sp: Spotify, ids: Sequence[str]) -> dict[str, dict | None]:
    """Artist objects (genres, popularity, followers) by id, 50 per request; None where not served."""
    return _lookup(sp, "artists", sp.artists, "artists", ids, ARTISTS_PER_REQUEST, forbidden_ok=True)


def fetch_audio_features(sp: Spotify, ids: Sequence[str]) -> dict[str, dict | None]:
    """Audio features by track id, 100 per request; None where unavailable.

    The endpoint is no longer served to new Spotify apps (403); that, a 404, an empty answer
    or a null entry all mean "unavailable" for the ids concerned.
    """
    return _lookup(sp, "audio features", sp.audio_features, "audio_features", ids,
                   AUDIO_FEATURES_PER_REQUEST, forbidden_ok=True)


def playlist_tracks(sp: Spotify, playlist_id: str) -> list[dict]:
    """The track objects of a playlist in playlist order, following the pages.

    Entries without a track (removed tracks, local files, podcast episodes) are skipped.
    """
    what = f"playlist {playlist_id}"
    try:
        page = _call(sp, what, sp.playlist_items, playlist_id, limit=PLAYLIST_PAGE_SIZE,
                     additional_types=("track",))
    except SpotifyError as exc:
        # 400: a malformed id (refused by spotipy or by the API); an auth failure is not that.
        if exc.status in (400, 404) and not isinstance(exc, SpotifyAuthError):
            raise SpotifyNotFound(
                f"Spotify playlist {playlist_id!r} not found (editorial playlists are not "
                "served to apps created after November 2024)", exc.status) from exc
        raise
    tracks: list[dict] = []
    while True:
        for entry in page["items"]:
            track = entry.get("item") or entry.get("track")  # "track" before the 2026 rename
            if track and track.get("type", "track") == "track" and track.get("id"):
                tracks.append(track)
        if not page.get("next"):
            return tracks
        page = _call(sp, what, sp.next, page)
