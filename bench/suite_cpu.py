"""Where a test run's CPU goes: the machine's busy CPU-seconds around a command, and each kind of process's share.

    .venv/bin/python bench/suite_cpu.py                                  # the browser journeys, -n 2
    .venv/bin/python bench/suite_cpu.py -- make test                     # any command after --
    .venv/bin/python bench/suite_cpu.py -- .venv/bin/python -m pytest -n 0 tests/e2e/test_checks.py

On two cores a run that keeps both busy cannot take less than half its busy CPU-seconds, whatever runs in
parallel: the figure to compare before and after a change, back to back (this kind of machine drifts by a
quarter within a session). Busy time is read from ``/proc/stat`` (all processes, so Chromium, the Nu checker's
Java and PostgreSQL count too); the shares from ``/proc/<pid>/stat``, sampled every 0.2 s: a process that starts
and ends between two samples is missed, so the shares add up to a little less than the busy total.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [sys.executable, "-m", "pytest", "-n", "2", "-m", "browser", "-q", "-p", "no:cacheprovider"]
TICKS = os.sysconf("SC_CLK_TCK")


def busy_ticks() -> int:
    """The machine's busy time since boot: all but idle and I/O wait (the first line of /proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return user + nice + system + irq + softirq + steal


def kind(pid: str) -> str | None:
    """What a process is, by its command line: Chromium's by its --type, then Java, PostgreSQL, Node, Python."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    if "chrom" in command:
        kinds = ("renderer", "gpu-process", "utility", "zygote")
        return next((f"chromium {k}" for k in kinds if f"--type={k}" in command), "chromium browser")
    program = command.split(" ", 1)[0]
    for word, name in (("java", "java (Nu checker)"), ("postgres", "postgres"), ("node", "node (Playwright)")):
        if word in program:
            return name
    return "python" if "python" in command else "other"


def cpu_ticks(pid: str) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime


def run(command: list[str]) -> tuple[int, float, float, Counter]:
    """Run ``command``; return its exit status, wall seconds, busy CPU-seconds and CPU-seconds per kind."""
    before = {pid: cpu_ticks(pid) or 0 for pid in os.listdir("/proc") if pid.isdigit()}
    seen: dict[str, tuple[str, int, int]] = {}  # pid -> (kind, ticks at the start, ticks last seen)
    busy, started = busy_ticks(), time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT)
    while True:
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or pid == str(os.getpid()):
                continue
            ticks = cpu_ticks(pid)
            if ticks is None:
                continue
            if pid in seen:
                seen[pid] = (seen[pid][0], seen[pid][1], ticks)
            elif (name := kind(pid)) is not None:
                # A process that was there before the command counts from then; a new one (or a new one under
                # a number used before) from its start.
                start = before.get(pid, 0)
                seen[pid] = (name, start if start <= ticks else 0, ticks)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    wall, busy = time.monotonic() - started, (busy_ticks() - busy) / TICKS
    shares = Counter()
    for name, first, last in seen.values():
        shares[name] += (last - first) / TICKS
    return process.returncode, wall, busy, shares


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="*", help="the command to measure (after --); the browser journeys if none")
    command = parser.parse_args().command or DEFAULT
    status, wall, busy, shares = run(command)
    print(f"\ncommand: {' '.join(command)} (exit status {status})")
    print(f"wall {wall:.1f} s, busy CPU {busy:.1f} s ({busy / wall:.2f} of {os.cpu_count()} cores)")
    print(f"| {'process kind':<22} | CPU-seconds | share |")
    print(f"|{'-' * 24}|{'-' * 12}:|{'-' * 6}:|")
    for name, seconds in shares.most_common():
        if seconds >= 0.05:
            print(f"| {name:<22} | {seconds:11.1f} | {seconds / max(busy, 0.01):5.0%} |")
    return status


if __name__ == "__main__":
    sys.exit(main())
