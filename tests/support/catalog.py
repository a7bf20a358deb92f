"""A tiny catalog with known answers: IU's tracks, a decoy, and filler pop tracks."""

from __future__ import annotations

from domain.catalog.store import ArtistRecord, TrackRecord, upsert_catalog

FEATURES = dict(danceability=0.5, energy=0.6, key=1, loudness=-5.0, mode=1, speechiness=0.05,
                acousticness=0.2, instrumentalness=0.0, liveness=0.1, valence=0.5, tempo=120.0,
                time_signature=4)

IU = ArtistRecord("3HqSLMAZ3g3d5poNaI7GOU", "IU", ["k-pop"], 80, 9_000_000)
SUGA = ArtistRecord("0ebNdVaOfp6N0oZ1guIxM8", "SUGA", ["k-pop"], 75, 5_000_000)
KIUAS = ArtistRecord("6Lr3bKMUsK5HCSh8eMO0Ll", "Kiuas", ["metal"], 20, 10_000)


def known_catalog() -> list[TrackRecord]:
    """IU's tracks, a decoy whose name contains "iu" inside a word, and 30 filler pop tracks."""
    records = [
        TrackRecord("7xX8HM7CGRcfqzWoiaPZs0", "eight (Prod.&Feat. SUGA of BTS)", [IU, SUGA],
                    ["k-pop", "pop"], popularity=73, audio_features=FEATURES),
        TrackRecord("4Dr2hJ3EnVh2Aaot6fRwDO", "Blueming", [IU], ["k-pop"], popularity=70,
                    audio_features=FEATURES),
        TrackRecord("0OqTfHXO5mMKWbzPmyL0nm", "Through the Night", [IU], ["k-pop"], popularity=65),
        TrackRecord("1kiuas0000000000000000", "Kiuas Eight", [KIUAS], ["rock"], popularity=40,
                    audio_features=FEATURES),
    ]
    for i in range(30):
        records.append(TrackRecord(
            f"filler{i:016d}", f"Filler Song {i}", [ArtistRecord(f"fillerartist{i % 3:010d}", f"Band {i % 3}")],
            ["pop"], popularity=i, audio_features=FEATURES,
        ))
    return records


def load_known_catalog(engine) -> None:
    """Store :func:`known_catalog` in ``engine``."""
    upsert_catalog(engine, known_catalog())
