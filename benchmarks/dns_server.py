"""The benchmark's DNS server, in its own process so that it does not share mailguard's CPU.

Serves the generated zone with a fixed delay per answer. A TXT question for
``stats.control.`` is answered with the number of questions seen so far (and not counted); one
for ``arrivals.control.`` with the time.monotonic() at which each question since the last such
question arrived (the machine's one monotonic clock, so the asking process can compare them with
its own), and the list is emptied.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

import dns.message
import dns.rrset

from mailguard.lab.dns_server import LabDns, load_zone_text

CONTROL = b"\x05stats\x07control\x00"
ARRIVALS = b"\x08arrivals\x07control\x00"


class BenchDns(LabDns):
    """The lab server, counting questions; ``handle`` is left alone so that the lab's fast path
    for plain queries answers (an overridden ``handle`` sees every query through dnspython)."""

    arrivals: list[float]

    def _answer_wire(self, data: bytes, transport: str) -> bytes | None:
        if CONTROL in data[12:12 + len(CONTROL)].lower():
            return self._control(data, "stats.control.", [str(self.queries)])
        if ARRIVALS in data[12:12 + len(ARRIVALS)].lower():
            times, self.arrivals = self.arrivals, []
            return self._control(data, "arrivals.control.", [f"{t:.6f}" for t in times] or ["none"])
        self.arrivals.append(time.monotonic())
        return super()._answer_wire(data, transport)

    @staticmethod
    def _control(data: bytes, name: str, strings: list[str]) -> bytes:
        response = dns.message.make_response(dns.message.from_wire(data))
        text = " ".join(f'"{s}"' for s in strings)
        response.answer.append(dns.rrset.from_text(name, 0, "IN", "TXT", text))
        return response.to_wire()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("zone", type=Path)
    parser.add_argument("--host", default="127.0.0.153")
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--delay", type=float, default=0.02)
    args = parser.parse_args()
    zone = load_zone_text("test", args.zone.read_text())
    server = BenchDns([zone], host=args.host, port=args.port, delay=args.delay)
    server.arrivals = []
    server.start()
    print(f"ready {server.address}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
