"""How long `mailguard --help` and `mailguard scan --help` take, and what they import.

    .venv/bin/python benchmarks/help_import_time.py

Target (issue 14): under 0.4 s here; no SQLAlchemy, Alembic, Celery or WeasyPrint for --help.
Prints the best of five runs of each command (a fresh interpreter each time) and the heavy
modules a `--help` run loaded.
"""

from __future__ import annotations

import subprocess
import sys
import time

HEAVY = ("sqlalchemy", "alembic", "celery", "kombu", "weasyprint", "jinja2", "mailguard.measures", "httpx")
PROBE = ("import sys\nfrom click.testing import CliRunner\nfrom mailguard.cli import main\n"
         "CliRunner().invoke(main, {args!r})\nprint(','.join(m for m in {heavy!r} if m in sys.modules))")


def best_of(command: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    for args in (["--help"], ["scan", "--help"]):
        seconds = best_of([sys.executable, "-m", "mailguard", *args])
        loaded = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
                                check=True, capture_output=True, text=True).stdout.strip()
        print(f"mailguard {' '.join(args)}: {seconds:.3f} s (best of 5); heavy modules loaded: {loaded or 'none'}")


if __name__ == "__main__":
    main()
