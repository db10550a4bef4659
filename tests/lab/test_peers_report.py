"""IPv6, RPKI and BIMI reach the report through the registry alone: the JSON (valid against the
schema), the scores, and "measures nobody promised" when a statement promises none of them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest

from mailguard.core.model import Fulfilment, Promise, PromiseResult, ScanReport
from mailguard.render import json as render_json
from mailguard.render import markdown as render_markdown
from tests.conftest import run_scan

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "report.schema.json").read_text())


@pytest.fixture(scope="module")
def good(lab) -> ScanReport:
    return run_scan("good.test", lab.config())


def test_json_of_a_scan_holds_the_three_measures(good):
    doc = json.loads(render_json.render(good))
    jsonschema.validate(doc, SCHEMA)
    measures = {m["name"]: m for m in doc["measures"]}
    assert measures["ipv6"]["area"] == "domain" and measures["ipv6"]["status"] == "pass"
    assert measures["rpki"]["area"] == "domain" and measures["rpki"]["status"] == "pass"
    assert measures["bimi"]["area"] == "mail-authentication" and measures["bimi"]["status"] == "pass"
    assert all(f["evidence"] for m in ("ipv6", "rpki", "bimi") for f in measures[m]["findings"])


def test_the_areas_are_scored_with_them(good, lab):
    assert good.scores["domain"] == 100 and good.scores["mail-authentication"] == 100
    weak = run_scan("v6none.peers.test", lab.config(measures=("ipv6",)))
    assert weak.scores["domain"] == 0  # every IPv6 subtest failed


def test_a_statement_promising_none_of_them_still_gets_them(good):
    promise = PromiseResult(Promise("dmarc", "We use DMARC."), Fulfilment.UPHELD, "X", "upheld",
                            measures=("dmarc",))
    report = dataclasses.replace(good, promises=(promise,))
    text = render_markdown.render(report)
    section = text.split("## Measures nobody promised that still matter", 1)[1]
    for title in ("### IPv6", "### RPKI", "### BIMI"):
        assert title in section
    assert "### DMARC" not in section
