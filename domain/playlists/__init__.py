"""Playlists: a user's rated playlists and their items."""
