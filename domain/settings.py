"""Settings from environment variables and an optional TOML file (``HZ45_CONFIG``).

Environment variables win over the TOML file. ``DATABASE_URL`` and ``REDIS_URL`` are read
without prefix (the names operators expect); everything else may be set as ``HZ45_<NAME>``
(nested with ``__``, e.g. ``HZ45_API__MAX_PAGE_SIZE=50``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class ApiSettings(BaseModel):
    """GraphQL limits and pagination."""

    default_page_size: int = 20
    max_page_size: int = 100
    max_query_depth: int = 12
    max_aliases: int = 30
    max_query_tokens: int = 2000
    # estimated resolved fields: the product of the page sizes (first, k, top) along each path
    max_query_cost: int = Field(default=10_000, ge=1)
    # search input: tokenised words (each an index range scan) and characters
    max_search_words: int = Field(default=8, ge=1)
    max_search_length: int = Field(default=200, ge=1)
    graphiql: bool = True
    # Larger request bodies get HTTP 413 before anything reads them.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    # Each check of /readyz (database, Redis, ...) gets this long before it counts as failed.
    readiness_timeout_seconds: float = Field(default=3, gt=0)


class AuthSettings(BaseModel):
    """Password hashing cost, token lifetime and log-in throttling."""

    token_ttl_days: float = Field(default=30, gt=0)
    # argon2id parameters (argon2-cffi's RFC 9106 "low memory" profile); tests lower them.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    # A nickname, or a client address, is refused after this many failures in the window.
    login_max_failures: int = Field(default=10, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(days=self.token_ttl_days)


class EngineWeight(BaseModel):
    engine: str
    weight: float = Field(ge=0)


class RecommenderSettings(BaseModel):
    """Which engines are mixed by default, their hyper-parameters, and A/B experiments."""

    default_mix: list[EngineWeight] = Field(
        default_factory=lambda: [
            # cheap engines that learn from plays and ratings and score from the current history,
            # plus sound, demographics and NCF; standardised fusion (plugins/mixer.py). The weights
            # won on validation splits of three datasets (bench/mix_weights.py), not on a test split.
            EngineWeight(engine="ease", weight=1.0),
            EngineWeight(engine="als", weight=2.0),
            EngineWeight(engine="content_gmm", weight=0.5),
            EngineWeight(engine="demographic_popular", weight=0.3),
            EngineWeight(engine="ncf", weight=1.0),
        ]
    )
    engines: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # experiment name -> arm name -> mix; users are split between the arms of the active one
    experiments: dict[str, dict[str, list[EngineWeight]]] = Field(default_factory=dict)
    active_experiment: str | None = None
    # experiment -> its control arm (the arms are compared with it); unset: the first arm alphabetically
    experiment_controls: dict[str, str] = Field(default_factory=dict)
    # a play counts for an impression when the user plays the track within this many hours after it
    attribution_hours: float = Field(default=24, gt=0)
    # impressions are written every impression_flush_seconds or impression_flush_rows rows; beyond
    # impression_buffer_rows waiting rows new ones are dropped (and counted)
    impression_flush_seconds: float = Field(default=1, gt=0)
    impression_flush_rows: int = Field(default=500, ge=1, le=1000)
    impression_buffer_rows: int = Field(default=50_000, ge=1)
    exclude_rated: bool = True
    recent_window_days: int = 7
    # members of the learned mix (mix "learned"); empty: the engines of the default mix
    learned_mix_engines: list[str] = Field(default_factory=list)
    # engines that fill lists the mix leaves short, in order; unset: the plugins' own fallback roles
    fallback_engines: list[str] | None = None
    # a music list holds at most this many tracks of one artist (0: no limit); per query too
    max_per_artist: int = Field(default=2, ge=0)
    # API processes look for newly activated (or deactivated) model versions this often
    refresh_seconds: float = Field(default=10, gt=0)
    # HMAC-SHA256 key: set, every stored artifact is signed and an unsigned or badly signed one
    # is refused before it is read (``hz45 models sign`` signs the versions stored before)
    artifact_key: SecretStr | None = None

    def learned_mix_members(self) -> list[str]:
        """The engines the learned mix blends."""
        return list(self.learned_mix_engines) or [e.engine for e in self.default_mix]

    def signing_key(self) -> bytes | None:
        """The artifact signing key as bytes, or None when artifacts are not signed."""
        return self.artifact_key.get_secret_value().encode() if self.artifact_key is not None else None

    def learned_mix_prior(self) -> dict[str, float]:
        """Where the learned mix's weights start: the default mix's weight of each engine."""
        return {e.engine: e.weight for e in self.default_mix}


class ScheduleSettings(BaseModel):
    """Times and intervals of the scheduled jobs (SPEC §5)."""

    aggregate_charts_seconds: int = 100
    aggregate_overall_stats_seconds: int = 100
    daily_stats_cron: str = "30 9 * * *"
    import_top50_cron: str = "30 9 * * *"
    retrain_cron: str = "40 9 * * *"
    daily_mix_cron: str = "0 10 * * *"  # after the retrain
    weekly_exploration_cron: str = "15 10 * * 1"  # Mondays
    similar_users_cron: str = "50 9 * * *"
    listening_rollups_seconds: int = 300


class GeneratedPlaylistSettings(BaseModel):
    """The daily mix and the weekly exploration playlist (jobs.generated_playlists)."""

    tracks: int = Field(default=50, ge=1, le=500)
    max_per_artist: int = Field(default=2, ge=1)
    # a user with a play in the last active_days days gets generated playlists
    active_days: int = Field(default=30, ge=1)
    # favourites: the user's most played and highest rated tracks of the last favourites_days days
    favourites_days: int = Field(default=90, ge=1)
    progress_every: int = Field(default=500, ge=1)  # log progress every this many users


class ListenerSettings(BaseModel):
    """Similar listeners (``jobs.similar_users``): the window of plays compared, and how many kept."""

    similar_users_window_days: int = Field(default=90, ge=1)
    similar_users_kept: int = Field(default=50, ge=1, le=500)


class SpotifySettings(BaseModel):
    client_id: str | None = None
    client_secret: str | None = None
    api_prefix: str = "https://api.spotify.com/v1/"
    auth_url: str = "https://accounts.spotify.com/api/token"
    top50_playlist_id: str = "37i9dQZEVXbNxXF4SkHj9F"
    genres: list[str] = Field(
        default_factory=lambda: [
            "acoustic", "dance", "edm", "hip-hop", "pop", "r-n-b", "rock", "romance", "soul",
            "k-pop",
        ]
    )


def _config_file() -> Path | None:
    path = os.environ.get("HZ45_CONFIG")
    return Path(path) if path else None


class Settings(BaseSettings):
    """All settings of 4.5Hz."""

    model_config = SettingsConfigDict(env_prefix="HZ45_", env_nested_delimiter="__", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./hz45.db",
        validation_alias=AliasChoices("DATABASE_URL", "HZ45_DATABASE_URL", "database_url"),
    )
    # every connection: give up connecting after this long; on PostgreSQL cancel a statement
    # running longer than this (0: no limit); on SQLite wait this long for a lock (busy timeout)
    database_connect_timeout_s: float = Field(default=5, gt=0)
    database_statement_timeout_ms: int = Field(default=5000, ge=0)
    database_busy_timeout_s: float = Field(default=30, gt=0)
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "HZ45_REDIS_URL", "redis_url")
    )
    environment: str = "development"
    # Addresses (or CIDR networks) of reverse proxies whose X-Forwarded-For / -Proto headers are
    # believed; empty: none, the client is the peer of the connection.
    trusted_proxies: list[str] = Field(default_factory=list)
    # JSON lines of every play; "{pid}" in the path gives each server process its own file
    # (rotation is not safe across processes writing one file). Unset: ./var/events.jsonl, or
    # ./var/events-<pid>.jsonl for a process that finds another one writing there already.
    event_log_path: str | None = None
    event_log_max_bytes: int = Field(default=50_000_000, ge=0)
    event_log_backups: int = Field(default=10, ge=0)
    api: ApiSettings = Field(default_factory=ApiSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    recommenders: RecommenderSettings = Field(default_factory=RecommenderSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    generated_playlists: GeneratedPlaylistSettings = Field(default_factory=GeneratedPlaylistSettings)
    listeners: ListenerSettings = Field(default_factory=ListenerSettings)
    spotify: SpotifySettings = Field(default_factory=SpotifySettings)

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def production(self) -> bool:
        """``HZ45_ENVIRONMENT=production``: no introspection, no GraphiQL."""
        return self.environment == "production"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def get_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and ``HZ45_CONFIG``), with explicit overrides on top."""
    return Settings(**overrides)
