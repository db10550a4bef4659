from __future__ import annotations

import pytest

from mailguard.lab import Lab, load_zone_text
from mailguard.measures import mx
from tests.conftest import codes, run_measure

EXTRA = """$TTL 300
@ IN SOA ns.mxcases.test. h.mxcases.test. 1 2 3 4 5
@ IN NS ns.mxcases.test.
ns IN A 127.0.0.1
literal IN MX 10 127.0.0.9.
mixed IN MX 0 .
mixed IN MX 10 mail.mxcases.test.
mail IN A 127.0.0.9
nomx IN A 127.0.0.9
dead IN MX 10 slow.mxcases.test.
"""


@pytest.fixture(scope="module")
def mxlab():
    with Lab(extra_zones=[load_zone_text("mxcases.test", EXTRA)]) as running:
        running.dns.silent.add(__import__("dns.name").name.from_text("slow.mxcases.test"))
        yield running


def test_good_domain(lab):
    result = run_measure(mx, "good.test", lab.config())
    assert result.status.value == "pass"
    assert [h["host"] for h in result.data["hosts"]] == ["mx1.good.test", "mx2.good.test"]
    assert result.data["hosts"][0]["addresses"] == ["127.0.0.11", "::1"]  # good.test is on IPv6 too
    # every observation is kept as evidence: the MX query and A+AAAA per host
    assert len(result.evidence) == 5


def test_null_mx_is_understood(lab):
    result = run_measure(mx, "nomail.test", lab.config())
    assert codes(result) == {"MX-NULL": "info"}
    assert result.data["null_mx"] is True


def test_cname_and_missing_host_flagged(lab):
    found = codes(run_measure(mx, "broken.test", lab.config()))
    assert found["MX-HOST-CNAME"] == "warn"
    assert found["MX-HOST-NO-ADDRESS"] == "fail"


def test_ip_literal_flagged(mxlab):
    assert codes(run_measure(mx, "literal.mxcases.test", mxlab.config()))["MX-HOST-IP-LITERAL"] == "fail"


def test_null_mx_mixed_with_others_fails(mxlab):
    assert codes(run_measure(mx, "mixed.mxcases.test", mxlab.config()))["MX-NULL-MIXED"] == "fail"


def test_no_mx_is_info(mxlab):
    assert codes(run_measure(mx, "nomx.mxcases.test", mxlab.config())) == {"MX-NONE": "info"}


def test_host_lookup_timeout_is_not_tested_never_fail(mxlab):
    result = run_measure(mx, "dead.mxcases.test", mxlab.config(timeout=0.3))
    assert codes(result)["MX-HOST-UNTESTED"] == "not tested"
    assert result.status.value == "not tested"


LOOPING_MX = """$TTL 300
@    IN SOA ns1.loopmx.test. hostmaster.loopmx.test. 1 7200 3600 1209600 300
@    IN NS  ns1.loopmx.test.
ns1  IN A   127.0.0.53
@    IN MX  10 a.loopmx.test.
a    IN CNAME b.loopmx.test.
b    IN CNAME a.loopmx.test.
"""


def test_an_mx_target_whose_alias_loops_is_a_failure_of_the_mx_check_not_untested():
    from mailguard.lab import Lab
    from mailguard.lab.dns_server import load_zone_text
    from mailguard.measures import mx as mx_measure
    from tests.conftest import run_measure

    with Lab(extra_zones=[load_zone_text("loopmx.test", LOOPING_MX)]) as lab:
        result = run_measure(mx_measure, "loopmx.test", lab.config())
    codes = {f.code: f.verdict.value for f in result.findings}
    assert codes.get("MX-HOST-CNAME-LOOP") == "fail" and "MX-HOST-UNTESTED" not in codes


USES_BOGUS = """$TTL 300
@    IN SOA ns1.usesbogus.test. hostmaster.usesbogus.test. 1 7200 3600 1209600 300
@    IN NS  ns1.usesbogus.test.
ns1  IN A   127.0.0.53
@    IN MX  10 mail.bogus.test.
"""


def test_an_mx_host_whose_a_lookup_servfails_beside_an_empty_aaaa_is_not_tested_never_absent():
    # mail.bogus.test's A RRset is bogus: the validating resolver answers SERVFAIL, its AAAA is
    # NODATA. That is no proof the host has no address.
    from mailguard.lab import Lab
    from mailguard.lab.dns_server import load_zone_text
    from mailguard.measures import mx as mx_measure
    from tests.conftest import run_measure

    with Lab(extra_zones=[load_zone_text("usesbogus.test", USES_BOGUS)]) as lab:
        result = run_measure(mx_measure, "usesbogus.test", lab.config())
    codes = {f.code: f.verdict.value for f in result.findings}
    assert codes.get("MX-HOST-UNTESTED") == "not tested" and "MX-HOST-NO-ADDRESS" not in codes
