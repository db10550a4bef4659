"""Policy discovery, pure: the DMARCbis DNS Tree Walk (RFC 9989 §4.10) and RFC 7489 §6.6.3."""

from __future__ import annotations

import pytest

from mailguard.measures.dmarc.discovery import (
    TreeWalk,
    TxtLookup,
    downgrade_for_testing,
    receiver_view,
    rfc7489_discover,
    select_org_domain,
    walk_targets,
)
from mailguard.measures.dmarc.record import parse_record

# -- which names the walk asks ---------------------------------------------------------------


def test_walk_of_the_rfc_example_is_eight_queries():
    # RFC 9989 §4.10: "a.b.c.d.e.f.g.h.i.j.mail.example.com" needs exactly these eight queries
    assert walk_targets("a.b.c.d.e.f.g.h.i.j.mail.example.com") == (
        "a.b.c.d.e.f.g.h.i.j.mail.example.com", "g.h.i.j.mail.example.com", "h.i.j.mail.example.com",
        "i.j.mail.example.com", "j.mail.example.com", "mail.example.com", "example.com", "com")


@pytest.mark.parametrize(("domain", "count"), [
    ("example.com", 2), ("a.mail.example.com", 4), ("a.b.c.d.e.f.example", 7), ("a.b.c.d.e.f.g.example", 8),
    ("a.b.c.d.e.f.g.h.example", 8), ("l." * 40 + "example", 8),
])
def test_walk_never_asks_more_than_eight_names(domain, count):
    targets = walk_targets(domain)
    assert len(targets) == count
    assert targets[0] == domain and targets[-1] == domain.rsplit(".", 1)[-1]
    assert len(set(targets)) == len(targets)


def lookup(name, *texts, status="ok"):
    return TxtLookup(name, status if texts or status != "ok" else "nxdomain", texts)


def walk(domain, records, failing=()):
    """Drive a TreeWalk from a dict name -> TXT texts, as the measure's async loop does."""
    machine = TreeWalk(domain)
    asked = []
    while (name := machine.next_target()) is not None:
        asked.append(name)
        if name in failing:
            machine.feed(TxtLookup(name, "servfail"))
        else:
            machine.feed(lookup(name, *records.get(name, ())))
    return machine.result(), asked


# -- organizational domain and policy, from the RFC's own examples ----------------------------

def test_org_domain_is_the_record_with_fewest_labels():
    # RFC 9989 §4.10.2 example: records at mail.example.com and example.com -> example.com
    result, asked = walk("a.mail.example.com", {"mail.example.com": ["v=DMARC1; p=none"],
                                                "example.com": ["v=DMARC1; p=reject; sp=quarantine"]})
    assert asked == ["a.mail.example.com", "mail.example.com", "example.com", "com"]
    assert result.org_domain == "example.com"
    # the policy is the organizational domain's, not the nearer one's (§4.10.1)
    assert (result.policy_domain, result.source) == ("example.com", "organizational")


def test_psd_y_makes_the_name_below_it_the_org_domain_and_supplies_the_policy():
    # RFC 9989 §4.10.2 example: only _dmarc.com with psd=y -> example.com
    result, _ = walk("a.mail.example.com", {"com": ["v=DMARC1; p=reject; psd=y"]})
    assert result.org_domain == "example.com"
    assert (result.policy_domain, result.source) == ("com", "psd")


def test_psd_n_stops_the_walk_and_is_the_org_domain():
    result, asked = walk("x.unit.example.com", {"unit.example.com": ["v=DMARC1; p=reject; psd=n"],
                                                "example.com": ["v=DMARC1; p=none"]})
    assert asked == ["x.unit.example.com", "unit.example.com"]
    assert (result.org_domain, result.policy_domain) == ("unit.example.com", "unit.example.com")


def test_own_record_is_the_policy_even_below_an_org_domain():
    result, asked = walk("shop.example.com", {"shop.example.com": ["v=DMARC1; p=quarantine"],
                                              "example.com": ["v=DMARC1; p=reject"]})
    assert asked == ["shop.example.com", "example.com", "com"]  # the walk goes on for the org domain
    assert (result.policy_domain, result.source, result.org_domain) == ("shop.example.com", "domain",
                                                                        "example.com")


def test_several_records_at_one_name_are_discarded_and_the_walk_goes_on():
    result, _ = walk("two.example.com", {"two.example.com": ["v=DMARC1; p=reject", "v=DMARC1; p=none"],
                                         "example.com": ["v=DMARC1; p=reject; sp=quarantine"]})
    assert result.multiple == ("two.example.com",)
    assert (result.policy_domain, result.source) == ("example.com", "organizational")


def test_non_dmarc_txt_records_are_ignored():
    texts = ["v=spf1 -all", "p=reject; v=DMARC1", "v=DMARC1; p=reject"]
    result, _ = walk("example.com", {"example.com": texts})
    assert result.policy is not None and result.policy.text == "v=DMARC1; p=reject"


def test_nothing_found_leaves_the_domain_as_its_own_org_domain():
    result, _ = walk("a.example.com", {})
    assert result.policy is None and result.source == "" and result.org_domain == "a.example.com"


def test_failed_lookups_are_kept_for_the_judge():
    result, asked = walk("a.example.com", {"example.com": ["v=DMARC1; p=reject"]}, failing={"com"})
    assert [f.name for f in result.failed] == ["com"]
    assert result.policy_domain == "example.com"


def test_feeding_the_wrong_name_is_a_programming_error():
    machine = TreeWalk("a.example.com")
    with pytest.raises(ValueError):
        machine.feed(lookup("example.com"))


def test_select_org_domain_ignores_psd_y_at_the_start():
    from mailguard.measures.dmarc.discovery import Found

    assert select_org_domain("gov.example", (Found("gov.example", "v=DMARC1; psd=y", "y"),)) == (
        "gov.example", "the record with the fewest labels")


# -- RFC 7489 --------------------------------------------------------------------------------------

def test_rfc7489_own_record_then_org_domain():
    own = rfc7489_discover("a.example.co.uk", "example.co.uk", lookup("a.example.co.uk", "v=DMARC1; p=none"),
                           lookup("example.co.uk", "v=DMARC1; p=reject"))
    assert (own.policy_domain, own.source) == ("a.example.co.uk", "domain")
    inherited = rfc7489_discover("a.example.co.uk", "example.co.uk", lookup("a.example.co.uk"),
                                 lookup("example.co.uk", "v=DMARC1; p=reject"))
    assert (inherited.policy_domain, inherited.source) == ("example.co.uk", "organizational")
    assert [x.name for x in inherited.lookups] == ["a.example.co.uk", "example.co.uk"]


def test_rfc7489_several_records_end_discovery_without_fallback():
    result = rfc7489_discover("two.example.com", "example.com",
                              lookup("two.example.com", "v=DMARC1; p=reject", "v=DMARC1; p=none"),
                              lookup("example.com", "v=DMARC1; p=reject"))
    assert result.policy is None and result.multiple == ("two.example.com",)


def test_rfc7489_at_the_org_domain_itself_asks_once():
    result = rfc7489_discover("example.com", "example.com", lookup("example.com"), None)
    assert result.policy is None and len(result.lookups) == 1


# -- what receivers apply ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "bis", "rfc"), [
    ("v=DMARC1; p=reject", ("reject", "reject", "reject", ""), ("reject", "reject", "reject", "")),
    ("v=DMARC1; p=reject; sp=none; np=quarantine", ("reject", "none", "quarantine", ""),
     ("reject", "none", "none", "")),  # RFC 7489 knows no np
    ("v=DMARC1; p=quarantine; np=reject", ("quarantine", "quarantine", "reject", ""),
     ("quarantine", "quarantine", "quarantine", "")),
    # an invalid p (or sp/np) with a valid rua: act as p=none; without: no DMARC (RFC 9989 §4.10.1)
    ("v=DMARC1; p=rejected; rua=mailto:a@example.com", ("none", "none", "none", "invalid-none"),
     ("none", "none", "none", "invalid-none")),
    ("v=DMARC1; p=rejected", (None, None, None, "invalid-ignored"), (None, None, None, "invalid-ignored")),
    ("v=DMARC1; p=reject; sp=bogus; rua=mailto:a@example.com", ("none", "none", "none", "invalid-none"),
     ("none", "none", "none", "invalid-none")),
    # a missing p is p=none for DMARCbis; RFC 7489 requires p, so the invalid-record rule applies
    ("v=DMARC1; sp=reject", ("none", "reject", "reject", "missing-none"),
     (None, None, None, "invalid-ignored")),
])
def test_receiver_view(text, bis, rfc):
    record = parse_record(text)
    for dmarcbis, expected in ((True, bis), (False, rfc)):
        view = receiver_view(record, dmarcbis=dmarcbis)
        assert (view.p, view.sp, view.np, view.fallback) == expected


def test_which_tag_applies_to_the_scanned_domain():
    view = receiver_view(parse_record("v=DMARC1; p=reject; sp=quarantine; np=none"))
    assert view.for_domain("domain", True) == ("reject", "p")
    assert view.for_domain("organizational", True) == ("quarantine", "sp")
    assert view.for_domain("organizational", False) == ("none", "np")
    assert view.for_domain("psd", None) == ("quarantine", "sp")  # existence unknown: assume it exists


def test_testing_mode_applies_one_level_less():
    assert [downgrade_for_testing(p) for p in ("reject", "quarantine", "none", None)] == [
        "quarantine", "none", "none", None]
