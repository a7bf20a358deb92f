"""The catalog: tracks, artists, genres, audio features, word-prefix search and catalog upserts."""
