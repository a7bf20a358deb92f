"""Spotify Web API access through spotipy, and a local fake of the API for tests and the demo."""
