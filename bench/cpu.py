"""CPU time per process group, read with psutil, for the per-complaint cost table.

Throughput alone hides waste while spare cores absorb it; CPU milliseconds per complaint,
summed over every process that takes part (our poller and workers, PostgreSQL, Redis,
Dovecot, the SMTP sink), is the figure that says whether a change made the work cheaper.

A group is a way of finding its processes (by pid and descendants, or by process name).
A snapshot records each process's user + system seconds; the difference of two snapshots
counts a process that started in between from zero. A process that ended in between is
lost (its time cannot be read any more): the database and server processes here live for
the whole run, so little is lost, and the report says how many were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import psutil

Finder = Callable[[], Iterable[psutil.Process]]


def tree(*pids: int) -> Finder:
    """The processes with these pids and all their descendants, as they are when read."""

    def find() -> list[psutil.Process]:
        found = []
        for pid in pids:
            try:
                root = psutil.Process(pid)
                found.extend([root, *root.children(recursive=True)])
            except psutil.NoSuchProcess:
                continue
        return found

    return find


def named(*names: str) -> Finder:
    """Every process on the machine whose name is one of ``names`` (servers shared by all)."""

    def find() -> list[psutil.Process]:
        return [p for p in psutil.process_iter(["name"]) if p.info["name"] in names]

    return find


def _seconds(process: psutil.Process) -> float | None:
    try:
        times = process.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return float(times.user + times.system)


@dataclass
class Snapshot:
    """CPU seconds of each process of each group at one moment."""

    seconds: dict[str, dict[int, float]] = field(default_factory=dict)


def snapshot(groups: Mapping[str, Finder]) -> Snapshot:
    """Read every group's processes now."""
    taken = Snapshot()
    for name, find in groups.items():
        per_pid: dict[int, float] = {}
        for process in find():
            seconds = _seconds(process)
            if seconds is not None:
                per_pid[process.pid] = seconds
        taken.seconds[name] = per_pid
    return taken


@dataclass(frozen=True)
class GroupCost:
    """One group's CPU seconds between two snapshots."""

    name: str
    seconds: float
    processes: int
    lost: int  # processes seen at the start and gone at the end


def costs(before: Snapshot, after: Snapshot) -> list[GroupCost]:
    """CPU seconds spent by each group between ``before`` and ``after``."""
    result = []
    for name, end in after.seconds.items():
        start = before.seconds.get(name, {})
        spent = sum(seconds - start.get(pid, 0.0) for pid, seconds in end.items())
        result.append(GroupCost(name=name, seconds=max(spent, 0.0), processes=len(end),
                                lost=len(set(start) - set(end))))
    return result


def table(spent: list[GroupCost], *, items: int, unit: str = "complaint") -> str:
    """The cost table as Markdown: CPU ms per item for each group, and the total."""
    lines = [f"| process group | CPU s | CPU ms / {unit} | processes |",
             "|---|---:|---:|---:|"]
    for group in spent:
        lost = f" ({group.lost} ended)" if group.lost else ""
        lines.append(f"| {group.name} | {group.seconds:.1f} | {1000 * group.seconds / items:.2f}"
                     f" | {group.processes}{lost} |")
    total = sum(g.seconds for g in spent)
    lines.append(f"| **all** | {total:.1f} | **{1000 * total / items:.2f}** | |")
    return "\n".join(lines)
