"""The SPF tests' lab: the project's zones, reverse DNS for the ptr cases, and a silent name."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import dns.name

from mailguard.lab import Lab, load_zone_text
from mailguard.measures.spf import SpfResult, evaluate
from mailguard.measures.spf.lookups import parse_ip
from mailguard.net import Net

# 192.0.2.50 -> mail.ptr.spf.test (validates); .51 -> fake.ptr (its A is .98: does not validate);
# .61 -> ten names, the 10th validates (RFC 7208 §4.6.4: ten are used; the DNS shuffles the order,
# so which ten of more than ten is not testable here: see the pure test).
_TEN = "\n".join(f"61 PTR m{i}.ptr.spf.test." for i in range(1, 11))
REVERSE_V4 = f"""$TTL 300
@ SOA ns.spf.test. hostmaster.spf.test. 1 7200 3600 1209600 300
@ NS ns1.spf.test.
50 PTR mail.ptr.spf.test.
51 PTR fake.ptr.spf.test.
{_TEN}
"""
# 2001:db8:5::50 -> mail.ptr.spf.test
REVERSE_V6 = """$TTL 300
@ SOA ns.spf.test. hostmaster.spf.test. 1 7200 3600 1209600 300
@ NS ns1.spf.test.
0.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.5.0.0.0 PTR mail.ptr.spf.test.
"""
SILENT = "silent.spf.test"


def running_spf_lab() -> Iterator[Lab]:
    """The lab for a module-scoped ``spf_lab`` fixture: ``yield from running_spf_lab()``."""
    zones = [load_zone_text("2.0.192.in-addr.arpa", REVERSE_V4),
             load_zone_text("8.b.d.0.1.0.0.2.ip6.arpa", REVERSE_V6)]
    with Lab(extra_zones=zones) as running:
        assert running.dns is not None
        running.dns.silent.add(dns.name.from_text(SILENT))
        yield running


def check(lab: Lab, ip: str, sender: str, helo: str = "", **overrides: object) -> SpfResult:
    """Evaluate as a receiver would, on a fresh Net against the lab."""

    async def go() -> SpfResult:
        net = Net(lab.config(**overrides))
        try:
            return await evaluate(net, parse_ip(ip), sender, helo)
        finally:
            await net.aclose()

    return asyncio.run(go())
