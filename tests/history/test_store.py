"""The results database, the same on SQLite and on a real PostgreSQL: schema, once per (run, domain),
history with what changed, fleet summaries; and the pieces a chunk needs to travel (settings, report)."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from click.testing import CliRunner
from sqlalchemy import MetaData, Table, create_engine, insert, inspect, select, text

from mailguard.app.fleet.chunk import chunk_deadline, run_chunk
from mailguard.app.scan import scan_domain
from mailguard.cli import main
from mailguard.core.config import LOOPBACK_ONLY, Config, config_from_dict, config_to_dict
from mailguard.core.model import ScanReport
from mailguard.history.store import MIGRATIONS, database_url, open_store
from mailguard.history.store.models import Run, Scan
from mailguard.lab import DEMO_DOMAINS, Lab, load_zone_text
from mailguard.render import json as render_json

# One domain whose DMARC policy is weakened between two nights: reject, then none.
ZONE = """$TTL 300
@ IN SOA ns.shop.test. h.shop.test. 1 2 3 4 5
@ IN NS ns.shop.test.
ns IN A 127.0.0.1
@ IN MX 10 mx.shop.test.
mx IN A 127.0.0.25
_dmarc IN TXT "v=DMARC1; p={policy}; rua=mailto:d@shop.test"
"""


def night(policy: str, *domains: str) -> list[ScanReport]:
    with Lab(extra_zones=[load_zone_text("shop.test", ZONE.format(policy=policy))]) as lab:
        config = lab.config(measures=("mx", "dmarc"))
        return [asyncio.run(scan_domain(d, config)) for d in domains]


@pytest.fixture(scope="module")
def nights() -> tuple[list[ScanReport], list[ScanReport]]:
    return night("reject", "shop.test", "good.test"), night("none", "shop.test", "good.test")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "reports" / "mailguard.db")
    return request.getfixturevalue("postgres_server").new_database()


def test_config_travels_as_json_and_back():
    config = Config(nameservers=(("127.0.0.1", 5353), ("::1", 53)), allowed_networks=LOOPBACK_ONLY,
                    ca_bundle=Path("/etc/ssl/x.pem"), measures=("mx",), dkim_selectors=("s1",), timeout=1.5)
    data = json.loads(json.dumps(config_to_dict(config)))
    assert data["allowed_networks"] == ["127.0.0.0/8", "::1/128"]
    assert config_from_dict(data) == config
    assert config_from_dict({**data, "from_a_newer_version": 1}) == config


def test_report_document_loads_back_to_the_same_report(lab):
    for domain in DEMO_DOMAINS:
        report = asyncio.run(scan_domain(domain, lab.config()))
        doc = json.loads(render_json.render(report))
        loaded = render_json.load(doc)
        assert render_json.to_jsonable(loaded) == doc
        assert loaded.measures[0].findings[0].verdict == report.measures[0].findings[0].verdict


def test_sqlite_paths_become_absolute_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert database_url("reports/m.db") == f"sqlite:///{tmp_path}/reports/m.db"
    assert database_url("sqlite:///m.db") == f"sqlite:///{tmp_path}/m.db"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_schema_is_migrated_and_versioned(db_url):
    open_store(db_url).close()
    open_store(db_url).close()  # a second open finds the schema current
    engine = create_engine(database_url(db_url))
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"runs", "chunks", "scans", "alembic_version"} <= tables
        indexes = {i["name"] for i in inspect(engine).get_indexes("scans")}
        assert {"ix_scans_domain_started", "ix_scans_run_id", "ix_scans_started"} <= indexes
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
    finally:
        engine.dispose()


def test_processes_opening_a_new_database_at_once_migrate_it_once(db_url):
    errors: list[BaseException] = []

    def opener() -> None:
        try:
            open_store(db_url).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a migration is still waiting"
    assert not errors


def test_a_domain_is_recorded_once_per_run(db_url, nights):
    first, _ = nights
    store = open_store(db_url)
    try:
        run = store.start_run("local", 2, {})
        ids = store.record(run, first)
        assert store.record(run, first) == ids  # the chunk ran twice: nothing new
        assert store.record(run, first[:1]) == {first[0].domain: ids[first[0].domain]}
        assert sorted(store.recorded(run)) == ["good.test", "shop.test"]
        assert store.documents([ids["shop.test"]]) == [render_json.to_jsonable(first[0])]
    finally:
        store.close()


def record_nights(db_url: str, nights: tuple[list[ScanReport], list[ScanReport]]) -> tuple[str, str]:
    store = open_store(db_url)
    try:
        runs = []
        for reports in nights:
            run = store.start_run("local", len(reports), {})
            store.record(run, reports)
            store.finish_run(run)
            runs.append(run)
        return runs[0], runs[1]
    finally:
        store.close()


def test_history_lists_scans_and_what_changed(db_url, nights):
    first_run, second_run = record_nights(db_url, nights)
    result = CliRunner().invoke(main, ["history", "shop.test", "--db", db_url, "--format", "json"])
    assert result.exit_code == 0, result.output
    scans = json.loads(result.stdout)["scans"]
    assert [s["run"] for s in scans] == [first_run, second_run]
    assert scans[0]["changes"] is None
    assert scans[1]["worse"] is True
    assert any(c["direction"] == "worse" and c["code"] == "CHANGE-DMARC-WEAKER" for c in scans[1]["changes"])
    text_out = CliRunner().invoke(main, ["history", "shop.test", "--db", db_url]).stdout
    assert "shop.test: 2 scan(s)" in text_out and "worse" in text_out
    good = json.loads(CliRunner().invoke(main, ["history", "good.test", "--db", db_url, "--format", "json"]).stdout)
    assert good["scans"][1]["worse"] is False
    unknown = CliRunner().invoke(main, ["history", "never.test", "--db", db_url])
    assert unknown.exit_code == 3 and "no scans recorded" in unknown.stdout


def test_fleet_summarises_a_run_and_names_what_got_worse(db_url, nights):
    first_run, second_run = record_nights(db_url, nights)
    summary = json.loads(CliRunner().invoke(main, ["fleet", "--db", db_url, "--format", "json"]).stdout)
    assert summary["run"] == second_run and summary["previous_run"] == first_run
    assert (summary["total"], summary["scanned"], summary["missing"]) == (2, 2, 0)
    assert summary["worse"] == ["shop.test"] and summary["compared_with_previous"] == 2
    assert summary["verdicts"]["dmarc"]["warn"] >= 1
    older = json.loads(CliRunner().invoke(main, ["fleet", first_run, "--db", db_url, "--format", "json"]).stdout)
    assert older["worse"] == [] and older["compared_with_previous"] == 0
    table = CliRunner().invoke(main, ["fleet", second_run, "--db", db_url]).stdout
    assert "2 of 2 domain(s) scanned" in table and "worse than their previous scan: 1 of 2: shop.test" in table
    rows = CliRunner().invoke(main, ["fleet", "--db", db_url, "--format", "csv"]).stdout.splitlines()
    assert rows[0] == "domain,error,worse,dmarc,mx,promises_not_upheld"
    assert any(r.startswith("shop.test,,yes,warn,") for r in rows)


def test_fleet_without_runs_or_with_an_unknown_run_is_a_usage_error(db_url):
    assert CliRunner().invoke(main, ["fleet", "--db", db_url]).exit_code == 2
    assert CliRunner().invoke(main, ["fleet", "no-such-run", "--db", db_url]).exit_code == 2


def test_local_batch_records_every_scan_with_db(db_url, lab):
    result = CliRunner().invoke(main, ["scan", *DEMO_DOMAINS, "--nameserver", lab.dns.address,
                                       "--allow-network", "127.0.0.0/8", "--db", db_url, "--format", "jsonl", "-q"])
    assert result.exit_code in (0, 1), result.output
    assert "mailguard: run " in result.stderr
    summary = json.loads(CliRunner().invoke(main, ["fleet", "--db", db_url, "--format", "json"]).stdout)
    assert summary["engine"] == "local" and summary["scanned"] == len(DEMO_DOMAINS) and summary["finished"]


def test_a_chunk_that_runs_twice_scans_and_records_each_domain_once(db_url, lab):
    settings = config_to_dict(lab.config(measures=("mx",)))
    store = open_store(db_url)
    try:
        run = store.start_run("celery", 3, {})
        first = run_chunk(run, ["good.test", "weak.test"], settings, store=store, concurrency=2)
        again = run_chunk(run, ["good.test", "weak.test", "nomail.test"], settings, store=store, concurrency=2)
        assert again[:2] == first and again[2][1] is not None
        assert len(store.recorded(run)) == 3
    finally:
        store.close()


def test_a_chunk_deadline_covers_its_rounds_of_domain_deadlines():
    assert chunk_deadline(60, 200, 100) > 120
    assert chunk_deadline(60, 200, 100) < chunk_deadline(60, 201, 100)
    assert chunk_deadline(5, 4, 4) < 10  # the fleet tests' visibility timeout


def test_a_chunk_judges_the_submitters_promises_as_a_local_batch_does(lab, tmp_path):
    from mailguard.app.batch import scan_many
    from mailguard.app.fleet.chunk import promise_settings
    from mailguard.app.scan import PromiseScan
    from mailguard.promises import read

    statement = Path(__file__).parents[1] / "fixtures" / "statements" / "goedtest-nl.txt"
    checker = PromiseScan(explicit=read(str(statement)).profile)
    config = lab.config(measures=("mx", "dmarc"))
    settings = promise_settings(checker, ["good.test"])
    assert list(settings) == ["explicit"]

    async def local() -> list[ScanReport]:
        return [r async for r in scan_many(["good.test"], config, scan=checker.scan)]

    expected = [(p.promise.kind, p.verdict.value) for p in asyncio.run(local())[0].promises]
    store = open_store(str(tmp_path / "m.db"))
    try:
        run = store.start_run("celery", 1, {})
        run_chunk(run, ["good.test"], config_to_dict(config), store=store, concurrency=1,
                  promises=json.loads(json.dumps(settings)))
        doc = store.documents(list(store.recorded(run).values()))[0]
    finally:
        store.close()
    assert expected and [(p["promise"]["kind"], p["verdict"]) for p in doc["promises"]] == expected


def test_each_scan_records_its_earliest_certificate_expiry(db_url, lab):
    config = lab.config(measures=("starttls", "web-tls"))
    weak, good = (asyncio.run(scan_domain(d, config)) for d in ("weak.test", "good.test"))
    store = open_store(db_url)
    try:
        ids = store.record(store.start_run("local", 2, {}), [weak, good])
        with store.engine.connect() as conn:
            stored = dict(conn.execute(select(Scan.id, Scan.cert_expires)).all())
    finally:
        store.close()
    # mail.weak.test's certificate expires in 10 days, the lab's others in 90 (to the second)
    assert expires_in(stored[ids["weak.test"]], lab) == 10 and expires_in(stored[ids["good.test"]], lab) == 90


def expires_in(stored: datetime, lab: Lab) -> float:
    """Days from the lab's certificates' issue time to a stored expiry (SQLite gives back no offset)."""
    aware = stored if stored.tzinfo else stored.replace(tzinfo=UTC)
    return round((aware - lab.pki.now).total_seconds() / 86400, 4)


def test_upgrading_a_0001_database_fills_the_expiry_of_the_scans_it_holds(db_url, lab):
    """A database written by a mailguard of schema 0001, with scans in it, upgraded by this one."""
    report = asyncio.run(scan_domain("weak.test", lab.config(measures=("starttls",))))
    if "://" not in db_url:
        Path(db_url).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(database_url(db_url))
    try:
        with engine.connect() as conn:
            config = AlembicConfig()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            alembic_command.upgrade(config, "0001")
            old_scans = Table("scans", MetaData(), autoload_with=conn)
            assert "cert_expires" not in old_scans.c
            conn.execute(insert(Run).values(id="r1", started=datetime.now(UTC), engine="local", total=1, settings={}))
            doc = render_json.to_jsonable(report)
            conn.execute(insert(old_scans).values(
                run_id="r1", domain="weak.test", started=datetime.now(UTC), finished=datetime.now(UTC), error=None,
                statuses={}, scores={}, promises=[], mailguard_version="old", document=doc))
            conn.commit()
    finally:
        engine.dispose()
    assert CliRunner().invoke(main, ["db", "upgrade", "--db", db_url]).exit_code == 0
    store = open_store(db_url)
    try:
        with store.engine.connect() as conn:
            (expires,) = conn.execute(select(Scan.cert_expires)).scalars().all()
    finally:
        store.close()
    assert expires_in(expires, lab) == 10
