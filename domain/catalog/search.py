"""Word-prefix search over track and artist names, identical on SQLite and PostgreSQL.

Each track stores the normalised words of its name and its artists' names in
``track_search_token``. A query matches a track when every query word is a prefix of one of
the track's words, which a B-tree index answers as a range ``token >= w AND token < next(w)``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import sqlalchemy as sa

from domain.catalog.tables import TrackSearchToken
from domain.errors import BadUserInput

_WORD = re.compile(r"\w+")
MAX_TOKEN_LENGTH = 200


def tokenize(*texts: str | None) -> list[str]:
    """Normalised words (NFKC, case-folded, split on non-word characters), in order, unique."""
    seen: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        folded = unicodedata.normalize("NFKC", text).casefold()
        for word in _WORD.findall(folded):
            seen.setdefault(word[:MAX_TOKEN_LENGTH], None)
    return list(seen)


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def check_search(query: str, *, max_words: int, max_length: int) -> None:
    """Refuse a search of more than ``max_length`` characters or ``max_words`` words.

    Every word is one more index range in the statement, and PostgreSQL's planning time grows
    with their number: unbounded input would stall the database.
    """
    if len(query) > max_length:
        raise BadUserInput(f"search is at most {max_length} characters, got {len(query)}", argument="search")
    words = len(tokenize(query))
    if words > max_words:
        raise BadUserInput(f"search is at most {max_words} words, got {words}", argument="search")


def search_condition(track_id_column, query: str):
    """A WHERE clause: every word of ``query`` is a prefix of a word of the track."""
    words = tokenize(query)
    clauses = []
    for word in words:
        matching = sa.select(TrackSearchToken.track_id).where(
            TrackSearchToken.token >= word, TrackSearchToken.token < prefix_upper_bound(word)
        )
        clauses.append(track_id_column.in_(matching))
    return sa.and_(*clauses) if clauses else sa.true()


def track_tokens(track_name: str, artist_names: Iterable[str]) -> list[str]:
    """The search words of a track: its name's and its artists' names'."""
    return tokenize(track_name, *artist_names)
