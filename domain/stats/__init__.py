"""Listening statistics: daily rows per user and for the whole service."""
