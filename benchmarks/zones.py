"""Generate N lab domains with realistic, varied mail records for the batch benchmark.

Most domains use one of a few shared mail providers (the same SPF includes, as in real life),
some host their own mail, and a share is broken in the usual ways: two SPF records, an include
that does not exist, +all, p=none, no DMARC at all.
"""

from __future__ import annotations

import random

PROVIDERS = 5
DKIM_KEY = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxp1xUFJLm7odrLxEpk8K1wBPbjM0pZgDrAF5nkkHMMbUCZ1R8RL2nbCQVBBuSa8jq5yTT8kzxgC2fwHrXqe/jhmNJus7zK0rxKnE1SdwrG/YdilPZoCXIVPADyswyzqtM6pOyrOkBGGwzZ0XZBAjGkrfDBDC"
    "KNZUcXe0VobdT40dYJ8wbkTIcH5NqhiBFfOll7OEIYJDhfqqgwIBs3h2ekCyt7oMXFq405KeeobIrNQDBM8F6p4yxCn3Nx0V48n4ng7zXKfrBxaPh3dgcbIiX0fScEA/M0H8rPCX8yedJ0DRDMyMyySPYUm4E2HJfHAOzfAsxOnWqiz5fgmmW7bvfwIDAQAB"
)


def dkim_txt() -> str:
    text = f"v=DKIM1; k=rsa; p={DKIM_KEY}"
    return " ".join(f'"{text[i:i + 250]}"' for i in range(0, len(text), 250))


def provider_records() -> list[str]:
    lines = []
    for k in range(PROVIDERS):
        p = f"p{k}.test."
        lines += [
            f"mx1.{p} 3600 IN A 127.0.2.{k + 1}",
            f"mx2.{p} 3600 IN A 127.0.3.{k + 1}",
            f'_spf.{p} 3600 IN TXT "v=spf1 include:_nb.{p} ip4:127.0.{10 + k}.0/24 ~all"',
            f'_nb.{p} 3600 IN TXT "v=spf1 ip4:127.1.{k}.0/24 ip4:127.2.{k}.0/24 ip6:fd00:{k}::/48 ~all"',
        ]
    lines += [
        '*._report._dmarc.reports.test. 3600 IN TXT "v=DMARC1"',
    ]
    return lines


def domain_records(i: int, rng: random.Random) -> list[str]:
    d = f"d{i}.test."
    k = rng.randrange(PROVIDERS)
    lines = [f"{d} 3600 IN A 127.0.4.{i % 250 + 1}"]
    roll = rng.random()
    if roll < 0.6:
        lines += [f"{d} 3600 IN MX 10 mx1.p{k}.test.", f"{d} 3600 IN MX 20 mx2.p{k}.test."]
    elif roll < 0.9:
        lines += [f"{d} 3600 IN MX 10 mail.{d}", f"mail.{d} 3600 IN A 127.0.5.{i % 250 + 1}"]
    roll = rng.random()
    if roll < 0.7:
        lines.append(f'{d} 3600 IN TXT "v=spf1 include:_spf.p{k}.test -all"')
    elif roll < 0.8:
        lines.append(f'{d} 3600 IN TXT "v=spf1 a mx ~all"')
    elif roll < 0.85:
        lines += [f'{d} 3600 IN TXT "v=spf1 mx -all"', f'{d} 3600 IN TXT "v=spf1 a -all"']
    elif roll < 0.9:
        lines.append(f'{d} 3600 IN TXT "v=spf1 include:gone.{d} -all"')
    elif roll < 0.95:
        lines.append(f'{d} 3600 IN TXT "v=spf1 +all"')
    lines.append(f'{d} 3600 IN TXT "google-site-verification=abc{i}"')
    roll = rng.random()
    if roll < 0.6:
        policy = rng.choice(["reject", "quarantine"])
        lines.append(f'_dmarc.{d} 3600 IN TXT "v=DMARC1; p={policy}; rua=mailto:dmarc@{d[:-1]}"')
    elif roll < 0.8:
        lines.append(f'_dmarc.{d} 3600 IN TXT "v=DMARC1; p=none; rua=mailto:agg@reports.test"')
    roll = rng.random()
    if roll < 0.5:
        lines.append(f"selector1._domainkey.{d} 3600 IN TXT {dkim_txt()}")
    elif roll < 0.7:
        lines.append(f"google._domainkey.{d} 3600 IN TXT {dkim_txt()}")
    return lines


def critical_records() -> list[str]:
    """critical.test: the single-domain case, with a known longest chain of dependent queries.

    SOA, MX, TXT, _dmarc and the DKIM selectors are asked at once (1); MX -> A of the MX host (2);
    SPF: TXT critical.test (1) -> TXT _spf.p0.test (2) -> TXT _nb.p0.test (3);
    DMARC: _dmarc (1) -> authorization at critical.test._report._dmarc.reports.test (2).
    The longest chain is 3 round trips.
    """
    d = "critical.test."
    return [
        f"{d} 3600 IN A 127.0.4.1",
        f"{d} 3600 IN MX 10 mx1.p0.test.",
        f'{d} 3600 IN TXT "v=spf1 include:_spf.p0.test -all"',
        f'_dmarc.{d} 3600 IN TXT "v=DMARC1; p=reject; rua=mailto:agg@reports.test"',
        f"selector1._domainkey.{d} 3600 IN TXT {dkim_txt()}",
    ]


CRITICAL_CHAIN = 3


def zone_text(n: int, seed: int = 7) -> str:
    """One zone for the whole ``test.`` tree: N customer domains, the providers, critical.test.

    (One zone rather than one per domain: a zone holds one SOA, at its apex, so the domains'
    SOA questions get NODATA, which mailguard's preflight accepts as "the domain exists".)
    """
    rng = random.Random(seed)
    lines = ["$ORIGIN test.", "test. 3600 IN SOA ns.test. h.test. 1 7200 3600 1209600 300",
             "test. 3600 IN NS ns.test.", "ns.test. 3600 IN A 127.0.0.153"]
    lines += provider_records() + critical_records()
    for i in range(n):
        lines += domain_records(i, rng)
    return "\n".join(lines) + "\n"


def domain_names(n: int) -> list[str]:
    return [f"d{i}.test" for i in range(n)]
