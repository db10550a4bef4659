"""The benchmark's DNS server, in its own process so that it does not share mailguard's CPU.

Serves the generated zone with a fixed delay per answer. A TXT question for
``stats.control.`` is answered with the number of questions seen so far (and not counted).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

import dns.message
import dns.rrset

from mailguard.lab.dns_server import LabDns, load_zone_text


class BenchDns(LabDns):
    def handle(self, query: dns.message.Message, transport: str) -> dns.message.Message | None:
        question = query.question[0] if query.question else None
        if question is not None and question.name.to_text() == "stats.control.":
            self.queries -= 1
            response = dns.message.make_response(query)
            response.answer.append(dns.rrset.from_text("stats.control.", 0, "IN", "TXT", f'"{self.queries}"'))
            return response
        return super().handle(query, transport)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("zone", type=Path)
    parser.add_argument("--host", default="127.0.0.153")
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--delay", type=float, default=0.02)
    args = parser.parse_args()
    zone = load_zone_text("test", args.zone.read_text())
    server = BenchDns([zone], host=args.host, port=args.port, delay=args.delay).start()
    print(f"ready {server.address}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
