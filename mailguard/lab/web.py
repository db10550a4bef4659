"""The lab's web hosts: which address serves what, right or wrong in each way the issues name.

The demo zones point here: good.test and www.good.test (127.0.0.20) are right in every way,
weak.test (127.0.0.23/24) is lax (temporary redirect, short HSTS, no headers, no security.txt,
TLS 1.0 where OpenSSL allows it, a plain page on www), broken.test (127.0.0.26/27) is wrong
(expired and wrong-name certificates, a login form over plain http, a redirect loop, an expired
security.txt). ``webcases.test`` (127.0.2.x) holds one website case per subdomain,
``stscases.test`` one MTA-STS case per subdomain, all of their policy hosts on 127.0.3.1 told
apart by SNI and Host.
"""

from __future__ import annotations

import gzip
import ssl
from collections.abc import Mapping
from datetime import datetime, timedelta

from .http_server import (
    EXPIRED,
    NOT_FOUND,
    OTHER_CA,
    SELF_SIGNED,
    UNTRUSTED,
    WRONG_NAME,
    Reply,
    Route,
    Site,
    page,
    redirect,
    text,
)
from .mail import ipv6_loopback

HSTS_GOOD = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload")
HARDENED = (
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
HOME = "<!doctype html><title>{name}</title><h1>{name}</h1><p>Welcome.</p>"
LOGIN = ("<!doctype html><title>log in</title><form method=post action=/login>"
         "<input type=email name=email><input type=password name=password>"
         "<input type=hidden name=csrf value=x><button>log in</button></form>")
STS_POLICY_MEDIA = "text/plain; charset=utf-8"
STS_ADDRESS = "127.0.3.1"
V6: tuple[str, ...] = ("::1",) if ipv6_loopback() else ()


def security_txt(expires: datetime, contact: str = "mailto:security@good.test") -> str:
    return (f"# security contact\nContact: {contact}\nExpires: {expires:%Y-%m-%dT%H:%M:%SZ}\n"
            "Preferred-Languages: nl, en\n")


def site_routes(name: str, now: datetime, *, hsts: tuple[str, str] | None = HSTS_GOOD,
                headers: tuple[tuple[str, str], ...] = HARDENED,
                sectxt: str | None = "ok") -> dict[str, Route]:
    """A host's https routes: its front page with the given headers, and a security.txt."""
    sent = ((hsts,) if hsts else ()) + headers
    routes: dict[str, Route] = {"/": page(HOME.format(name=name), *sent),
                                "*": Reply(404, (*sent, ("Content-Type", "text/html")), b"not found")}
    if sectxt == "ok":
        routes["/.well-known/security.txt"] = text(security_txt(now + timedelta(days=180),
                                                                f"mailto:security@{name}"), *sent)
    elif sectxt == "expired":
        routes["/.well-known/security.txt"] = text(security_txt(now - timedelta(days=30),
                                                                f"mailto:security@{name}"), *sent)
    return routes


def sts_policy(mode: str, mx: tuple[str, ...], max_age: int = 1209600) -> str:
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"]
    return "\r\n".join(lines) + "\r\n"


def policy_site(name: str, address: str, body: str | Reply, *, cert: str = "valid") -> Site:
    reply = body if isinstance(body, Reply) else text(body, content_type=STS_POLICY_MEDIA)
    return Site(name, (address,), {"/.well-known/mta-sts.txt": reply, "*": NOT_FOUND}, cert=cert)


def demo_sites(now: datetime) -> list[Site]:
    return [
        # good.test is on IPv6 too (::1, where this machine has it), with the same pages.
        Site("good.test", ("127.0.0.20", *V6), site_routes("good.test", now)),
        Site("www.good.test", ("127.0.0.20", *V6), site_routes("www.good.test", now)),
        policy_site("mta-sts.good.test", "127.0.0.22",
                    sts_policy("enforce", ("mx1.good.test", "mx2.good.test"))),
        Site("weak.test", ("127.0.0.23",),
             site_routes("weak.test", now, hsts=("Strict-Transport-Security", "max-age=86400"),
                         headers=(), sectxt=None),
             http={"*": redirect("https://weak.test/", 302)}, min_tls=ssl.TLSVersion.TLSv1),
        Site("www.weak.test", ("127.0.0.24",),
             site_routes("www.weak.test", now, hsts=("Strict-Transport-Security", "max-age=86400"),
                         headers=(), sectxt=None),
             http={"*": page(HOME.format(name="www.weak.test"))}),
        policy_site("mta-sts.weak.test", "127.0.0.25", sts_policy("testing", ("mail.weak.test",), 86400)),
        Site("broken.test", ("127.0.0.26",), site_routes("broken.test", now, sectxt="expired"),
             http={"*": page(LOGIN)}, cert=EXPIRED),
        Site("www.broken.test", ("127.0.0.27",), site_routes("www.broken.test", now, hsts=None),
             http={"/": redirect("http://www.broken.test/home"), "*": redirect("http://www.broken.test/")},
             cert=WRONG_NAME),
        policy_site("mta-sts.broken.test", "127.0.0.28",
                    redirect("https://elsewhere.broken.test/.well-known/mta-sts.txt")),
        # the demo company ixstudios.example: a site builder's hosting, HSTS but few other headers
        Site("ixstudios.example", ("127.0.6.20",),
             site_routes("ixstudios.example", now, headers=HARDENED[1:2], sectxt=None)),
        Site("www.ixstudios.example", ("127.0.6.20",),
             site_routes("www.ixstudios.example", now, headers=HARDENED[1:2], sectxt=None)),
    ]


def case_sites(now: datetime) -> list[Site]:
    """webcases.test: one website case per subdomain."""

    def case(label: str, address: str, **kwargs: object) -> Site:
        name = f"{label}.webcases.test"
        https = kwargs.pop("https", None) or site_routes(name, now)
        return Site(name, (address,), https, **kwargs)  # type: ignore[arg-type]

    def n(label: str) -> str:
        return f"{label}.webcases.test"

    chain: dict[str, Route] = {"*": lambda path: redirect(f"http://{n('toomany')}/{_next_step(path)}")}
    return [
        case("good", "127.0.2.21"),
        case("expired", "127.0.2.1", cert=EXPIRED),
        case("wrongname", "127.0.2.2", cert=WRONG_NAME),
        case("selfsigned", "127.0.2.3", cert=SELF_SIGNED),
        case("untrusted", "127.0.2.23", cert=UNTRUSTED),
        case("noredirect", "127.0.2.4", http={"*": page(HOME.format(name="no redirect"))}),
        case("otherhost", "127.0.2.5", http={"*": redirect(f"https://{n('landing')}/")}),
        case("landing", "127.0.2.6"),
        case("loop", "127.0.2.7", http={"/": redirect(f"http://{n('loop')}/a"),
                                        "*": redirect(f"http://{n('loop')}/")}),
        # httpsloop: https redirects in a circle, every 301 with HSTS and the hardening headers,
        # so a check that judged the redirect instead of a page would pass
        case("httpsloop", "127.0.2.27",
             https={"/": redirect(f"https://{n('httpsloop')}/a", 301, HSTS_GOOD, *HARDENED),
                    "*": redirect(f"https://{n('httpsloop')}/", 301, HSTS_GOOD, *HARDENED)},
             http={"*": redirect(f"https://{n('httpsloop')}/", 301)}),
        case("hstsshort", "127.0.2.8",
             https=site_routes(n("hstsshort"), now, hsts=("Strict-Transport-Security", "max-age=600"))),
        case("hstsmissing", "127.0.2.9", https=site_routes(n("hstsmissing"), now, hsts=None)),
        case("tls10", "127.0.2.10", min_tls=ssl.TLSVersion.TLSv1),
        case("sectxtmissing", "127.0.2.11", https=site_routes(n("sectxtmissing"), now, sectxt=None)),
        case("sectxtexpired", "127.0.2.12", https=site_routes(n("sectxtexpired"), now, sectxt="expired")),
        case("caaforbid", "127.0.2.13"),
        case("plainform", "127.0.2.14", http={"*": page(LOGIN)}),
        case("stall", "127.0.2.15", https={"*": Reply(stall=True)}, http={"*": Reply(stall=True)}),
        case("drip", "127.0.2.26", https={"*": Reply(200, (("Content-Type", "text/html"),), drip=0.1)}),
        case("endless", "127.0.2.16", https={"*": Reply(200, (("Content-Type", "text/html"),), b"x" * 1000,
                                                        endless=True)}),
        case("temporary", "127.0.2.17", http={"*": redirect(f"https://{n('temporary')}/", 307)}),
        case("toomany", "127.0.2.18", http=chain),
        case("httponly", "127.0.2.19", serve_https=False, http={"*": page(HOME.format(name="http only"))}),
        case("hstsplain", "127.0.2.20", http={"*": redirect(f"https://{n('hstsplain')}/", 301, HSTS_GOOD)}),
        case("caacritical", "127.0.2.24"),
        # caaother: CAA names the lab CA's domain, but the certificate comes from another (trusted)
        # CA whose CAA identity nobody configured: "not tested", never "forbidden"
        case("caaother", "127.0.2.28", cert=OTHER_CA),
        case("gzip", "127.0.2.25", https={"*": Reply(200, (("Content-Type", "text/plain"),
                                                           ("Content-Encoding", "gzip")),
                                                     gzip.compress(b"a" * 1_000_000))}),
        Site(n("v6"), ("127.0.2.22", "::1") if ipv6_loopback() else ("127.0.2.22",),
             site_routes(n("v6"), now)),
    ]


def _next_step(path: str) -> str:
    step = path.strip("/")
    return str(int(step) + 1) if step.isdigit() else "1"


def sts_sites() -> list[Site]:
    """stscases.test: one MTA-STS policy case per subdomain, all on one address (SNI)."""

    def host(label: str) -> str:
        return f"mta-sts.{label}.stscases.test"

    def mx(label: str) -> tuple[str, ...]:
        return (f"mx.{label}.stscases.test",)

    oversized = sts_policy("enforce", mx("oversized")) + "".join(
        f"mx: filler{i}.stscases.test\r\n" for i in range(4000))
    cases: Mapping[str, str | Reply] = {
        "good": sts_policy("enforce", ("*.good.stscases.test",)),
        "testing": sts_policy("testing", mx("testing")),
        "none": sts_policy("none", (), 86400),
        "badsyntax": "version: STSv1\r\nmode: always\r\nmx mx.badsyntax.stscases.test\r\nmax_age: soon\r\n",
        "mxmismatch": sts_policy("enforce", ("mail.elsewhere.example",)),
        "oversized": oversized,
        "redirect": redirect(f"https://{host('good')}/.well-known/mta-sts.txt"),
        "mediatype": page(sts_policy("enforce", mx("mediatype")).replace("\r\n", "<br>\r\n")),
        "notfound": NOT_FOUND,
        "twotxt": sts_policy("enforce", mx("twotxt")),
        "notxt": sts_policy("enforce", mx("notxt")),
    }
    sites = [policy_site(host(label), STS_ADDRESS, body) for label, body in cases.items()]
    sites.append(policy_site(host("badcert"), STS_ADDRESS, sts_policy("enforce", mx("badcert")),
                             cert=WRONG_NAME))
    return sites


def lab_sites(now: datetime) -> list[Site]:
    return demo_sites(now) + case_sites(now) + sts_sites()
