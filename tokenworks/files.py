"""Appending to the landing folder: one file per UTC day and host, whole lines only."""

from __future__ import annotations

import os
import re
import socket
import threading
from datetime import date
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: threads are still kept apart, processes are not
    fcntl = None  # type: ignore[assignment]

SUBFOLDER = "sdk"
_threads = threading.Lock()


def host_name() -> str:
    """This machine's name, safe in a file name: hosts sharing a landing folder over a
    network file system never append to the same file."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname()) or "host"


def day_file(landing: Path, day: date, host: str) -> Path:
    return landing / SUBFOLDER / f"{day.isoformat()}-{host}.jsonl"


def append(path: Path, data: bytes) -> None:
    """Append whole lines: O_APPEND writes under an exclusive lock, so a line from another
    thread or process never lands inside this one, even when a write comes back short. An
    ingest that reads mid-write finds a last line without its end, and leaves it for its
    next run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _threads:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
