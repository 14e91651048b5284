"""A revision mark shared by every process on this machine through a small memory-mapped file.

Readers compare the mark in memory: no system call, so the GIL is kept (a SQLite read on the event loop
gives it up at every step, and under load waits milliseconds for it back while the loop serves nobody).
A writer puts a fresh random mark after its change has committed; a reader that took the mark before
reading the data it remembers is then sure to see a new mark at its next look.
"""
import mmap
import os
from pathlib import Path

_SIZE = 8


class SharedRevision:
    def __init__(self, path: Path) -> None:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(descriptor).st_size < _SIZE:
                os.ftruncate(descriptor, _SIZE)  # zeros: a first mark like any other
            self._map = mmap.mmap(descriptor, _SIZE)
        finally:
            os.close(descriptor)  # the mapping stays valid

    def read(self) -> bytes:
        return self._map[:_SIZE]

    def move(self) -> None:
        self._map[:_SIZE] = os.urandom(_SIZE)
