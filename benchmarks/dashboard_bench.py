"""The dashboard benchmark (issue #18). Not a test: ``.venv/bin/python benchmarks/dashboard_bench.py``.

Generates a results database of D domains with S scans each (default 10,000 x 30 = 300,000 scans,
the schema ``mailguard scan --db`` writes, small documents with scores and coverage, some promises
not upheld, some domains unscannable), then asks the fleet page and its API of the real
application through its ASGI interface and reports the server time (median and worst of R asks)
for the first page, a filter, a search, a sort by score and a deep page. The target is 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from mailguard.app.dashboard import create_app
from mailguard.history.store import open_store
from mailguard.history.store.models import Run, Scan

AREAS = ("mail-authentication", "mail-transport", "web")


def generate(db: str, domains: int, scans: int, seed: int = 18) -> None:
    rnd = random.Random(seed)
    store = open_store(db)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        for night in range(scans):
            when = start + timedelta(days=night)
            run_id = f"{when:%Y%m%dT%H%M%S}-bench{night:02d}"
            rows = []
            for n in range(domains):
                name = f"customer{n:05d}.example"
                error = "the domain does not exist (NXDOMAIN)" if n % 97 == 0 else None
                scores = {} if error else {a: rnd.randint(20, 100) for a in AREAS}
                if scores:
                    scores["overall"] = sum(scores.values()) // len(AREAS)
                coverage = {} if error else {"overall": {"tested": 20 - n % 3, "checks": 20}}
                promises = [["spf", "upheld" if rnd.random() < 0.8 else "not upheld"],
                            ["dmarc", "upheld" if rnd.random() < 0.7 else "not upheld"]]
                document = {"domain": name, "started": when.isoformat(), "error": error, "scores": scores,
                            "coverage": coverage, "measures": [], "promises": []}
                rows.append({"run_id": run_id, "domain": name, "started": when, "finished": when, "error": error,
                             "statuses": {"spf": "pass", "dmarc": "warn"}, "scores": scores, "promises": promises,
                             "previous_id": None, "worse": rnd.random() < 0.1 if night else None,
                             "mailguard_version": "bench", "document": document})
            with store.engine.begin() as conn:
                conn.execute(insert(Run).values(id=run_id, started=when, finished=when + timedelta(hours=1),
                                                engine="local", total=domains, settings={}))
                for i in range(0, len(rows), 5000):
                    conn.execute(insert(Scan), rows[i:i + 5000])
    finally:
        store.close()


async def timings(db: str, paths: list[str], repeat: int) -> dict[str, dict[str, float]]:
    app = create_app(db)
    transport = httpx.ASGITransport(app=app)
    results: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        await client.get("/")  # opens the database once, as a running server has
        for path in paths:
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                response = await client.get(path)
                times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            results[path] = {"median_ms": round(statistics.median(times), 1), "worst_ms": round(max(times), 1)}
    app.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--scans", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--db", help="reuse (or create) this SQLite file")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "dashboard-results.json")
    args = parser.parse_args()
    db = args.db or str(Path(tempfile.mkdtemp(prefix="mailguard-dash-")) / "bench.db")
    if not Path(db).exists():
        began = time.perf_counter()
        generate(db, args.domains, args.scans)
        print(f"generated {args.domains} x {args.scans} scans in {time.perf_counter() - began:.0f} s: {db}",
              file=sys.stderr)
    last = (args.domains + 49) // 50
    paths = ["/", "/?filter=not-upheld", "/?filter=unscannable", "/?q=customer0999", "/?sort=-score",
             f"/?page={last}", "/api/fleet", "/runs", "/domain/customer00042.example"]
    result = {"domains": args.domains, "scans_per_domain": args.scans, "python": sys.version.split()[0],
              "pages": asyncio.run(timings(db, paths, args.repeat))}
    text = json.dumps(result, indent=2)
    args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
