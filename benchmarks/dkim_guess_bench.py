"""DKIM questions per domain, guessing by provider (the default) against the long common list.

    .venv/bin/python benchmarks/dkim_guess_bench.py [N] [guess|batch]

A world of N lab domains (default 300): 50% hosted by Google Workspace (MX aspmx.l.google.com, SPF
include:_spf.google.com, key under "google"), 20% by Microsoft 365 (selector1), 10% Google plus a
Mailchimp key under k1 that no record names, 20% their own mail server (key under "default"). Every
domain is scanned with the DKIM measure twice on one Net per mode; the script prints the DNS
questions the whole scan asked per domain, and every domain whose keys differ between the modes.
Nothing leaves the machine: the lab's resolver answers for these names, no one else is asked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mailguard.app.scan import scan_domain  # noqa: E402
from mailguard.core.config import LOOPBACK_ONLY, Config  # noqa: E402
from mailguard.lab import Lab, load_zone_text  # noqa: E402
from mailguard.lab.dns_server import LabDns  # noqa: E402
from mailguard.net import Net  # noqa: E402

KEY = ("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzNuja55ImUv4squsbQzqXwOqxxPHPJq1YKdSBP"
       "hIiEDd6Wg5FSO6EWbnS0ZSK46gJ755uPpkThqkig+VZoDDAZIAEC2zFZTeqR3ngIMryMUxxlQUJE7exonPKRxcpc18MamhZLhT4F6V"
       "UPtyJa/82QoYfExT9/s+sdNrgMT3AfanSdHedLqLOqcVqCiQ63XJICmTqKj6SwTLSNlbCBFHyxN5wTwON6QCgK2D75pdaGcaUnuYUG"
       "bMHrIjjRra9lzNJ/H2l8klPB9zy+coDTCuiq5zzWkE7WyN54XmkO9FB/z/l/sxbq3ypiQKmPnnr3EfgQ7nQUnPp/em6uAFqPCViQIDAQAB")
TXT = f'"{KEY[:200]}" "{KEY[200:]}"'


def zone(n: int) -> str:
    rng = random.Random(19)
    lines = ["$TTL 300", "@ IN SOA ns1.guess.test. hostmaster.guess.test. 1 7200 3600 1209600 300",
             "@ IN NS ns1.guess.test.", "ns1 IN A 127.0.0.53"]
    for i in range(n):
        d, roll = f"d{i}", rng.random()
        if roll < 0.6:
            lines += [f"{d} IN MX 1 aspmx.l.google.com.", f'{d} IN TXT "v=spf1 include:_spf.google.com ~all"',
                      f"google._domainkey.{d} IN TXT {TXT}"]
            if roll >= 0.5:
                lines.append(f"k1._domainkey.{d} IN TXT {TXT}")
        elif roll < 0.8:
            lines += [f"{d} IN MX 0 {d}-nl.mail.protection.outlook.com.",
                      f'{d} IN TXT "v=spf1 include:spf.protection.outlook.com -all"',
                      f"selector1._domainkey.{d} IN TXT {TXT}"]
        else:
            lines += [f"{d} IN MX 10 mail.{d}.guess.test.", f"mail.{d} IN A 127.0.9.{i % 250 + 1}",
                      f'{d} IN TXT "v=spf1 mx -all"', f"default._domainkey.{d} IN TXT {TXT}"]
    return "\n".join(lines) + "\n"


async def scan_all(config, names):  # type: ignore[no-untyped-def]
    net = Net(config)
    try:
        reports = [await scan_domain(name, config, net=net) for name in names]
        return reports, net.dns.queries_sent
    finally:
        await net.aclose()


def findings_of(report) -> set[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    """Every finding as (measure, code, subject, verdict): what a reader acts on."""
    return {(m.name, f.code, f.subject, f.verdict.value) for m in report.measures for f in m.findings}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    world = sys.argv[2] if len(sys.argv) > 2 else "guess"
    if world == "batch":  # the project's batch benchmark world (benchmarks/zones.py)
        import zones
        names, extra = zones.domain_names(n), [load_zone_text("test", zones.zone_text(n))]
    else:
        names, extra = [f"d{i}.guess.test" for i in range(n)], [load_zone_text("guess.test", zone(n))]
    # The batch world is its own "test." zone: served alone, not beside the lab's.
    with (LabDns(extra) if world == "batch" else Lab(extra_zones=extra)) as lab:
        config = (Config(nameservers=((lab.host, lab.port),), allowed_networks=LOOPBACK_ONLY, timeout=3.0)
                  if isinstance(lab, LabDns) else lab.config())
        base = dataclasses.replace(config, measures=("mx", "spf", "dmarc", "dkim"), deadline=60.0)
        found, seen = {}, {}
        for mode in ("all", "provider"):
            reports, questions = asyncio.run(scan_all(dataclasses.replace(base, dkim_guess=mode), names))
            keys = {r.domain: sorted(next(m for m in r.measures if m.name == "dkim").data.get("usable", []))
                    for r in reports}
            found[mode] = keys
            seen[mode] = {r.domain: findings_of(r) for r in reports}
            print(f"--dkim-guess {mode}: {questions / n:.1f} DNS questions a domain (mx, spf, dmarc, dkim)")
        missed = {d: (found["all"][d], found["provider"][d]) for d in names if found["all"][d] != found["provider"][d]}
        print(f"domains whose keys differ: {len(missed)} of {n}")
        for d, (everything, shorter) in list(missed.items())[:5]:
            print(f"  {d}: all finds {everything}, provider finds {shorter}")
        differ = [d for d in names if seen["all"][d] != seen["provider"][d]]
        print(f"domains whose findings (measure, code, subject, verdict) differ: {len(differ)} of {n}")
        for d in differ[:5]:
            print(f"  {d}: only with all {sorted(seen['all'][d] - seen['provider'][d])}; "
                  f"only with provider {sorted(seen['provider'][d] - seen['all'][d])}")


if __name__ == "__main__":
    main()
