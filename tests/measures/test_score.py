"""Scores per area and overall, as internet.nl scores its subtests (pure tables)."""

from __future__ import annotations

import pytest

from mailguard.core.model import Area, Finding, MeasureResult, Verdict
from mailguard.measures.score import measure_score, percent, scores, subtests

P, W, F, INFO, N = Verdict.PASS, Verdict.WARN, Verdict.FAIL, Verdict.INFO, Verdict.NOT_TESTED


def measure(
    name: str,
    area: Area,
    *checks: tuple[str, Verdict] | tuple[str, Verdict, str],
    data: dict[str, object] | None = None,
) -> MeasureResult:
    findings = tuple(
        Finding(code=f"X-{c[0]}", check=c[0], verdict=c[1], reason="r", subject=c[2] if len(c) > 2 else "")
        for c in checks
    )
    return MeasureResult(name, name.upper(), area, P, findings, data=data or {})


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ([("a", P)], 100),
        ([("a", F)], 0),
        ([("a", P), ("b", F)], 50),
        ([("a", P), ("b", W)], 60),  # warn earns 2 of 10 points, as internet.nl's partial
        ([("a", W)], 20),
        ([("a", P), ("b", INFO)], 100),  # info is not scored at all
        ([("a", P), ("b", N)], 100),  # not tested leaves the denominator
        ([("a", F), ("b", N)], 0),
        ([("a", P), ("b", P), ("c", F)], 67),
        ([("a", P, "mx1"), ("a", F, "mx2")], 0),  # several subjects: the lowest counts
        ([("a", P, "mx1"), ("a", W, "mx2"), ("b", P)], 60),
        ([("a", P, "mx1"), ("a", N, "mx2")], 100),  # an untested subject does not drag down
    ],
)
def test_measure_score_table(checks, expected):
    assert percent(measure_score(measure("m", Area.MAIL_AUTH, *checks))) == expected


@pytest.mark.parametrize("checks", [[], [("a", INFO)], [("a", N)], [("a", INFO), ("b", N)]])
def test_nothing_scored_means_no_score_not_zero(checks):
    m = measure("m", Area.MAIL_AUTH, *checks)
    assert measure_score(m) is None
    assert scores([m]) == {}


def test_area_is_the_plain_average_of_its_measures_whatever_their_size():
    # internet.nl: "category X 30/40 and Y 100/100 -> 87.5%": each category counts equally.
    x = measure("x", Area.MAIL_AUTH, *[(f"c{i}", P) for i in range(3)], ("c3", F))
    y = measure("y", Area.MAIL_AUTH, ("only", P))
    assert scores([x, y]) == {"mail-authentication": 88, "overall": 88}


def test_overall_averages_areas_and_keeps_area_order():
    web = measure("web", Area.WEBSITE, ("a", F))
    auth = measure("spf", Area.MAIL_AUTH, ("a", P))
    transport = measure("tls", Area.MAIL_TRANSPORT, ("a", P), ("b", W))
    result = scores([web, auth, transport])
    assert list(result) == ["mail-authentication", "mail-transport", "website", "overall"]
    assert result == {"mail-authentication": 100, "mail-transport": 60, "website": 0, "overall": 53}


def test_an_area_with_only_untested_measures_is_left_out_of_overall():
    auth = measure("spf", Area.MAIL_AUTH, ("a", P))
    web = measure("web", Area.WEBSITE, ("a", N))
    assert scores([auth, web]) == {"mail-authentication": 100, "overall": 100}


def test_weights_from_measure_data_shift_the_balance_within_the_measure():
    m = measure("m", Area.DOMAIN, ("heavy", P), ("light", F), data={"score_weights": {"light": 2}})
    assert percent(measure_score(m)) == 83  # 10 of 12
    zero = measure("m", Area.DOMAIN, ("a", P), ("b", F), data={"score_weights": {"b": 0}})
    assert percent(measure_score(zero)) == 100


def test_bad_weights_fall_back_to_full_weight():
    m = measure("m", Area.DOMAIN, ("a", P), ("b", F), data={"score_weights": {"b": "heavy"}})
    assert percent(measure_score(m)) == 50


def test_subtests_are_one_per_check():
    m = measure("m", Area.MAIL_AUTH, ("a", P, "x"), ("a", W, "y"), ("b", INFO))
    [only] = subtests(m)
    assert (only.check, only.verdict, only.earned, only.possible) == ("a", W, 2.0, 10.0)


@pytest.mark.parametrize(
    ("share", "expected"),
    [(0.875, 88), (0.125, 13), (2 / 3, 67), (0.0, 0), (1.0, 100), (0.285, 29), (0.005, 1)],
)
def test_percent_rounds_halves_up(share, expected):
    assert percent(share) == expected


def test_a_scan_fills_scores(lab):
    from tests.conftest import run_scan

    report = run_scan("good.test", lab.config(measures=("mx",)))
    assert report.scores == {"mail-authentication": 100, "overall": 100}
    assert report.scanned_from


def test_the_terminal_shows_the_scores(lab):
    from click.testing import CliRunner

    from mailguard.cli import main

    result = CliRunner().invoke(main, ["scan", "good.test", "--nameserver", lab.dns.address, "--measure", "mx"])
    assert "scores: mail-authentication 100, overall 100" in result.output
