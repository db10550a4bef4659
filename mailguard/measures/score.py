"""Scores 0-100 per area and overall, computed the way internet.nl scores its subtests.

What internet.nl does (its ``checks/scoring.py`` and scoring notes):

* every subtest has a weight in points (full 10, half 5, less 2); a subtest that passes earns
  its full points, a partial result earns fewer (``LESS_WEIGHT_POINTS``, 2 of 10, for e.g. an
  SPF ``~all`` or an unsigned zone), a failure earns none;
* only subtests whose worst possible status is *fail* take part; notice and info subtests are
  left out of numerator and denominator alike;
* a category's score is the points earned divided by the points possible of its taking-part
  subtests; a category tested on several IPs or hosts takes the *minimum* over them;
* a test's total is the plain average of its categories' scores: every category counts for an
  equal part, so a subtest's weight only matters against subtests of its own category.

What mailguard adopts, and why:

* a **subtest** is one ``Finding.check`` of one measure; the findings of that check on several
  subjects (each MX host, each web host) are combined by taking the lowest, as internet.nl takes
  the minimum over IPs;
* a **category** is one measure (SPF, DMARC, MX ...), and an **area** (``model.Area``) plays the
  role of an internet.nl test: its score is the average of its measures' scores;
* points per verdict: ``pass`` earns the full weight, ``warn`` the internet.nl partial share
  (2 of 10), ``fail`` nothing; ``info`` is not scored at all (internet.nl's informational
  subtests), and ``not tested`` is left out of the denominator, so that a probe we could not make
  (port 25 blocked here) neither helps nor hurts. A measure or area with nothing scored has no
  score (absent, not 0);
* weights: internet.nl gives nearly every mandatory subtest full weight, so mailguard does too
  (10); a measure may lower or raise a check's weight by putting ``{"score_weights": {check:
  points}}`` in its ``MeasureResult.data``;
* **overall** is the average of the area scores, so each area counts for an equal part, as
  internet.nl's categories do within a test (internet.nl has no score across its web and mail
  tests; averaging the areas is the analogue that keeps the number explainable);
* rounding: to the nearest whole number, halves up, at each published score only.

Everything here is pure: a report (or its measures) in, numbers out. It works from
``MeasureResult.area`` and the findings only, never from a measure's name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..core.model import Area, Finding, MeasureResult, Verdict

FULL_WEIGHT = 10
HALF_WEIGHT = 5
LESS_WEIGHT = 2

# The share of a subtest's weight each verdict earns; verdicts missing here are not scored.
EARNED: Mapping[Verdict, float] = {
    Verdict.PASS: 1.0,
    Verdict.WARN: LESS_WEIGHT / FULL_WEIGHT,
    Verdict.FAIL: 0.0,
}

OVERALL = "overall"


@dataclass(frozen=True)
class Subtest:
    """One scored check of one measure: the points it earned of the points it could."""

    measure: str
    check: str
    verdict: Verdict
    earned: float
    possible: float


def subtests(measure: MeasureResult) -> list[Subtest]:
    """The scored subtests of a measure: one per check, the lowest over its subjects."""
    weights = measure.data.get("score_weights", {}) if isinstance(measure.data, Mapping) else {}
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for finding in measure.findings:
        if finding.verdict in EARNED:
            by_check[finding.check].append(finding)
    out = []
    for check, found in by_check.items():
        weight = _weight(weights, check)
        if weight <= 0:
            continue
        lowest = min(found, key=lambda f: EARNED[f.verdict]).verdict
        out.append(Subtest(measure.name, check, lowest, EARNED[lowest] * weight, float(weight)))
    return out


def _weight(weights: object, check: str) -> float:
    if isinstance(weights, Mapping):
        value = weights.get(check, FULL_WEIGHT)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return float(FULL_WEIGHT)


def measure_score(measure: MeasureResult) -> float | None:
    """A measure's share of its possible points (0.0-1.0), or None when nothing was scored."""
    tests = subtests(measure)
    possible = sum(t.possible for t in tests)
    if possible == 0:
        return None
    return sum(t.earned for t in tests) / possible


def area_scores(measures: Iterable[MeasureResult]) -> dict[str, float]:
    """Area -> the plain average of its scored measures (0.0-1.0)."""
    shares: dict[Area, list[float]] = defaultdict(list)
    for measure in measures:
        share = measure_score(measure)
        if share is not None:
            shares[measure.area].append(share)
    return {area.value: sum(s) / len(s) for area, s in shares.items()}


def scores(measures: Iterable[MeasureResult]) -> dict[str, int]:
    """Area -> 0-100, and ``overall`` (the average of the areas), in ``model.Area`` order."""
    areas = area_scores(measures)
    out: dict[str, int] = {str(a.value): percent(areas[a.value]) for a in Area if a.value in areas}
    if areas:
        out[OVERALL] = percent(sum(areas.values()) / len(areas))
    return out


def percent(share: float) -> int:
    """0.0-1.0 to a whole percentage, halves rounded up (87.5 -> 88), never float noise."""
    value = Decimal(repr(share)) * 100
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def coverage(measures: Iterable[MeasureResult]) -> dict[str, dict[str, int]]:
    """Area -> how many of its checks that could be scored were tested: ``{"tested", "checks"}``,
    and the same for ``overall``. A check counts once per measure (as a subtest does); a check
    with only information is no check here, one that could not be made (not tested) counts as
    not tested. This is what a score of 100 with 3 of 24 checks tested must show beside it."""
    counts: dict[str, list[int]] = {}
    for measure in measures:
        checks: dict[str, bool] = {}
        for finding in measure.findings:
            if finding.verdict in EARNED:
                checks[finding.check] = True
            elif finding.verdict == Verdict.NOT_TESTED:
                checks.setdefault(finding.check, False)
        if checks:
            area = counts.setdefault(measure.area.value, [0, 0])
            area[0] += sum(checks.values())
            area[1] += len(checks)
    out: dict[str, dict[str, int]] = {
        a.value: {"tested": counts[a.value][0], "checks": counts[a.value][1]} for a in Area if a.value in counts}
    if out:
        out[OVERALL] = {"tested": sum(c["tested"] for c in out.values()),
                        "checks": sum(c["checks"] for c in out.values())}
    return out
