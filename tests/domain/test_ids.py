"""Ids from clients are parsed by one rule: ASCII digits, naming a row only within 32 bits (the id columns)."""

import pytest

from domain.errors import NotFound
from domain.playlists.queries import parse_id
from domain.plays.record import track_ids


@pytest.mark.parametrize("text", ["²", "١٢", "9" * 19, str(2**63), str(2**31), str(2**63 - 1), "-1", "1.0", ""])
def test_a_playlist_id_that_names_no_row_is_not_found(text):
    with pytest.raises(NotFound):
        parse_id(text, "playlist", "id")


def test_a_playlist_id_within_32_bits_parses():
    assert parse_id(str(2**31 - 1), "playlist", "id") == 2**31 - 1


def test_track_ids_ignore_numbers_that_are_not_database_ids():
    class NoQueries:  # nothing valid to look up: no statement may run
        def exec(self, *args, **kwargs):
            raise AssertionError("no query expected")

    assert track_ids(NoQueries(), ["²", "9" * 20]) == {}
