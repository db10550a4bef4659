"""The HTTP seam against the lab's real HTTP(S) servers: hops, caps on size and time, the guard."""

from __future__ import annotations

import asyncio
import ipaddress
import time

import pytest

from mailguard.core.config import Config
from mailguard.lab.mail import ipv6_loopback
from mailguard.net import Net
from mailguard.net import http as seam
from mailguard.net.http import EXCHANGE_FACTOR, RedirectWalk, resolve_location


def fetch_all(config: Config, *calls):
    """Run ``net.http`` calls (coroutine factories taking the Net) on one fresh Net."""

    async def go():
        net = Net(config)
        try:
            return [await call(net) for call in calls], net.http.requests_sent
        finally:
            await net.aclose()

    return asyncio.run(go())


def one(config: Config, call):
    (response,), _ = fetch_all(config, call)
    return response


def test_https_fetch_with_evidence(lab):
    config = lab.config()
    response = one(config, lambda net: net.http.fetch("https://good.test/"))
    assert response.ok and response.code == 200 and response.verified
    assert response.address == "127.0.0.20" and response.port == config.https_port
    assert response.header("Strict-Transport-Security").startswith("max-age=63072000")
    assert response.media_type == "text/html"
    ev = response.evidence
    assert ev.kind == "http"
    assert ev.data["request"] == {"method": "GET", "url": "https://good.test/", "host": "good.test",
                                  "address": "127.0.0.20", "port": config.https_port}
    assert ["strict-transport-security", "max-age=63072000; includeSubDomains; preload"] in ev.data["headers"]
    assert "200 OK" in ev.summary and "@127.0.0.20:" in ev.summary


def test_virtual_hosts_on_one_address_get_their_own_certificate(lab):
    # good.test and www.good.test share 127.0.0.20: SNI picks the certificate, Host the site,
    # and no connection is reused across the two names.
    config = lab.config()
    (apex, www), sent = fetch_all(config, lambda net: net.http.fetch("https://good.test/"),
                                  lambda net: net.http.fetch("https://www.good.test/"))
    assert apex.verified and www.verified
    assert b"<h1>good.test</h1>" in apex.body and b"<h1>www.good.test</h1>" in www.body
    assert sent == 2


def test_each_address_is_fetched_as_asked(lab):
    if not ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    v6 = one(lab.config(), lambda net: net.http.fetch("https://v6.webcases.test/", address="::1"))
    assert v6.ok and v6.address == "::1" and v6.verified


@pytest.mark.parametrize(("host", "why"), [("expired", "expired"), ("wrongname", "mismatch"),
                                           ("selfsigned", "self"), ("untrusted", "issuer")])
def test_certificate_problems_are_a_status_and_insecure_fetch_still_sees(lab, host, why):
    url = f"https://{host}.webcases.test/"
    verified, insecure = fetch_all(lab.config(), lambda net: net.http.fetch(url),
                                   lambda net: net.http.fetch(url, verify=False))[0]
    assert verified.status == seam.CERTIFICATE and why in verified.error.lower()
    assert verified.code is None and not verified.verified
    assert insecure.ok and insecure.code == 200 and not insecure.verified


def test_cached_and_deduplicated(lab):
    async def twice(net):
        first, second = await asyncio.gather(net.http.fetch("https://good.test/"),
                                             net.http.fetch("https://good.test/"))
        third = await net.http.fetch("https://good.test/")
        return first is second is third

    (same,), sent = fetch_all(lab.config(), twice)
    assert same and sent == 1


def test_a_long_batch_forgets_the_least_recently_asked_exchanges(lab):
    """One Net serves a whole batch: its HTTP cache is bounded, and what it forgot is fetched anew."""
    urls = ["https://good.test/", "http://good.test/", "https://www.good.test/", "http://www.good.test/"]

    async def walk(net):
        net.http.cache.max_entries = 3
        for url in urls:
            await net.http.fetch(url)
        kept = len(net.http.cache)
        await net.http.fetch(urls[-1])          # the newest: still cached
        after_newest = net.http.requests_sent
        again = await net.http.fetch(urls[0])   # the oldest: forgotten, observed again
        return kept, after_newest, again

    ((kept, after_newest, again),), sent = fetch_all(lab.config(), walk)
    assert kept == 3 and after_newest == 4 and sent == 5
    assert again.ok and again.code == 200


def test_cached_bodies_are_bounded_by_bytes(lab):
    async def walk(net):
        first = await net.http.fetch("https://good.test/")
        net.http.cache.max_weight = len(first.body) + 10  # room for one body of this size, not two
        second = await net.http.fetch("https://www.good.test/")
        return len(first.body), len(second.body), len(net.http.cache), net.http.cache.weight

    ((first, second, entries, weight),), sent = fetch_all(lab.config(), walk)
    assert first > 10 and second > 10
    assert entries == 1 and weight == second and sent == 2


def test_redirects_are_followed_one_observed_hop_at_a_time(lab):
    chain = one(lab.config(), lambda net: net.http.follow("http://otherhost.webcases.test/"))
    assert chain.end == seam.FINAL
    assert [(h.url, h.code) for h in chain.hops] == [("http://otherhost.webcases.test/", 301),
                                                     ("https://landing.webcases.test/", 200)]
    assert [h.address for h in chain.hops] == ["127.0.2.5", "127.0.2.6"]  # resolved through our DNS
    assert len(chain.evidence) == 2


def test_redirect_loop_detected(lab):
    chain = one(lab.config(), lambda net: net.http.follow("http://loop.webcases.test/"))
    assert chain.end == seam.LOOP and chain.next_url == "http://loop.webcases.test/"
    assert len(chain.hops) == 2


def test_redirect_chain_capped(lab):
    chain = one(lab.config(), lambda net: net.http.follow("http://toomany.webcases.test/", max_hops=4))
    assert chain.end == seam.TOO_MANY and len(chain.hops) == 4
    assert chain.next_url == "http://toomany.webcases.test/4"


def test_endless_body_stops_at_the_cap(lab):
    started = time.monotonic()
    response = one(lab.config(), lambda net: net.http.fetch("https://endless.webcases.test/",
                                                            max_body=50_000))
    assert response.ok and response.truncated and len(response.body) == 50_000
    assert time.monotonic() - started < 10


def test_stalling_server_ends_at_the_timeout(lab):
    config = lab.config(timeout=0.5)
    started = time.monotonic()
    response = one(config, lambda net: net.http.fetch("https://stall.webcases.test/"))
    elapsed = time.monotonic() - started
    assert response.status == seam.TIMEOUT and response.code is None
    assert elapsed < 0.5 * EXCHANGE_FACTOR + 1.0


def test_dripping_server_ends_at_the_exchange_cap(lab):
    # a byte every 0.1 s: no single read waits past the timeout, the whole exchange does
    config = lab.config(timeout=0.5)
    started = time.monotonic()
    response = one(config, lambda net: net.http.fetch("https://drip.webcases.test/"))
    elapsed = time.monotonic() - started
    assert response.status == seam.TIMEOUT and "exchange" in response.error
    assert 0.5 * EXCHANGE_FACTOR - 0.1 < elapsed < 0.5 * EXCHANGE_FACTOR + 1.0


def test_refused_port(lab):
    response = one(lab.config(), lambda net: net.http.fetch("https://httponly.webcases.test/"))
    assert response.status == seam.REFUSED


def test_name_without_address(lab):
    response = one(lab.config(), lambda net: net.http.fetch("https://nothing.webcases.test/"))
    assert response.status == seam.NO_ADDRESS and response.evidence.data["dns"]


def test_address_guard_blocks_before_connecting(lab):
    config = lab.config(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))  # the resolver only
    (response,), sent = fetch_all(config, lambda net: net.http.fetch("https://good.test/",
                                                                     address="127.0.0.20"))
    assert response.status == seam.BLOCKED and sent == 0


def test_not_http_urls(lab):
    response = one(lab.config(), lambda net: net.http.fetch("ftp://example.test/"))
    assert response.status == seam.BAD_URL


@pytest.mark.parametrize(("base", "location", "expected"), [
    ("http://a.example/x/y", "/z", "http://a.example/z"),
    ("http://a.example/x/y", "z", "http://a.example/x/z"),
    ("http://a.example/", "https://b.example/#frag", "https://b.example/"),
    ("http://a.example/", "//b.example/p", "http://b.example/p"),
    ("http://a.example/", "javascript:alert(1)", None),
    ("http://a.example/", "ftp://b.example/", None),
    ("http://a.example/", "http://[::1/", None),
])
def test_resolve_location(base, location, expected):
    assert resolve_location(base, location) == expected


def test_redirect_walk_is_pure():
    walk = RedirectWalk("http://a.example/", max_hops=3)
    assert walk.next_url() == "http://a.example/"


def test_compressed_body_sent_unasked_is_decoded_within_the_cap(lab):
    # 1 MB of zeros gzipped is ~1 kB on the wire: the cap applies to what it expands to
    response = one(lab.config(), lambda net: net.http.fetch("https://gzip.webcases.test/", max_body=10_000))
    assert response.ok and response.truncated and response.body == b"a" * 10_000
