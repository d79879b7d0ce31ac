"""What the benchmarks read about processes from /proc: CPU time, peak memory, children."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) and int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def cpu_seconds(pids: list[int], waited_children: bool = False) -> float:
    """User plus system CPU of the processes (and of their children already waited for)."""
    last = 15 if waited_children else 13  # utime, stime, then cutime, cstime
    total = 0
    for pid in pids:
        if fields := _stat_fields(pid):
            total += sum(int(v) for v in fields[11:last])
    return total / TICKS


def machine_busy_seconds() -> float:
    """CPU seconds every process of the machine has used since boot (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICKS


def vm_hwm_mib(pid: int | str = "self") -> float | None:
    """Peak resident set size (VmHWM) of a process, in MiB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None
