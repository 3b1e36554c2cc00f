"""Where a worker's time goes under load: py-spy samples, summed per function.

py-spy reads the worker's stacks from outside (no change to the product, little
overhead with ``--nonblocking``) and writes one line per distinct stack: frames
separated by ``;`` and the number of samples. Summing the last frame gives each
function's own time; counting each function once per stack gives its inclusive time.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


def _py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise SystemExit("py-spy is missing: pip install py-spy")
    return found


@dataclass
class Recording:
    """A py-spy recording of one process, stopped with :meth:`stop`."""

    output: Path
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, pid: int, output: Path, rate: int = 100, *, gil: bool = False) -> Recording:
        """``gil``: sample only the thread holding the interpreter lock, which is nearly
        the Python CPU time, instead of every thread that is not idle."""
        process = subprocess.Popen(
            [_py_spy(), "record", "--pid", str(pid), "--format", "raw", "--output", str(output),
             "--rate", str(rate), "--nonblocking", *(["--gil"] if gil else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return cls(output=output, process=process)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # py-spy writes the file when interrupted
        self.process.wait(timeout=60)


def _stacks(raw: str) -> list[tuple[list[str], int]]:
    stacks = []
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def _short(frame: str) -> str:
    """``process_many (pipeline/intake/process.py:100)`` without the line number and venv."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"


def top(raw: str, count: int = 15) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """Total samples, the top functions by own samples, and by inclusive samples."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for frames, samples in _stacks(raw):
        total += samples
        own[_short(frames[-1])] += samples
        for frame in {_short(f) for f in frames}:
            inclusive[frame] += samples
    return total, own.most_common(count), inclusive.most_common(count)


def report(recording: Recording, count: int = 15) -> str:
    """The two top lists as Markdown tables (share of the worker's samples)."""
    total, own, inclusive = top(recording.output.read_text(errors="replace"), count)
    if not total:
        return "(py-spy recorded no samples)"
    lines = [f"worker profile: {total} samples", "", "| own % | function |", "|---:|---|"]
    lines += [f"| {100 * n / total:.1f} | `{name}` |" for name, n in own]
    lines += ["", "| inclusive % | function |", "|---:|---|"]
    lines += [f"| {100 * n / total:.1f} | `{name}` |" for name, n in inclusive]
    return "\n".join(lines)
