"""Where the default scan's CPU goes: profile `mailguard scan --domains-file` (every measure, as a
user runs it) on N domains of the benchmark world. Not a test.

    .venv/bin/python benchmarks/profile_full.py [--domains 1000] [--delay 0.02] [--out DIR]
        [--tool cprofile|py-spy] [--measure NAME ...]

The world is benchmarks/zones.py (shared provider includes, DKIM keys, broken records), served by
the benchmark's DNS server in its own process on 127.0.0.153 with ``--delay`` added to every
answer. Its mail and web hosts are loopback addresses where nothing listens, so the SMTP and HTTPS
probes end in a refused connection, as they do for the many domains whose hosts are down.

cProfile (the default) writes ``DIR/profile.pstats`` and prints the functions with the most own
time and the most cumulative time. py-spy (``pip install py-spy``) writes ``DIR/flame.svg``, a
flame graph, sampling the real process without slowing it.
"""

from __future__ import annotations

import argparse
import html
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import zones  # noqa: E402
from batch_bench import Server  # noqa: E402


def scan_argv(domains: Path, server: Server, measures: list[str]) -> list[str]:
    argv = ["-m", "mailguard", "scan", "--domains-file", str(domains), "--nameserver",
            f"{server.host}:{server.port}", "--allow-network", "127.0.0.0/8", "--format", "jsonl",
            "--quiet", "--concurrency", "100", "--timeout", "5", "--workers", "1"]
    for name in measures:
        argv += ["--measure", name]
    return argv


def print_widest(svg: Path, top: int) -> None:
    """The frames that hold the most samples (their share of the whole run), read from the flame
    graph's titles: ``name (module:line) (N samples, P%)``."""
    shares: dict[str, float] = {}
    for match in re.finditer(r"<title>(.*?) \(([\d,]+) samples?, ([\d.]+)%\)</title>", svg.read_text()):
        name = html.unescape(match.group(1))
        shares[name] = shares.get(name, 0.0) + float(match.group(3))
    for name, share in sorted(shares.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{share:6.2f}%  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--port", type=int, default=5354)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/profile"))
    parser.add_argument("--tool", choices=("cprofile", "py-spy", "none"), default="cprofile",
                        help="none: no profiler, just the rate and the questions a domain")
    parser.add_argument("--measure", action="append", default=[], help="only these measures")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "test.zone").write_text(zones.zone_text(args.domains))
        domains = work / "domains.txt"
        domains.write_text("\n".join(zones.domain_names(args.domains)) + "\n")
        server = Server(work / "test.zone", "127.0.0.153", args.port, args.delay)
        try:
            argv = scan_argv(domains, server, args.measure)
            if args.tool == "py-spy":
                spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
                command = [spy, "record", "--rate", "200", "-o", str(args.out / "flame.svg"), "--",
                           sys.executable, *argv]
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
        print_widest(args.out / "flame.svg", args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
