"""Staging's progress on a terminal (`tokenworks ingest` when stderr is a terminal)."""

from __future__ import annotations

import sys
import time


class ProgressLine:
    """One self-overwriting status line on a terminal (files, MB, calls/s)."""

    def __init__(self, stream=sys.stderr, every: float = 0.5):
        self.stream = stream
        self.every = every
        self.last = 0.0

    def __call__(self, stats, total_bytes: int, total_files: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        rate = stats.records / stats.seconds if stats.seconds else 0
        self.stream.write(
            f"\r  files {stats.files:,}/{total_files:,}  "
            f"{stats.disk_bytes / 1e6:,.1f}/{total_bytes / 1e6:,.1f} MB  "
            f"{rate:,.0f} calls/s  quarantined {stats.quarantined:,}   ")
        self.stream.flush()

    def done(self) -> None:
        if self.last:
            self.stream.write("\n")
            self.stream.flush()
