"""The IPv6 measure on the lab: name servers, mail servers and web servers, right and wrong in
each way, and "not tested" (never "fail") where nothing was observed about the domain."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from dataclasses import replace

import dns.name
import pytest

from mailguard.core.config import Config
from mailguard.core.model import Evidence, MeasureResult
from mailguard.lab import Lab, LabDns, LabSmtp, LabWeb, MailServer, Site
from mailguard.lab.http_server import pki_source
from mailguard.lab.web import site_routes
from mailguard.measures import ipv6
from mailguard.net import Net, RouteCheck
from mailguard.net.nsprobe import OK, REFUSED, TIMEOUT, NsObservation

pytestmark = pytest.mark.skipif(not socket.has_ipv6, reason="this machine has no IPv6 at all")


def run(config: Config, domain: str, *, routes: RouteCheck | None = None) -> MeasureResult:
    async def go() -> MeasureResult:
        net = Net(config, routes=routes)
        try:
            return await ipv6.run(net, domain, config)
        finally:
            await net.aclose()

    return asyncio.run(go())


def found(result: MeasureResult) -> dict[tuple[str, str], str]:
    """(code, subject) -> verdict."""
    return {(f.code, f.subject): f.verdict.value for f in result.findings}


def codes(result: MeasureResult) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in result.findings:
        out.setdefault(f.code, set()).add(f.verdict.value)
    return out


def test_good_test_is_on_ipv6_everywhere(lab):
    result = run(lab.config(), "good.test")
    assert result.status.value == "pass", [f.reason for f in result.findings]
    got = found(result)
    assert got[("IPV6-NS-AAAA", "ns1.good.test")] == "pass"
    assert got[("IPV6-NS-REACHABLE", "ns1.good.test @::1")] == "pass"
    assert got[("IPV6-MX-REACHABLE", "mx1.good.test @::1")] == "pass"
    assert got[("IPV6-MX-REACHABLE", "mx2.good.test @::1")] == "pass"
    assert got[("IPV6-WEB-REACHABLE", "www.good.test @::1")] == "pass"
    assert got[("IPV6-WEB-SAME", "good.test @::1")] == "pass"
    assert all(f.evidence for f in result.findings), "every finding carries its evidence"
    kinds = {e.kind for e in result.evidence}
    assert {"dns", "smtp", "http"} <= kinds
    ns_probe = next(f for f in result.findings if f.code == "IPV6-NS-REACHABLE").evidence[0]
    assert ns_probe.data["address"] == "::1" and ns_probe.data["status"] == "ok"
    assert result.data["name_servers"][0]["ipv6"] == ["::1"]


def test_every_role_right(lab):
    result = run(lab.config(), "v6ok.peers.test")
    assert codes(result) == {"IPV6-NS-AAAA": {"pass"}, "IPV6-NS-REACHABLE": {"pass"}, "IPV6-MX-AAAA": {"pass"},
                             "IPV6-MX-REACHABLE": {"pass"}, "IPV6-WEB-AAAA": {"pass"},
                             "IPV6-WEB-REACHABLE": {"pass"}, "IPV6-WEB-SAME": {"pass"}}
    same = next(f for f in result.findings if f.code == "IPV6-WEB-SAME")
    # the comparison rests on both fetches: one over IPv4, one over IPv6
    addresses = {e.data["request"]["address"] for e in same.evidence}
    assert addresses == {"127.0.4.2", "::1"}
    assert len(same.params["digest"]) == 16


def test_aaaa_missing_fails_for_each_role(lab):
    result = run(lab.config(), "v6none.peers.test")
    assert found(result) == {
        ("IPV6-NS-NO-AAAA", "ns.v6none.peers.test"): "fail",
        ("IPV6-MX-NO-AAAA", "mx.v6none.peers.test"): "fail",
        ("IPV6-WEB-NO-AAAA", "v6none.peers.test"): "fail",
        ("IPV6-WEB-NO-AAAA", "www.v6none.peers.test"): "fail",
    }
    missing = next(f for f in result.findings if f.code == "IPV6-MX-NO-AAAA")
    assert [e.data["query"]["type"] for e in missing.evidence] == ["A", "AAAA"]


def _closed_on_v6(*ports: int) -> bool:
    for port in ports:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            if sock.connect_ex(("::1", port)) == 0:
                return False
    return True


@pytest.fixture(scope="module")
def v4only(lab: Lab) -> Iterator[dict[str, int]]:
    """Servers for v6dead.peers.test that listen on IPv4 only, on ports that are closed on ::1."""
    assert lab.loop is not None and lab.signed is not None and lab.pki is not None and lab.files is not None
    now = lab.pki.now
    for _attempt in range(5):
        dns4 = LabDns(lab.signed.zones, host="127.0.0.1", dnssec=lab.signed.view).start(lab.loop)
        smtp4 = LabSmtp([MailServer("v4-only", "127.0.5.25", "mx.v6dead.peers.test")]).start(lab.loop)
        web4 = LabWeb([Site("v6dead.peers.test", ("127.0.5.43",), site_routes("v6dead.peers.test", now))],
                      pki_source(lab.pki), lab.files).start(lab.loop)
        if _closed_on_v6(dns4.port, smtp4.port, web4.https_port):
            break
        for server in (dns4, smtp4, web4):
            server.stop()
    yield {"dns_port": dns4.port, "smtp_port": smtp4.port, "https_port": web4.https_port,
           "http_port": web4.http_port}
    for server in (web4, smtp4, dns4):
        server.stop()


def test_aaaa_present_but_nothing_answers_on_it_fails_when_ipv4_answers(lab, v4only):
    started = time.monotonic()
    result = run(lab.config(**v4only), "v6dead.peers.test")
    got = found(result)
    assert got[("IPV6-NS-AAAA", "ns.v6dead.peers.test")] == "pass"
    assert got[("IPV6-NS-UNREACHABLE", "ns.v6dead.peers.test @::1")] == "fail"
    assert got[("IPV6-MX-UNREACHABLE", "mx.v6dead.peers.test @::1")] == "fail"
    assert got[("IPV6-WEB-UNREACHABLE", "v6dead.peers.test @::1")] == "fail"
    mail = next(f for f in result.findings if f.code == "IPV6-MX-UNREACHABLE")
    assert mail.params["v4"] == "127.0.5.25"
    # the failure rests on both observations: nothing over IPv6, a banner over IPv4
    smtp = [e for e in mail.evidence if e.kind == "smtp"]
    assert {e.data["address"] for e in smtp} == {"::1", "127.0.5.25"}
    assert next(e for e in smtp if e.data["address"] == "::1").data["status"] == "unreachable"
    dns_fail = next(f for f in result.findings if f.code == "IPV6-NS-UNREACHABLE")
    assert "refused" in dns_fail.reason
    assert time.monotonic() - started < 10  # closed ports answer at once: no timeouts waited out


def test_nothing_answering_anywhere_is_not_tested_never_fail(lab):
    closed = _free_port()
    config = lab.config(dns_port=closed, smtp_port=closed, https_port=closed, http_port=closed)
    result = run(config, "v6ok.peers.test")
    verdicts = codes(result)
    assert "fail" not in {v for vs in verdicts.values() for v in vs}
    assert verdicts["IPV6-NS-UNTESTED"] == {"not tested"}
    assert verdicts["IPV6-MX-UNTESTED"] == {"not tested"}
    assert verdicts["IPV6-WEB-UNTESTED"] == {"not tested"}
    assert verdicts["IPV6-WEB-AAAA"] == {"pass"}  # what the DNS says is still observed


def test_no_ipv6_route_from_here_is_not_tested(lab):
    result = run(lab.config(), "good.test", routes=RouteCheck(without={6}))
    verdicts = codes(result)
    assert verdicts["IPV6-NS-NO-ROUTE"] == {"not tested"}
    assert verdicts["IPV6-MX-NO-ROUTE"] == {"not tested"}
    assert verdicts["IPV6-WEB-NO-ROUTE"] == {"not tested"}
    assert "fail" not in {v for vs in verdicts.values() for v in vs}
    assert not any(c.endswith("REACHABLE") or c == "IPV6-WEB-SAME" for c in verdicts)  # nothing probed
    assert "no IPv6 from here" in next(f.reason for f in result.findings if f.code == "IPV6-MX-NO-ROUTE")
    assert result.data["no_ipv6_route"] == ["no IPv6 connectivity from this host"]


def test_other_content_over_ipv6_warns(lab):
    result = run(lab.config(), "v6diff.peers.test")
    diff = next(f for f in result.findings if f.code == "IPV6-WEB-DIFFERENT-CONTENT")
    assert diff.verdict.value == "warn"
    assert diff.params["digest4"] != diff.params["digest6"]
    assert codes(result)["IPV6-MX-NONE"] == {"info"}


def test_other_status_over_ipv6_fails(lab):
    result = run(lab.config(), "v6status.peers.test")
    diff = next(f for f in result.findings if f.code == "IPV6-WEB-DIFFERENT-STATUS")
    assert (diff.verdict.value, diff.params["code4"], diff.params["code6"]) == ("fail", 200, 503)


def test_null_mx_and_no_website_are_info(lab):
    result = run(lab.config(), "nomail.test")
    assert codes(result)["IPV6-MX-NONE"] == {"info"}
    assert codes(result)["IPV6-WEB-NONE"] == {"info"}


def test_failed_lookups_are_not_tested(lab):
    name = dns.name.from_text("mx.v6none.peers.test")
    lab.dns.silent.add(name)
    try:
        result = run(lab.config(timeout=0.3), "v6none.peers.test")
    finally:
        lab.dns.silent.discard(name)
    assert found(result)[("IPV6-MX-LOOKUP-FAILED", "mx.v6none.peers.test")] == "not tested"


def test_name_servers_of_the_enclosing_zone_are_used(lab):
    # bimigood.peers.test has no NS of its own: the zone's name server is checked
    result = run(lab.config(), "bimigood.peers.test")
    assert found(result)[("IPV6-NS-REACHABLE", "ns.peers.test @::1")] == "pass"


# -- the pure judgement of "answers for the domain" ----------------------------------------------------


def obs(status: str, rcode: str, owners: tuple[str, ...]) -> NsObservation:
    return NsObservation("ns.example", "::1", 53, "a.example.nl", "SOA", status, rcode, (), owners, "udp", 1.0, "",
                         Evidence("dns", "x"))


@pytest.mark.parametrize(("observation", "serves"), [
    (obs(OK, "NOERROR", ("a.example.nl",)), True),
    (obs(OK, "NOERROR", ("example.nl",)), True),  # the zone above, at the organizational domain
    (obs(OK, "NXDOMAIN", ("example.nl",)), True),
    (obs(OK, "NXDOMAIN", ("nl",)), False),  # a TLD's SOA: some resolver, not this zone's server
    (obs(OK, "NXDOMAIN", ("",)), False),  # the root's
    (obs(OK, "REFUSED", ()), False),
    (obs(OK, "SERVFAIL", ("example.nl",)), False),
    (obs(OK, "NOERROR", ("other.nl",)), False),
    (obs(OK, "NOERROR", ()), False),
    (obs(TIMEOUT, "", ()), False),
    (obs(REFUSED, "", ()), False),
])
def test_serves_zone(observation, serves):
    assert ipv6.serves_zone(observation, "a.example.nl") is serves


# -- the net layer: direct name server questions and the route check -------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
        sock.bind(("::1", 0))
        return int(sock.getsockname()[1])


def ask(config: Config, address: str, port: int) -> tuple[NsObservation, float]:
    async def go() -> tuple[NsObservation, float]:
        net = Net(config)
        try:
            started = time.monotonic()
            got = await net.ns.query("ns.test", address, "good.test", "SOA", port=port)
            return got, time.monotonic() - started
        finally:
            await net.aclose()

    return asyncio.run(go())


def test_name_server_answer_over_ipv6(lab):
    got, _ = ask(lab.config(), "::1", lab.dns.port)
    assert got.status == OK and got.rcode == "NOERROR" and "good.test" in got.soa_owners
    assert "rd" not in got.flags  # asked without recursion
    assert got.evidence.data["query"] == {"name": "good.test", "type": "SOA"}


def test_closed_port_is_refused_at_once(lab):
    got, took = ask(lab.config(timeout=5), "::1", _free_port())
    assert got.status == REFUSED and took < 4


def test_silent_server_times_out_within_the_timeout(lab):
    silent = LabDns((), host="::1", silent=["."]).start(lab.loop)
    try:
        got, took = ask(lab.config(timeout=0.5), "::1", silent.port)
    finally:
        silent.stop()
    assert got.status == TIMEOUT
    assert 0.4 < took < 3


class DropsFirst(LabDns):
    """Loses the first datagram it gets, as a network sometimes does."""

    def handle(self, query, transport):
        self.seen = getattr(self, "seen", 0) + 1
        return None if self.seen == 1 else super().handle(query, transport)


def test_one_lost_datagram_is_sent_again(lab):
    lossy = DropsFirst(lab.zones, host="::1").start(lab.loop)
    try:
        got, took = ask(lab.config(timeout=2.0), "::1", lossy.port)
    finally:
        lossy.stop()
    assert got.status == OK and "good.test" in got.soa_owners
    assert lossy.seen == 2 and took < 2.0


def test_address_outside_the_allowed_networks_is_not_contacted(lab):
    got, _ = ask(lab.config(), "2001:db8::53", 53)
    assert got.status == "blocked" and "not contacted" in got.error


def test_route_check():
    assert RouteCheck().route("::1") == ""
    assert RouteCheck().route("127.0.0.1") == ""
    assert RouteCheck(without={6}).route("::1") == "no IPv6 connectivity from this host"
    assert RouteCheck(without={6}).route("127.0.0.1") == ""


def test_route_check_is_what_the_net_carries(lab):
    net_config = replace(lab.config())

    async def go() -> str:
        net = Net(net_config, routes=RouteCheck(without={4}))
        try:
            return net.routes.route("127.0.0.1")
        finally:
            await net.aclose()

    assert asyncio.run(go()).startswith("no IPv4")
