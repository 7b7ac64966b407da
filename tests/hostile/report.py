"""The figures of the hostile corpus for a release note: each file, its answer, time and peak memory.

Run from the repository root:  .venv/bin/python -m tests.hostile.report [KIND]

Each file is read by the importer of KIND (``farmers`` by default) in a process of its own (see
``worker.py``); the last line names the file whose reading took the most memory.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.hostile.corpus import WHOLE_FILE_REFUSALS
from tests.hostile.worker import read_in_child


def main(kind: str = "farmers") -> None:
    worst = ("", 0.0)
    print(f"{'file':44} {'bytes':>12}  {'answer':22} {'seconds':>8} {'peak MiB':>9} {'added':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for hostile in WHOLE_FILE_REFUSALS:
            path = Path(folder) / hostile.filename
            path.write_bytes(hostile.build())
            reading = read_in_child(kind, path)
            print(
                f"{hostile.name:44} {path.stat().st_size:>12,}  {reading.outcome[:22]:22} "
                f"{reading.seconds:>8.2f} {reading.peak_mib:>9.0f} {reading.added_mib:>7.0f}",
                flush=True,
            )
            if reading.peak_mib > worst[1]:
                worst = (hostile.name, reading.peak_mib)
    print(f"worst: {worst[0]}, peak {worst[1]:.0f} MiB")


if __name__ == "__main__":
    main(*sys.argv[1:2])
