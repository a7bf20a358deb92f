"""A small tracks CSV in the public Spotify tracks dataset's format, with known cleaning answers."""

from __future__ import annotations

import csv
from pathlib import Path

HEADER = ["", "track_id", "artists", "album_name", "track_name", "popularity", "duration_ms", "explicit",
          "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
          "instrumentalness", "liveness", "valence", "tempo", "time_signature", "track_genre"]


def row(i, track_id, name, artists, genre, tempo=120.0, popularity=50):
    return [i, track_id, artists, "Album", name, popularity, 200000, "False", 0.5, 0.6, 5, -6.0, 1,
            0.05, 0.2, 0.0, 0.1, 0.5, tempo, 4, genre]


def write_small_tracks_csv(path: Path) -> Path:
    """40 pop tracks (one also listed as rock and acoustic) and four rows the cleaning drops, at ``path``."""
    tempos = [100 + (i % 40) for i in range(40)]
    rows = [row(i, f"t{i:03d}", f"Song {i}", "Band A;Band B" if i % 2 else "Solo", "pop", tempos[i])
            for i in range(40)]
    rows += [
        row(40, "t001", "Song 1", "Band A;Band B", "rock"),      # same track, second genre
        row(41, "t001", "Song 1", "Band A;Band B", "acoustic"),  # and a third
        row(42, "zero", "Zero Tempo", "Solo", "pop", tempo=0.0),
        row(43, "fast", "Way Too Fast", "Solo", "pop", tempo=400.0),
        row(44, "", "No Id", "Solo", "pop"),
        row(45, "noname", "", "Solo", "pop"),
    ]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path
