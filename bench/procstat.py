"""CPU time and peak memory of processes, read from /proc (Linux only).

CPU is utime+stime of each process (its own threads included), in seconds. A process that
exits between two samples loses what it used after the first one, so callers sample often
enough (the runner samples every poll) and keep the last value seen per pid.
"""

import os
from dataclasses import dataclass, field

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:
        return None
    # comm (field 2) may contain spaces and parentheses: split after the last ")".
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float | None:
    fields = _stat_fields(pid)
    if fields is None:
        return None
    # After comm: state=0, ppid=1, ..., utime=11, stime=12.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def descendants(root: int) -> list[int]:
    """root and every process below it (gunicorn master and its workers)."""
    children: dict[int, list[int]] = {}
    for pid in all_pids():
        parent = parent_of(pid)
        if parent is not None:
            children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def peak_rss_bytes(pid: int) -> int | None:
    """VmHWM: the process's peak resident set size."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


@dataclass
class CpuTracker:
    """Tracks CPU seconds of a changing set of processes between a start and an end.

    `baseline` is each pid's CPU at start (0 for processes first seen later, i.e. born inside
    the window), `latest` the last value read; the differences summed are the window's CPU.
    """

    baseline: dict[int, float] = field(default_factory=dict)
    latest: dict[int, float] = field(default_factory=dict)
    peak_rss: dict[int, int] = field(default_factory=dict)
    started: bool = False

    def sample(self, pids: list[int]) -> None:
        for pid in pids:
            cpu = cpu_seconds(pid)
            if cpu is None:
                continue
            if pid not in self.baseline:
                # A process first seen after start was born inside the window.
                self.baseline[pid] = 0.0 if self.started else cpu
            self.latest[pid] = cpu
            rss = peak_rss_bytes(pid)
            if rss is not None:
                self.peak_rss[pid] = max(rss, self.peak_rss.get(pid, 0))

    def start(self, pids: list[int]) -> None:
        self.sample(pids)
        self.started = True

    def seconds(self, only: set[int] | None = None) -> float:
        pids = self.latest if only is None else [p for p in self.latest if p in only]
        return sum(self.latest[pid] - self.baseline[pid] for pid in pids)

    def max_peak_rss(self) -> int:
        return max(self.peak_rss.values(), default=0)

    def total_peak_rss(self) -> int:
        return sum(self.peak_rss.values())
