"""The event log: every play as one JSON line, in a size-rotated file (SPEC §3 ``recordPlay``).

Lines carry what analysts need without joining the database: user id, gender, age group at
play time, track id, artists, primary genre, played at (ISO 8601, UTC) and source.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from domain.accounts.age_groups import age_group
from domain.settings import Settings

_lock = threading.Lock()
_writers: dict[tuple[str, int, int], logging.Logger] = {}


def play_record(*, event_id: int, user_id: int, gender: str, birth_date: date, track_id: int,
                artists: list[dict[str, Any]], genre: str | None, played_at: datetime,
                source: str | None) -> dict[str, Any]:
    """The JSON-ready line of one play; ``played_at`` must be timezone-aware."""
    played_at = played_at.astimezone(UTC)
    return {
        "event_id": event_id, "user_id": user_id, "gender": gender,
        "age_group": age_group(birth_date, played_at.date()), "track_id": track_id,
        "artists": artists, "genre": genre,
        "played_at": played_at.isoformat().replace("+00:00", "Z"), "source": source,
    }


DEFAULT_PATH = Path("var/events.jsonl")
_claimed: dict[Path, Path] = {}  # default file (absolute) -> the file this process writes
_claims: list = []  # the open lock files: a lock lasts as long as its file stays open


def event_log_path(template: str | None) -> Path:
    """The log file of this process.

    A configured path is used as given, ``{pid}`` replaced by the process id. Unset, the first
    process to write in a folder takes ``./var/events.jsonl`` (with a lock held while it runs)
    and any other process writing there at the same time gets ``./var/events-<pid>.jsonl``,
    since a rotated file must have one writer.
    """
    if template:
        return Path(template.replace("{pid}", str(os.getpid())))
    default = Path.cwd() / DEFAULT_PATH
    with _lock:
        if default not in _claimed:
            _claimed[default] = default if _claim(default) else default.with_name(
                f"{default.stem}-{os.getpid()}{default.suffix}")
        return _claimed[default]


def _claim(path: Path) -> bool:
    """Whether this process now holds the lock of ``path`` (held until it exits)."""
    try:
        import fcntl
    except ImportError:  # no advisory locks here: one file per process
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path.with_name(path.name + ".lock"), "a")  # noqa: SIM115 - kept open on purpose
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _claims.append(handle)
    return True


def _writer(path: Path, max_bytes: int, backups: int) -> logging.Logger:
    key = (str(path.resolve()), max_bytes, backups)
    with _lock:
        writer = _writers.get(key)
        if writer is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                          encoding="utf-8", delay=True)
            handler.setFormatter(logging.Formatter("%(message)s"))
            # Not registered with logging's manager: application logging config never touches it.
            writer = logging.Logger(f"hz45.events:{path}", logging.INFO)
            writer.propagate = False
            writer.addHandler(handler)
            _writers[key] = writer
    return writer


def write_events(settings: Settings, records: Iterable[dict[str, Any]]) -> None:
    """Append ``records`` as JSON lines; one write per call, so a batch never straddles files."""
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
    if lines:
        writer = _writer(event_log_path(settings.event_log_path), settings.event_log_max_bytes,
                         settings.event_log_backups)
        writer.info("\n".join(lines))


def read_events(path: str | Path) -> list[dict[str, Any]]:
    """Every record of one log file (for jobs and tests)."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
