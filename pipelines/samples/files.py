"""One day's outputs: held in memory until the day is done, then written (some gzipped)."""

from __future__ import annotations

import datetime
import os
import zlib
from collections.abc import Callable
from pathlib import Path

from pipelines.samples.common import Draws


class DayFiles:
    """One day's outputs, held until the day is done (a day is at most a few tens of MB)."""

    def __init__(self, date: datetime.date):
        self.date = date
        self.gateway: list[bytes] = []
        self.inserts: list[tuple[int, bytes]] = []   # (after gateway line n, extra line)
        self.bare: list[bytes] = []
        self.openai_batch: list[bytes] = []
        self.anthropic_batch: list[bytes] = []
        self.export: list[bytes] = []
        self.documents: list[tuple[str, bytes]] = []  # (relative name, content)


def merged_gateway(files: DayFiles) -> list[bytes]:
    """Gateway lines with duplicates and malformed lines slotted in at their positions."""
    if not files.inserts:
        return files.gateway
    out: list[bytes] = []
    lines = files.gateway
    done = 0
    for after, extra in sorted(files.inserts, key=lambda item: item[0]):
        out.extend(lines[done:after])
        done = max(done, after)
        out.append(extra)
    out.extend(lines[done:])
    return out


def gzip_bytes(data: bytes) -> bytes:
    """Gzip with a zero mtime and no file name in the header, so output is reproducible."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


class Output(Draws):
    """Writing a day's folder and counting what was written."""

    out: Path
    progress: Callable[[int], object] | None

    def _write_day(self, files: DayFiles, gzipped: bool) -> None:
        folder = self.out / f"{files.date:%Y/%m/%d}"
        day = files.date.isoformat()
        gateway = merged_gateway(files)
        outputs: list[tuple[str, list[bytes] | bytes, bool]] = []
        if gateway:
            name = f"gateway-{day}.jsonl" + (".gz" if gzipped else "")
            outputs.append((name, gateway, gzipped))
        if files.bare:
            outputs.append((f"bare-{day}.jsonl", files.bare, False))
        if files.openai_batch:
            outputs.append((f"openai-batch-{self._hex(12)}.jsonl", files.openai_batch, False))
        if files.anthropic_batch:
            outputs.append((f"anthropic-batch-{self._hex(12)}.jsonl", files.anthropic_batch,
                            False))
        if files.export:
            outputs.append((f"export-{day}.json", b"[\n" + b",\n".join(files.export) + b"\n]\n",
                            False))
        for name, document in files.documents:
            outputs.append((name, document, False))
        if not outputs:
            return
        folder.mkdir(parents=True, exist_ok=True)
        # Some records carry no time at all (Anthropic batch results, Gemini API bodies, raw
        # Anthropic streams): a loader falls back on the file's mtime, so make that the day's end.
        closed_at = self.day_start_ms / 1000 + 86_399
        for name, content, gz in outputs:
            self._write_file(folder / name, content, gz)
            os.utime(folder / name, (closed_at, closed_at))
        self._count_records(files, len(gateway))
        if self.progress is not None:
            self.progress(self.stats["bytes"])

    def _write_file(self, path: Path, content: list[bytes] | bytes, gz: bool) -> None:
        data = b"\n".join(content) + b"\n" if isinstance(content, list) else content
        self.stats["raw_bytes"] += len(data)
        if gz:
            data = gzip_bytes(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        self.stats["files"] += 1
        self.stats["bytes"] += len(data)

    def _count_records(self, files: DayFiles, gateway_lines: int) -> None:
        self.stats["records"] += (gateway_lines + len(files.bare) + len(files.openai_batch)
                                  + len(files.anthropic_batch) + len(files.export)
                                  + len(files.documents))
