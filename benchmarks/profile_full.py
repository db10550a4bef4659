"""Where the default scan's CPU goes: profile `mailguard scan --domains-file` (every measure, as a
user runs it) on N domains of the benchmark world. Not a test.

    .venv/bin/python benchmarks/profile_full.py [--domains 1000] [--delay 0.02] [--out DIR]
        [--tool cprofile|py-spy|py-spy-raw|none] [--measure NAME ...] [--workers N]

The world is benchmarks/zones.py (shared provider includes, DKIM keys, broken records), served by
the benchmark's DNS server in its own process on 127.0.0.153 with ``--delay`` added to every
answer. Its mail and web hosts are loopback addresses where nothing listens, so the SMTP and HTTPS
probes end in a refused connection, as they do for the many domains whose hosts are down.

cProfile (the default) writes ``DIR/profile.pstats`` and prints the functions with the most own
time and the most cumulative time. py-spy (``pip install py-spy``) samples the real process
without slowing it: ``--tool py-spy`` writes ``DIR/flame.svg``, a flame graph; ``--tool
py-spy-raw`` writes the collapsed stacks (``DIR/stacks.txt``, the input of any flame graph tool)
and prints the CPU's split by layer (DNS, TLS, SMTP, HTTP, rendering, ...) and by measure, then
each function's share of the samples, on the stack and as its own time. The scan runs
with ``--workers 1`` unless ``--workers`` says otherwise: one process to profile.
"""

from __future__ import annotations

import argparse
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import zones  # noqa: E402
from batch_bench import Server, compile_mailguard  # noqa: E402


def scan_argv(domains: Path, server: Server, measures: list[str], workers: int) -> list[str]:
    argv = ["-m", "mailguard", "scan", "--domains-file", str(domains), "--nameserver",
            f"{server.host}:{server.port}", "--allow-network", "127.0.0.0/8", "--format", "jsonl",
            "--quiet", "--concurrency", "100", "--timeout", "5", "--workers", str(workers)]
    for name in measures:
        argv += ["--measure", name]
    return argv


def print_stacks(path: Path, top: int) -> None:
    """From collapsed stacks (``frame;frame;... count``): each function's share of the samples
    with it anywhere on the stack (counted once per stack, so recursion is not counted twice),
    and its share as the innermost frame (its own time)."""
    total, inclusive, own = 0, Counter[str](), Counter[str]()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]  # a function, not a line
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    for title, table in (("with the function on the stack", inclusive), ("own time", own)):
        print(f"-- {title} (of {total:,} samples)")
        for frame, count in table.most_common(top):
            print(f"{100 * count / total:6.2f}%  {frame}")


# Where a sample's CPU went, by the first of these found walking its stack from the innermost
# frame outwards (so dnspython called from the DANE measure counts as DNS, a TLS handshake made
# for an HTTPS fetch as TLS).
LAYERS = (
    ("start-up (imports)", ("<frozen importlib._bootstrap>",)),
    ("rendering and writing reports", ("mailguard/render/", "mailguard/app/output.py",
                                       "mailguard/app/publish.py", "orjson", "json/")),
    ("TLS handshakes and certificates", ("mailguard/net/tls.py", "mailguard/net/certs.py", "ssl.py",
                                         "cryptography/", "mailguard/measures/tlseval.py")),
    ("SMTP", ("mailguard/net/smtp.py",)),
    ("HTTP", ("mailguard/net/http.py", "mailguard/net/fetch.py", "httpx/", "httpcore/", "h11/")),
    ("DNS questions and answers", ("mailguard/net/dns.py", "mailguard/net/udpmux.py",
                                   "mailguard/net/wire.py", "dns/")),
    ("promises (statement and profile)", ("mailguard/promises/",)),
    ("measures' own logic (parsing, judging)", ("mailguard/measures/",)),
    ("scan orchestration", ("mailguard/app/", "mailguard/core/", "mailguard/net/")),
)


def layer_of(frames: list[str]) -> str:
    if any("_find_and_load" in f for f in frames):  # anything an import runs is start-up
        return LAYERS[0][0]
    for frame in reversed(frames):
        for name, marks in LAYERS[1:]:
            if any(mark in frame for mark in marks):
                return name
        if frame.startswith(("Handle._run ", "BaseEventLoop._run_once ")):
            break  # what runs a callback, not a callback's own work
    return "event loop (asyncio's own work)"


def measure_of(frames: list[str]) -> str:
    """The measure a sample works for: the outermost frame in mailguard/measures/."""
    for frame in frames:
        match = re.search(r"mailguard/measures/(\w+)", frame)
        if match and match.group(1) not in ("__init__", "_checks", "score"):
            return match.group(1)
    return "(no measure: start-up, orchestration, promises, rendering)"


def print_areas(path: Path) -> None:
    """Each sample counted once: by layer (innermost match) and by measure (outermost)."""
    total, layers, measures = 0, Counter[str](), Counter[str]()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        total += int(count)
        layers[layer_of(frames)] += int(count)
        measures[measure_of(frames)] += int(count)
    for title, table in (("by layer", layers), ("by measure", measures)):
        print(f"-- CPU {title} (of {total:,} samples)")
        for name, count in table.most_common():
            print(f"{100 * count / total:6.2f}%  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--port", type=int, default=5354)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/profile"))
    parser.add_argument("--tool", choices=("cprofile", "py-spy", "py-spy-raw", "none"), default="cprofile",
                        help="py-spy: a flame graph (flame.svg); py-spy-raw: collapsed stacks (stacks.txt) "
                             "and the functions with the most samples; none: just the rate and the questions")
    parser.add_argument("--measure", action="append", default=[], help="only these measures")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--workers", type=int, default=1,
                        help="scanning processes (1, the default, is one process to profile; py-spy follows "
                             "workers only with its --subprocesses, which this script does not pass)")
    args = parser.parse_args()
    compile_mailguard()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "test.zone").write_text(zones.zone_text(args.domains))
        domains = work / "domains.txt"
        domains.write_text("\n".join(zones.domain_names(args.domains)) + "\n")
        server = Server(work / "test.zone", "127.0.0.153", args.port, args.delay)
        try:
            argv = scan_argv(domains, server, args.measure, args.workers)
            if args.tool.startswith("py-spy"):
                spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
                target = ["-o", str(args.out / "flame.svg")] if args.tool == "py-spy" else \
                    ["--format", "raw", "-o", str(args.out / "stacks.txt")]
                command = [spy, "record", "--rate", "200", *target, "--", sys.executable, *argv]
            elif args.tool == "cprofile":
                command = [sys.executable, "-m", "cProfile", "-o", str(args.out / "profile.pstats"), *argv]
            else:
                command = [sys.executable, *argv]
            before = server.queries()
            started = time.monotonic()
            with (work / "out.jsonl").open("w") as out:
                code = subprocess.run(command, stdout=out, stderr=subprocess.DEVNULL, check=False).returncode
            wall = time.monotonic() - started
            lines = sum(1 for _ in (work / "out.jsonl").open())
            asked = server.queries() - before
        finally:
            server.stop()
    rate = f"{lines / wall:.1f} domains/s, under {args.tool}"
    print(f"{lines:,} reports in {wall:.1f} s ({rate}); {asked / max(lines, 1):.1f} DNS questions a domain; "
          f"exit {code}")
    if args.tool == "cprofile":
        stats = pstats.Stats(str(args.out / "profile.pstats"))
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
    elif args.tool == "py-spy":
        print(f"flame graph: {args.out / 'flame.svg'}")
    elif args.tool == "py-spy-raw":
        print_areas(args.out / "stacks.txt")
        print_stacks(args.out / "stacks.txt", args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
