#!/usr/bin/env python3
"""Check a Parley JSON log file: every line one valid JSON object in UTF-8
with the fixed fields first, in order:

    ts     RFC 3339 UTC with milliseconds, "2026-11-22T10:00:00.123Z"
    level  trace debug info warn error critical
    proc   non-empty string (== --proc when given)
    pid    positive integer
    sid    optional; when present, right after pid
    event  non-empty string
    msg    string

then the event's fields. NaN/Infinity are rejected (not JSON). A field
that repeats a key is reported in the summary, not failed; the fixed fields
are taken from their first occurrence.

Usage: check_json_log.py FILE [--proc NAME] [--min-lines N]
Exit status: 0 all lines good, 1 a bad line (each printed as FILE:LINE: why),
2 usage or unreadable file. Used by the unit and integration tests.
"""

import argparse
import collections
import datetime
import json
import re
import sys

LEVELS = ("trace", "debug", "info", "warn", "error", "critical")
TS = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")
FIXED_HEAD = ("ts", "level", "proc", "pid")
FIXED_TAIL = ("event", "msg")


class Pairs(list):
    """A JSON object as its (key, value) pairs, repeated keys kept."""


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def check_object(pairs, want_proc):
    """Returns (problem or None, dict of fixed fields, has duplicate keys)."""
    keys = [k for k, _ in pairs]
    fixed = {}
    for k, v in pairs:
        fixed.setdefault(k, v)
    head = list(FIXED_HEAD)
    if len(keys) > 4 and keys[4] == "sid":
        head.append("sid")
    order = head + list(FIXED_TAIL)
    if keys[: len(order)] != order:
        return f"fixed fields out of order: {keys[:len(order)]} (want {order})", fixed, False

    ts = fixed["ts"]
    if not isinstance(ts, str) or not TS.match(ts):
        return f"ts {ts!r} is not RFC 3339 UTC with milliseconds", fixed, False
    try:
        datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return f"ts {ts!r} is not a real time", fixed, False
    if fixed["level"] not in LEVELS:
        return f"level {fixed['level']!r} unknown", fixed, False
    proc = fixed["proc"]
    if not isinstance(proc, str) or not proc:
        return f"proc {proc!r} is not a non-empty string", fixed, False
    if want_proc is not None and proc != want_proc:
        return f"proc {proc!r}, want {want_proc!r}", fixed, False
    pid = fixed["pid"]
    if type(pid) is not int or pid <= 0:
        return f"pid {pid!r} is not a positive integer", fixed, False
    event = fixed["event"]
    if not isinstance(event, str) or not event:
        return f"event {event!r} is not a non-empty string", fixed, False
    if not isinstance(fixed["msg"], str):
        return f"msg {fixed['msg']!r} is not a string", fixed, False
    return None, fixed, len(set(keys)) != len(keys)


def check(path, want_proc, min_lines):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        print(f"check_json_log: {e}", file=sys.stderr)
        return 2
    if data and not data.endswith(b"\n"):
        print(f"{path}: last line has no newline (torn write?)", file=sys.stderr)
        return 1
    lines = data.split(b"\n")[:-1] if data else []

    bad = 0
    levels = collections.Counter()
    procs = collections.Counter()
    duplicates = 0
    for number, raw in enumerate(lines, 1):
        problem = None
        try:
            text = raw.decode("utf-8", errors="strict")
            pairs = json.loads(text, object_pairs_hook=Pairs, parse_constant=reject_constant)
            if not isinstance(pairs, Pairs):
                problem = "not a JSON object"
            else:
                problem, fixed, dup = check_object(pairs, want_proc)
        except UnicodeDecodeError as e:
            problem = f"not UTF-8: {e}"
        except ValueError as e:
            problem = f"not JSON: {e}"
        if problem:
            bad += 1
            if bad <= 20:
                print(f"{path}:{number}: {problem}: {raw[:200]!r}", file=sys.stderr)
            continue
        levels[fixed["level"]] += 1
        procs[fixed["proc"]] += 1
        duplicates += dup

    summary = ", ".join(f"{name}={levels[name]}" for name in LEVELS if levels[name])
    print(f"{path}: {len(lines)} lines, {bad} bad; levels: {summary or '-'}; "
          f"procs: {', '.join(sorted(procs)) or '-'}; lines with repeated keys: {duplicates}")
    if bad:
        return 1
    if len(lines) < min_lines:
        print(f"{path}: {len(lines)} lines, want at least {min_lines}", file=sys.stderr)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description="Check a Parley JSON log file.")
    parser.add_argument("file")
    parser.add_argument("--proc", help="every line's proc must be this")
    parser.add_argument("--min-lines", type=int, default=0, metavar="N")
    args = parser.parse_args()
    return check(args.file, args.proc, args.min_lines)


if __name__ == "__main__":
    sys.exit(main())
