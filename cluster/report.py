"""The cluster test's verdict: reads what cluster/test.sh gathered, prints a summary table and the
checks, and exits 1 when any check fails.

Inputs: the chunk logs of the two closes (written by cluster/chunk_log.py in the workers), the
moment the worker host was killed and what the watcher saw then, the closes' exit codes and times,
and the JSON of cluster/check.py for each book (copy A closed with a kill, copy B without, and both
as read on the replica). No Django: this only compares what the other steps measured.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

PARTS = ("loans", "ledger", "dues", "demands", "steps")


@dataclass(frozen=True)
class Line:
    at: float
    host: str
    event: str  # start or done
    day: str
    step: str
    chunk: str
    redelivered: bool
    task_id: str


def chunk_lines(path: Path) -> list[Line]:
    if not path.is_file():
        return []
    lines = []
    for raw in path.read_text().splitlines():
        at, host, event, day, step, chunk, redelivered, task_id = raw.split()
        lines.append(Line(float(at), host, event, day, step, chunk, redelivered == "1", task_id))
    return lines


def per_host(lines: list[Line], until: float = float("inf")) -> Counter[str]:
    return Counter(line.host for line in lines if line.event == "done" and line.at <= until)


def in_flight(lines: list[Line], host: str, day: str, step: str) -> list[Line]:
    """Chunks of (day, step) that ``host`` started and never finished."""
    done = {line.task_id for line in lines if line.host == host and line.event == "done"}
    return [
        line
        for line in lines
        if line.host == host and line.event == "start" and line.day == day and line.step == step
        if line.task_id not in done
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks-a", type=Path, required=True)
    parser.add_argument("--chunks-b", type=Path, required=True)
    parser.add_argument("--kill-at", type=float, required=True, help="unix time of the SIGKILL (0: none)")
    parser.add_argument("--killed", default="w2")
    parser.add_argument("--survivor", default="w1")
    parser.add_argument("--kill-day", required=True)
    parser.add_argument("--kill-step", required=True)
    parser.add_argument("--seen-at-kill", default="", help="what the watcher saw in the database at the kill")
    parser.add_argument("--close", action="append", default=[], help="NAME=EXIT_CODE:SECONDS")
    parser.add_argument("--check", action="append", default=[], help="NAME=FILE (JSON of cluster/check.py)")
    parser.add_argument("--web", default="", help="result of the web host's check ('' when not run)")
    parser.add_argument("--timings", default="")
    parser.add_argument("--host", action="append", default=[], help="NAME=ADDRESS ROLE, for the table")
    args = parser.parse_args()

    a_lines, b_lines = chunk_lines(args.chunks_a), chunk_lines(args.chunks_b)
    checks: dict[str, dict[str, object]] = {}
    for item in args.check:
        name, _, file = item.partition("=")
        text = Path(file).read_text().strip() if Path(file).is_file() else ""
        checks[name] = json.loads(text.splitlines()[-1]) if text else {}
    closes = {}
    for item in args.close:
        name, _, value = item.partition("=")
        code, _, seconds = value.partition(":")
        closes[name] = (int(code), float(seconds))

    before_kill = per_host(a_lines, args.kill_at)
    killed = in_flight(a_lines, args.killed, args.kill_day, args.kill_step) if args.kill_at else []
    # A chunk the killed host had received but not yet started (its prerun line never written) is in flight
    # too: the broker hands it to the survivor again, marked redelivered.
    received = [
        line
        for line in a_lines
        if args.kill_at and line.host == args.survivor and line.at > args.kill_at and line.redelivered
        if line.event == "start" and (line.day, line.step) == (args.kill_day, args.kill_step)
    ]
    killed += [line for line in received if line.task_id not in {k.task_id for k in killed}]
    killed_ids = {line.task_id for line in killed}
    again = [
        line for line in a_lines if line.task_id in killed_ids and line.host == args.survivor and line.at > args.kill_at
    ]
    redelivered = {line.task_id for line in again if line.event == "start" and line.redelivered}
    finished_again = {line.task_id for line in again if line.event == "done"}
    late_lines = [line for line in a_lines if line.host == args.killed and line.at > args.kill_at + 0.5]
    redelivered_all = sorted({(line.day, line.step, line.chunk) for line in a_lines if line.redelivered})

    print()
    print("== cluster test summary")
    print(f"{'host':<9} {'address':<12} role")
    for item in args.host:
        host, _, rest = item.partition("=")
        address, _, role = rest.partition(" ")
        print(f"{host:<9} {address:<12} {role}")
    print()
    a_all, b_all = per_host(a_lines), per_host(b_lines)
    print(f"{'chunks run':<40} {'w1':>6} {'w2':>6}")
    print(f"{'copy A, before the kill':<40} {before_kill['w1']:>6} {before_kill['w2']:>6}")
    print(f"{'copy A, whole close':<40} {a_all['w1']:>6} {a_all['w2']:>6}")
    killed_step = (args.kill_day, args.kill_step)
    step = Counter(line.host for line in a_lines if line.event == "done" and (line.day, line.step) == killed_step)
    print(f"{'copy A, ' + args.kill_day + ' ' + args.kill_step:<40} {step['w1']:>6} {step['w2']:>6}")
    print(f"{'copy B (uninterrupted), whole close':<40} {b_all['w1']:>6} {b_all['w2']:>6}")
    print()
    for line in killed:
        how = "received, not started" if line.host == args.survivor else "started"
        print(
            f"in flight on {args.killed} at the kill ({how}): {line.day} {line.step} chunk {line.chunk} "
            f"(task {line.task_id[:8]})"
        )
    if args.seen_at_kill:
        print(f"seen in the database at the kill: {args.seen_at_kill}")
    print(f"redelivered chunks (day, step, chunk): {redelivered_all or 'none'}")
    for task_id in sorted(redelivered):
        start = next(x for x in again if x.task_id == task_id and x.event == "start")
        print(f"  task {task_id[:8]} started again on {args.survivor} {start.at - args.kill_at:.1f} s after the kill")
    for name, (code, seconds) in closes.items():
        print(f"close {name}: exit {code}, {seconds:.1f} s")
    print()
    header = "loans-ledger-dues-demands-steps (md5, 8 chars each)"
    print(f"{'book':<10} {'business date':<14} {'reconcile':>9}  {header}")
    for name, result in checks.items():
        print(
            f"{name:<10} {result.get('business_date', '?')!s:<14} {result.get('reconcile_mismatches', '-')!s:>9}  "
            f"{result.get('book', '?')}"
        )
    print(f"web: {args.web or 'not run'}")
    if args.timings:
        print(f"timings: {args.timings}")

    a, b = checks.get("A", {}), checks.get("B", {})
    verdicts = [
        (f"chunks ran on both worker hosts before the kill ({dict(before_kill)})", len(before_kill) == 2),
        (
            f"{args.killed} was killed with a chunk of {args.kill_day} {args.kill_step} in flight "
            "(started or received)",
            bool(killed),
        ),
        (f"no chunk ran on {args.killed} after the kill", not late_lines),
        (
            f"the chunk in flight was redelivered to {args.survivor} and finished there",
            bool(killed_ids) and killed_ids <= redelivered and killed_ids <= finished_again,
        ),
        ("both closes exited 0", bool(closes) and all(code == 0 for code, _ in closes.values())),
        (
            "both books closed through the 20th (business date 2027-06-21)",
            a.get("business_date") == b.get("business_date") == "2027-06-21",
        ),
        ("the 20th made interest overdue on the book", int(str(a.get("overdue_since_20th", 0))) > 0),
    ]
    for part in PARTS:
        same = bool(a.get(part)) and a.get(part) == b.get(part)
        verdicts.append((f"{part}: copy A (killed) equals copy B (uninterrupted)", same))
    for name in ("A", "B"):
        verdicts.append((f"reconciliation clean on {name}", checks.get(name, {}).get("reconcile_mismatches") == 0))
    for name in ("A", "B"):
        replica = checks.get(f"replica-{name}")
        if replica is not None:
            same = all(replica.get(p) == checks[name].get(p) for p in PARTS)
            verdicts.append((f"the replica's copy {name} equals the primary's", same))
    verdicts.append((f"web host: {args.web or 'not run'}", args.web.startswith("ok")))
    print()
    for label, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    failed = sum(1 for _, ok in verdicts if not ok)
    print(f"\ncluster: {len(verdicts) - failed} passed, {failed} failed")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
