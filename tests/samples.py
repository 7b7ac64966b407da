"""The project's sample files (samples/make_samples.py), made once per test session into a temporary folder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from samples.make_samples import SUBMISSION, events, farmers, trades, write_samples

SAMPLE_FARMERS = 300


@dataclass(frozen=True)
class SampleFiles:
    """Where the files are, and how many farmers, trade records and events the generator put in them."""

    folder: Path
    farmers: int
    trades: int
    events: int
    submission: date = SUBMISSION  # the business date the files are made for

    def path(self, name: str) -> Path:
        return self.folder / name

    def read(self, name: str) -> bytes:
        return self.path(name).read_bytes()


def sample_files_make(folder: Path, size: int = SAMPLE_FARMERS) -> SampleFiles:
    write_samples(folder, size)
    people = farmers(size)
    return SampleFiles(folder, len(people), sum(1 for _ in trades(people)), len(events(people)))
