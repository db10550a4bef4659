"""The lab DNS server's CPU per question. Not a test: run it by hand.

Starts the benchmark's DNS server (benchmarks/dns_server.py) on the batch benchmark's zone in a
process of its own, asks it the questions a scan of N domains asks (each once, as a batch does;
then all of them a second time, to show what repeats cost), from one UDP socket with many
questions in flight, and reports the server's CPU seconds per question (user + system, from
/proc) for each pass. Repeat with --runs; the machine's speed varies, so the median is reported.

    python benchmarks/lab_dns_cpu.py --domains 1000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import re
import select
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import zones  # noqa: E402
from batch_bench import Server, cpu_seconds  # noqa: E402

from mailguard.net.wire import encode_query  # noqa: E402

A, SOA, MX, TXT, AAAA, DS, DNSKEY = 1, 6, 15, 16, 28, 43, 48
IN_FLIGHT = 256
ANSWER_TIMEOUT = 5.0


def questions(text: str, n: int) -> list[tuple[str, int]]:
    """What a scan of the N domains asks: the records of each domain, then its MX hosts' addresses
    (each host once, as the scanner's cache asks them)."""
    asked: list[tuple[str, int]] = []
    for domain in zones.domain_names(n):
        asked += [(domain, SOA), (domain, MX), (domain, TXT), (domain, DNSKEY), (domain, DS)]
        asked += [(f"{prefix}.{domain}", TXT) for prefix in
                  ("_dmarc", "selector1._domainkey", "google._domainkey", "_mta-sts", "_smtp._tls",
                   "default._bimi")]
    hosts = dict.fromkeys(m.group(1) for m in re.finditer(r"^d\d+\.test\. \d+ IN MX \d+ (\S+)$", text, re.M))
    asked += [(host, rdtype) for host in hosts for rdtype in (A, AAAA)]
    return asked


def ask_all(host: str, port: int, asked: list[tuple[str, int]]) -> int:
    """Ask every question (DO, AD and RD set, as mailguard asks) with IN_FLIGHT outstanding;
    the number answered."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.connect((host, port))
    sock.setblocking(False)
    pending: set[int] = set()
    answered, following = 0, 0
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while following < len(asked) or pending:
        while following < len(asked) and len(pending) < IN_FLIGHT:
            qid = following & 0xFFFF
            name, rdtype = asked[following]
            sock.send(encode_query(qid, name, rdtype, dnssec=True, ad=True))
            pending.add(qid)
            following += 1
            deadline = time.monotonic() + ANSWER_TIMEOUT
        if not select.select([sock], [], [], max(0.0, deadline - time.monotonic()))[0]:
            break  # the rest are lost
        while True:
            try:
                data = sock.recv(65535)
            except BlockingIOError:
                break
            qid = int.from_bytes(data[:2], "big")
            if qid in pending:
                pending.discard(qid)
                answered += 1
    sock.close()
    return answered


def run_once(n: int, delay: float, host: str, port: int) -> dict[str, float]:
    text = zones.zone_text(n)
    asked = questions(text, n)
    with tempfile.TemporaryDirectory() as tmp:
        zone_file = Path(tmp) / "test.zone"
        zone_file.write_text(text)
        server = Server(zone_file, host, port, delay)
        try:
            result: dict[str, float] = {"questions": len(asked)}
            for label in ("unique", "repeat"):
                before = cpu_seconds(server.proc.pid)
                started = time.monotonic()
                answered = ask_all(host, port, asked)
                result[f"{label}_wall_s"] = round(time.monotonic() - started, 3)
                result[f"{label}_us_per_q"] = round((cpu_seconds(server.proc.pid) - before) / len(asked) * 1e6, 1)
                result[f"{label}_answered"] = answered
        finally:
            server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--host", default="127.0.0.153")
    parser.add_argument("--port", type=int, default=10053)
    args = parser.parse_args()
    runs = [run_once(args.domains, args.delay, args.host, args.port) for _ in range(args.runs)]
    for run in runs:
        print(json.dumps(run))
    summary = {f"median_{key}": statistics.median(r[key] for r in runs)
               for key in ("unique_us_per_q", "repeat_us_per_q")}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
