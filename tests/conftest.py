"""Shared fixtures: the lab (real servers on loopback) and a way to run one measure against it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import ModuleType

import pytest

from mailguard.app.scan import scan_domain
from mailguard.core.config import Config
from mailguard.core.model import MeasureResult, ScanReport
from mailguard.lab import Lab
from mailguard.net import Net

# The fleet tests' real servers (redis-server, PostgreSQL), started once per session when asked for.
from .services import postgres_server, redis_server  # noqa: F401


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    with Lab() as running:
        yield running


@pytest.fixture
def lab_config(lab: Lab) -> Config:
    return lab.config()


def run_measure(measure: ModuleType, domain: str, config: Config) -> MeasureResult:
    """Run one measure on a fresh Net against ``config`` (usually the lab's)."""

    async def go() -> MeasureResult:
        net = Net(config)
        try:
            return await measure.run(net, domain, config)  # type: ignore[no-any-return]
        finally:
            await net.aclose()

    return asyncio.run(go())


def run_scan(domain: str, config: Config) -> ScanReport:
    return asyncio.run(scan_domain(domain, config))


def codes(result: MeasureResult) -> dict[str, str]:
    """Finding code -> verdict value (the last one wins for repeated codes)."""
    return {f.code: f.verdict.value for f in result.findings}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite the golden files of the renderer tests (on purpose only).")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True with `pytest --update-golden` or MAILGUARD_UPDATE_GOLDEN=1 in the environment."""
    import os

    wanted = request.config.getoption("--update-golden")
    return bool(wanted or os.environ.get("MAILGUARD_UPDATE_GOLDEN") == "1")
