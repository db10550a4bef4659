"""Hostile input at the command line: one error line and a documented exit code, never a
traceback, never a hang. Everything here stays on loopback: scans ask the lab's resolver, URLs
name loopback addresses only."""

from __future__ import annotations

import fcntl
import os
import string
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailguard.cli import main
from mailguard.core.errors import StoreError
from mailguard.history.store import _sqlite_lock


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def one_error_line(result) -> bool:
    lines = [line for line in result.output.splitlines() if line.strip()]
    return "Traceback" not in result.output and len(lines) == 1 and lines[0].startswith("mailguard: ")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("option", ["--statement", "--domains-file", "--profile", "--config"])
def test_a_fifo_is_refused_at_once_not_read_forever(fifo, option):
    # Nobody writes to the pipe: a reader that opened it blocking, or read it to the end, would hang.
    result = run("scan", "example.test", option, str(fifo), "--nameserver", "127.0.0.1:9")
    assert result.exit_code == 2, result.output
    assert "is a pipe, not a file" in result.output or "is not a regular file" in result.output


@pytest.mark.parametrize("option", ["--statement", "--domains-file", "--config"])
def test_a_device_that_never_ends_is_refused(option):
    result = run("scan", "example.test", option, "/dev/zero", "--nameserver", "127.0.0.1:9")
    assert result.exit_code == 2 and "not a file" in result.output, result.output


def test_a_folder_as_statement_is_refused(tmp_path):
    result = run("promises", str(tmp_path))
    assert result.exit_code == 2 and "is a folder, not a file" in result.output


def test_a_domains_file_that_is_not_utf8_is_a_usage_error(tmp_path):
    path = tmp_path / "domains.txt"
    path.write_bytes(b"good.test\n\xff\xfe bad\n")
    result = run("scan", "--domains-file", str(path), "--nameserver", "127.0.0.1:9")
    assert result.exit_code == 2 and one_error_line(result), result.output
    assert "not UTF-8" in result.output


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "mysql://u@127.0.0.1/db", "postgresql://x:y@[::1",
                                 "sqlite://relative/nope"])
def test_unusable_database_urls_are_usage_errors(tmp_path, url):
    result = run("history", "example.test", "--db", url)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.output.startswith("mailguard: ")


def test_a_database_folder_that_cannot_be_made_is_a_usage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("history", "example.test", "--db", str(blocker / "sub" / "mailguard.db"))
    assert result.exit_code == 2 and "cannot create the database folder" in result.output


def test_the_migration_lock_is_waited_for_within_a_bound(tmp_path):
    path = str(tmp_path / "mailguard.db")
    with open(f"{path}.lock", "a") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)  # another process migrating, that never finishes
        with pytest.raises(StoreError, match="gave up after 0.3 s"), _sqlite_lock(path, wait=0.3):
            pass
    with _sqlite_lock(path, wait=0.3):  # released: taken at once
        pass


# --- the property: whatever the arguments, a documented exit code and no traceback -------------

_LABELS = st.text(alphabet=string.ascii_letters + string.digits + "-_*\x00\x1b\u202e.é", min_size=0, max_size=70)
_DOMAINS = st.one_of(_LABELS, st.lists(_LABELS, min_size=1, max_size=6).map(".".join),
                     st.sampled_from(["good.test", "nxdomain.test", ".", "..", "a" * 300 + ".test",
                                      "xn--zz.test", "-bad-.test", "127.0.0.1", "[::1]"]))
_HOSTS = st.sampled_from(["127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "[::1]", "[::ffff:127.0.0.1]",
                          "localhost", "[::1", "127.0.0.1:99999", "10.0.0.1", "192.0.2.1"])
_URLS = st.builds(lambda scheme, host, path: f"{scheme}://{host}/{path}",
                  st.sampled_from(["http", "https", "ftp", "file", "HTTP", ""]), _HOSTS,
                  st.text(alphabet=string.printable, max_size=30))


@pytest.fixture(scope="module")
def resolver(request):
    lab = request.getfixturevalue("lab")
    return lab.dns.address


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_arguments_never_crash_the_command_line(data, resolver, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    junk = folder / "junk"
    junk.write_bytes(data.draw(st.binary(max_size=2000), label="file bytes"))
    command = data.draw(st.sampled_from(["scan", "promises", "verify", "diff", "history", "spf"]), label="command")
    if command == "scan":
        args = ["scan", *data.draw(st.lists(_DOMAINS, min_size=1, max_size=3), label="domains"),
                "--nameserver", resolver, "--timeout", "0.3", "--deadline", "3", "--measure", "mx",
                "--measure", "spf", "--measure", "dmarc", "--report-dir", str(folder / "reports")]
        args += data.draw(st.sampled_from([[], ["--domains-file", str(junk)], ["--statement", str(junk)],
                                           ["--profile", str(junk)], ["--config", str(junk)],
                                           ["--format", "json"], ["--format", "html,md,pdfx"],
                                           ["--allow-network", "not-a-cidr"], ["--lang", "xx"]]), label="extra")
    elif command == "promises":
        args = ["promises", data.draw(st.one_of(_URLS, st.just(str(junk))), label="statement"),
                "--timeout", "0.5"]
    elif command == "verify":
        args = ["verify", str(junk)] + data.draw(st.sampled_from([[], ["--public-key", str(junk)]]), label="key")
        (folder / "junk.sig").write_bytes(data.draw(st.binary(max_size=300), label="sig"))
    elif command == "diff":
        args = ["diff", str(junk), str(junk)]
    elif command == "history":
        args = ["history", data.draw(_DOMAINS, label="domain"), "--db", str(folder / "h.db")]
    else:
        args = ["spf", "--ip", data.draw(st.sampled_from(["192.0.2.1", "x", "::1", "999.1.1.1"]), label="ip"),
                "--sender", data.draw(_LABELS, label="sender"), "--nameserver", resolver, "--timeout", "0.3"]
    outcome: dict[str, object] = {}

    def call() -> None:
        outcome["result"] = CliRunner().invoke(main, args)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), f"mailguard {args} did not finish within 30 s"
    result = outcome["result"]
    assert result.exit_code in (0, 1, 2, 3, 4), (args, result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    assert "Traceback" not in result.output, (args, result.output)


def test_a_statement_cannot_drive_the_terminal(tmp_path):
    statement = tmp_path / "privacy.txt"
    statement.write_text("Voorbeeld BV (voorbeeld.nl). Wij gebruiken SPF\x1b]0;pwned\x07 en DKIM\u202e voor e-mail "
                         "\x1b[2J\x1b[1;1H.", encoding="utf-8")
    result = run("promises", str(statement))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output and "\x07" not in result.output
    assert "\\x1b]0;pwned\\x07" in result.output


@pytest.fixture
def redirector():
    """A real HTTP server on loopback that redirects to a name with a 70-character label."""
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(302)
            self.send_header("Location", "http://" + "a" * 70 + ".test/privacy")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_redirect_to_an_impossible_name_is_an_error_line(redirector):
    result = run("promises", f"http://127.0.0.1:{redirector}/", "--allow-network", "127.0.0.0/8")
    assert result.exit_code == 2 and one_error_line(result), result.output
    assert "cannot fetch statement" in result.output
