"""A pickle whose loading has a visible side effect: what a crafted model artifact would do."""

from __future__ import annotations


class CreatesAFile:
    """Unpickling this creates ``path``: what a malicious pickle artifact would do."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))
