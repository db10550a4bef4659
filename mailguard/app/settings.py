"""``mailguard.toml``: what an unattended run scans and where its reports go.

    # mailguard.toml (every key optional; relative paths are relative to this file)
    domains = ["example.nl", "example.com"]
    statements = ["privacy.html", "https://www.example.nl/privacy"]
    checks_dir = "checks"           # check profiles, checks/<domain>.toml
    report_dir = "reports"          # reports/<domain>/<UTC time>.{html,md,json}
    formats = ["html", "md", "json"]  # also "pdf" (needs the extra mailguard[pdf])
    lang = "nl"                     # en | nl; default: the statement's language, else en
    timezone = "Europe/Amsterdam"   # the reader's time zone for report dates (default: by language)
    sign_key = "keys/mailguard.key"
    signer = "Privacy office, Example BV"
    fail_on = "fail"                # warn | fail: the lowest verdict that makes the exit code 1
    nameservers = ["9.9.9.9", "149.112.112.112"]
    timeout = 5.0
    deadline = 60.0
    dkim_selectors = ["google", "selector1"]
    dkim_guess = "provider"         # provider | all: which DKIM selectors to guess
    measures = []                   # empty: all
    ca_bundle = "extra-roots.pem"
    trust_anchor = "root-anchors.xml"
    rpki_vrps = "vrps.json"         # RPKI: a JSON export of rpki-client or Routinator
    rpki_url = "http://routinator.example:8323/"  # ... or a Routinator HTTP service
    bimi_selectors = ["brand"]      # BIMI selectors besides default
    bimi_ca = "vmc-roots.pem"       # the roots mark certificates (VMC/CMC) are checked against
    engine = "celery"               # local | celery: fleet scans on `mailguard worker`s
    broker = "redis://127.0.0.1:6379/0"
    chunk_size = 200                # domains per Celery task
    workers = 2                     # local batches: scanning processes (default: one per core; 1: this one)
    db = "reports/mailguard.db"     # results database: a SQLite path or postgresql://...
    allow_networks = ["10.1.0.0/16"]  # non-public networks mailguard may contact (default: none)
    caa_identities = ["Example Private CA=ca.example.nl"]  # CAA domains of CAs the public table lacks
    smtp_port = 25                  # service ports: only a lab runs them elsewhere (`mailguard lab`)

Read with :mod:`tomllib`; an unknown key or a value of the wrong type is an error that names the
key (exit code 2), so a typo never silently falls back to a default. Options given on the
command line win over the file.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import tomllib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..core.config import Config, IpNetwork
from ..core.errors import InputError, ParseError, ProfileError
from ..core.files import read_text_capped
from ..core.names import is_valid_dns_name, normalize_domain
from ..net.dns import parse_nameserver
from .batch import read_domains
from .publish import ReportWriter, Signer
from .scan import PromiseScan, promise_checker

FORMATS = ("html", "md", "pdf", "json")
DEFAULT_FORMATS = ("html", "md", "json")  # PDF only when asked for: it needs the extra mailguard[pdf]
MAX_CONFIG_BYTES = 1024 * 1024
MAX_WORKERS = 256  # --workers: scanning processes of a local batch


@dataclass(frozen=True)
class RunSettings:
    """The settings a config file gives; None / empty means "not set here"."""

    domains: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()
    checks_dir: Path | None = None
    report_dir: Path | None = None
    formats: tuple[str, ...] = ()
    lang: str | None = None
    timezone: str | None = None
    sign_key: Path | None = None
    signer: str | None = None
    fail_on: str | None = None
    nameservers: tuple[str, ...] = ()
    timeout: float | None = None
    deadline: float | None = None
    dkim_selectors: tuple[str, ...] = ()
    dkim_guess: str | None = None
    measures: tuple[str, ...] = ()
    ca_bundle: Path | None = None
    trust_anchor: Path | None = None
    rpki_vrps: Path | None = None
    rpki_url: str | None = None
    bimi_selectors: tuple[str, ...] = ()
    bimi_ca: Path | None = None
    engine: str | None = None
    broker: str | None = None
    chunk_size: int | None = None
    workers: int | None = None
    db: str | None = None
    allow_networks: tuple[str, ...] = ()
    caa_identities: tuple[str, ...] = ()
    smtp_port: int | None = None
    https_port: int | None = None
    http_port: int | None = None
    dns_port: int | None = None
    source: Path | None = None


_LISTS = {"domains", "statements", "formats", "nameservers", "dkim_selectors", "measures", "bimi_selectors",
          "allow_networks", "caa_identities"}
_PATHS = {"checks_dir", "report_dir", "sign_key", "ca_bundle", "trust_anchor", "rpki_vrps", "bimi_ca"}
_NUMBERS = {"timeout": (0.1, 120.0), "deadline": (1.0, 3600.0)}
_CHOICES = {"lang": ("en", "nl"), "fail_on": ("warn", "fail"), "engine": ("local", "celery"),
            "dkim_guess": ("provider", "all")}
_PORTS = ("smtp_port", "https_port", "http_port", "dns_port")
_INTEGERS = {"chunk_size": (1, 100_000), "workers": (1, MAX_WORKERS), **{port: (1, 65_535) for port in _PORTS}}
KNOWN = tuple(f.name for f in fields(RunSettings) if f.name != "source")


def load(path: Path) -> RunSettings:
    """Read and check a config file."""
    try:
        raw = tomllib.loads(read_text_capped(path, MAX_CONFIG_BYTES, "config file"))
    except InputError as exc:
        raise ProfileError(str(exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"config file {path} is not valid TOML: {exc}") from exc
    return parse(raw, path)


def parse(raw: dict[str, Any], path: Path) -> RunSettings:
    unknown = [k for k in raw if k not in KNOWN]
    if unknown:
        raise ProfileError(f"{path}: unknown key {unknown[0]!r} (known keys: {', '.join(KNOWN)})")
    base = path.parent
    values: dict[str, Any] = {"source": path}
    for key, value in raw.items():
        values[key] = _value(key, value, base, path)
    return RunSettings(**values)


def _value(key: str, value: Any, base: Path, path: Path) -> Any:
    def bad(expected: str) -> ProfileError:
        return ProfileError(f"{path}: key {key!r} must be {expected}, not {value!r}")

    if key in _LISTS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        if key == "formats":
            wrong = [v for v in value if v not in FORMATS]
            if wrong:
                raise bad(f"a list of {', '.join(FORMATS)}")
        if key == "caa_identities":
            try:
                parse_caa_identities(value)
            except InputError:
                raise bad('a list of "ISSUER=CAA-DOMAIN"') from None
        if key == "allow_networks":
            try:
                parse_networks(value)
            except InputError:
                raise bad("a list of networks such as 10.1.0.0/16") from None
        if key == "statements":  # files relative to the config file; URLs as they are
            return tuple(v if "://" in v else str(base / v) for v in value)
        return tuple(value)
    if key in _PATHS:
        if not isinstance(value, str) or not value:
            raise bad("a path")
        return base / Path(value).expanduser()
    if key in _NUMBERS:
        low, high = _NUMBERS[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise bad(f"a number from {low:g} to {high:g}")
        return float(value)
    if key in _INTEGERS:
        low_int, high_int = _INTEGERS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low_int <= value <= high_int:
            raise bad(f"a whole number from {low_int} to {high_int}")
        return value
    if key in _CHOICES:
        if value not in _CHOICES[key]:
            raise bad(" or ".join(repr(c) for c in _CHOICES[key]))
        return value
    if not isinstance(value, str) or (key in ("broker", "db") and not value):  # signer, rpki_url, broker, db
        raise bad("a string")
    if key == "timezone":
        try:
            check_timezone(value)
        except InputError:
            raise bad("an IANA time zone such as Europe/Amsterdam") from None
    if key == "db" and "://" not in value:  # a SQLite file, relative to the config file
        return str(base / Path(value).expanduser())
    return value


# --- one frozen plan from the command line and the config file ---------------------------------

OUTPUT_FORMATS = ("text", "json", "jsonl", "html", "md", "pdf")


@dataclass(frozen=True)
class ScanPlan:
    """Everything a ``mailguard scan`` run needs, merged from its options, the config file and the
    statement or profile (the command line wins, then the file, then the statement)."""

    config: Config
    checker: PromiseScan
    names: tuple[str, ...]
    domains_file: Path | None
    total: int
    lang: str | None
    stdout_fmt: str
    summary: str
    batch: bool
    quiet: bool
    verbose: bool
    writer: ReportWriter | None
    concurrency: int
    engine: str
    broker: str | None
    db: str | None
    chunk_size: int
    run_id: str | None
    stall_timeout: float
    workers: int | None = None  # scanning processes of a local batch; None: by the cores and the batch size

    def domains(self) -> Iterator[str]:
        """The domains to scan: those named, then the domains file's, read as the scan goes."""
        yield from self.names
        if self.domains_file is not None:
            yield from read_domains(self.domains_file)


def plan_scan(options: Mapping[str, Any], given: Collection[str]) -> ScanPlan:
    """The plan of a scan from the command's options; ``given``: the options the user typed.
    Anything unusable is an :class:`InputError` (exit code 2) before any packet is sent."""
    o = dict(options)
    settings = load(o["config_file"]) if o["config_file"] is not None else RunSettings()

    def pick(name: str, configured: Any) -> Any:
        value = o[name]
        return value if name in given or configured in (None, ()) else configured

    fail_on = pick("fail_on", settings.fail_on)
    engine = pick("engine", settings.engine)
    chunk_size = pick("chunk_size", settings.chunk_size)
    workers = pick("workers", settings.workers)
    if engine == "celery" and "workers" in given:
        raise InputError("--workers is for local batches; with --engine celery start a `mailguard worker` per core")
    broker = o["broker"] or settings.broker  # the command line and MAILGUARD_BROKER win over the file
    db = o["db"] or settings.db
    _check_fleet_usage(engine, broker, o["run_id"], o["eml_files"])
    ca_bundle = pick("ca_bundle", settings.ca_bundle)
    trust_anchor = pick("trust_anchor", settings.trust_anchor)
    for path in (ca_bundle, trust_anchor):
        if path is not None and not Path(path).is_file():
            raise InputError(f"cannot read {path}")
    _check_messages_readable(o["eml_files"])
    peers = _peer_settings(o, given, settings)
    extra_hosts = tuple(normalize_domain(h) for h in o["web_hosts"])
    networks = parse_networks((*settings.allow_networks, *o["allowed_networks"]))
    lang = o["lang"]
    config = build_config(pick("nameservers", settings.nameservers), pick("timeout", settings.timeout),
                          deadline=pick("deadline", settings.deadline),
                          dkim_selectors=pick("dkim_selectors", settings.dkim_selectors),
                          dkim_guess=o["dkim_guess"] or settings.dkim_guess or "provider",
                          eml_files=o["eml_files"], web_hosts=extra_hosts,
                          measures=pick("measures", settings.measures), ca_bundle=ca_bundle,
                          trust_anchor=trust_anchor, fail_on=fail_on, lang=lang or settings.lang or "en",
                          allowed_networks=networks, **peers,
                          caa_identities=parse_caa_identities((*settings.caa_identities, *o["caa_identities"])),
                          **{p: getattr(settings, p) for p in _PORTS if getattr(settings, p) is not None})
    statement, run_id, domains_file = o["statement"], o["run_id"], o["domains_file"]
    checker, statement_lang = promise_checker(config, statement, o["profile_file"], settings.statements,
                                              pick("checks_dir", settings.checks_dir), budget=o["statement_budget"])
    # The report's language: --lang, else the profile's, else the config file's, else the statement's.
    from_profile = statement_lang if o["profile_file"] is not None else None
    chosen_lang = lang or from_profile or settings.lang or statement_lang
    config = dataclasses.replace(config, lang="nl" if chosen_lang == "nl" else "en")
    domains = o["domains"] or settings.domains or checker.domains()
    if not domains and domains_file is None and run_id is None:
        raise InputError("give at least one DOMAIN or --domains-file FILE (or a --config file with domains = [...])"
                         + ("; the statement names no domain of its own"
                            if statement or settings.statements else ""))
    names = tuple(normalize_domain(d) for d in domains)
    total = len(names) + (sum(1 for _ in read_domains(domains_file)) if domains_file else 0)
    formats = parse_formats(o["fmt"])
    writer = _report_writer(formats, o["report_formats"], o["report_dir"], o["config_file"], settings,
                            o["sign_key"], o["signer"], chosen_lang,
                            check_timezone(o["timezone"] or settings.timezone))
    stdout_fmt = next((f for f in reversed(formats) if f in ("text", "json", "jsonl")), "text")
    if writer is not None and stdout_fmt == "json" and "json" in writer.formats and "text" not in formats:
        stdout_fmt = "text"  # --format json with a report folder: the JSON goes into the history
    if trust_anchor is not None:
        check_trust_anchor(trust_anchor)
    batch = total > 1 or run_id is not None
    return ScanPlan(config=config, checker=checker, names=names, domains_file=domains_file, total=total,
                    lang=chosen_lang, stdout_fmt=stdout_fmt, summary=o["summary"] or ("table" if batch else "none"),
                    batch=batch, quiet=o["quiet"], verbose=o["verbose"], writer=writer,
                    concurrency=o["concurrency"], engine=engine, broker=broker, db=db, chunk_size=chunk_size,
                    run_id=run_id, stall_timeout=o["stall_timeout"], workers=workers)


def parse_formats(values: Sequence[str]) -> list[str]:
    """``--format html,md --format json`` -> ["html", "md", "json"]; unknown names are usage errors."""
    out: list[str] = []
    for value in values:
        for item in (v.strip().lower() for v in value.split(",")):
            if item == "markdown":
                item = "md"
            if item not in OUTPUT_FORMATS:
                raise InputError(f"unknown format {item!r}; choose from {', '.join(OUTPUT_FORMATS)}")
            if item and item not in out:
                out.append(item)
    return out


def check_timezone(name: object) -> str | None:
    """An IANA time zone name (Europe/Amsterdam), checked; None: the report language's default."""
    if name is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r}: give an IANA name such as Europe/Amsterdam or UTC") from None
    return str(name)


def parse_caa_identities(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``"Example Private CA=ca.example.nl"`` -> ("Example Private CA", "ca.example.nl")."""
    out = []
    for value in values:
        issuer, _, domain = value.rpartition("=")
        domain = domain.strip().lower().rstrip(".")
        if not issuer.strip() or not is_valid_dns_name(domain):
            raise InputError(f"bad --caa-identity {value!r}: give ISSUER=CAA-DOMAIN, e.g. \"Example CA=ca.example.nl\"")
        out.append((issuer.strip(), domain))
    return tuple(out)


def parse_networks(values: Sequence[str]) -> tuple[IpNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(v, strict=False) for v in values)
    except ValueError as exc:
        raise InputError(f"bad --allow-network: {exc}") from exc


def build_config(nameservers: Sequence[str], timeout: float, **fields: Any) -> Config:
    """A Config from the network options every command shares (bad resolvers: exit code 2)."""
    servers = tuple(parse_nameserver(n) for n in nameservers)
    return Config(nameservers=servers, timeout=timeout, **fields)


def check_trust_anchor(path: Path) -> None:
    """A bad --trust-anchor file is a usage error (exit 2), not a scan full of "not tested"."""
    from ..measures.dnssec.anchors import load_anchors

    try:
        load_anchors(path)
    except (OSError, ParseError) as exc:
        raise InputError(f"--trust-anchor {path}: {exc}") from exc


def _check_fleet_usage(engine: str, broker: str | None, run_id: str | None, eml_files: Sequence[Path]) -> None:
    if run_id is not None and engine != "celery":
        raise InputError("--run resumes a fleet run: give it with --engine celery")
    if engine == "celery" and not broker:
        raise InputError("--engine celery needs --broker redis://HOST:6379/0 (or MAILGUARD_BROKER)")
    if engine == "celery" and eml_files:
        raise InputError("--eml reads messages on this machine: use it with --engine local")


def _check_messages_readable(paths: Sequence[Path]) -> None:
    """Refuse (exit 2) a --eml file that is not a mail message, before any query is sent."""
    from ..measures.dkim.check import read_message

    for path in paths:
        read_message(path)


def _peer_settings(o: Mapping[str, Any], given: Collection[str], settings: RunSettings) -> dict[str, Any]:
    """The RPKI and BIMI options (the command line over the config file), checked up front so that
    an unusable VRP file, URL, zone or CA bundle is exit code 2 and not a scan of "not tested"."""
    from ..measures.rpki.measure import check_url, load_vrps
    from ..net.certs import load_bundle

    vrps = o["rpki_vrps"] if "rpki_vrps" in given else settings.rpki_vrps
    url = o["rpki_url"] if "rpki_url" in given else settings.rpki_url
    selectors = o["bimi_selectors"] if "bimi_selectors" in given else settings.bimi_selectors
    ca = o["bimi_ca"] if "bimi_ca" in given else settings.bimi_ca
    origin_zone, origin6_zone = o["rpki_origin_zone"], o["rpki_origin6_zone"]
    if vrps is not None and url:
        raise InputError("give --rpki-vrps or --rpki-url, not both")
    if vrps is not None:
        load_vrps(Path(vrps))
    if url:
        url = check_url(url)
    if ca is not None:
        load_bundle(Path(ca))
    for zone in (origin_zone, origin6_zone):
        if not is_valid_dns_name(zone.strip().rstrip(".")):
            raise InputError(f"not a DNS zone: {zone!r}")
    for selector in selectors:
        if not is_valid_dns_name(selector.strip().rstrip(".")):
            raise InputError(f"--bimi-selector {selector!r}: not a DNS label")
    return {"rpki_vrps": vrps, "rpki_url": url or None, "rpki_origin_zone": origin_zone.strip().rstrip("."),
            "rpki_origin6_zone": origin6_zone.strip().rstrip("."), "bimi_selectors": tuple(selectors),
            "bimi_ca": ca}


def _report_writer(formats: Sequence[str], report_formats: Sequence[str], report_dir: Path | None,
                   config_file: Path | None, settings: RunSettings, sign_key: Path | None,
                   signer: str | None, lang: str | None, tz: str | None = None) -> ReportWriter | None:
    """The writer of report files, or None when no report folder is asked for."""
    file_formats = [f for f in formats if f in ("html", "md", "pdf")] + list(report_formats) + list(settings.formats)
    if not (file_formats or report_dir or settings.report_dir or config_file):
        return None
    if "json" in formats:
        file_formats.append("json")
    key_path = sign_key or settings.sign_key
    sign = Signer.load(Path(key_path), signer or settings.signer) if key_path is not None else None
    root = report_dir or settings.report_dir or Path("reports")
    return ReportWriter(root, file_formats or list(DEFAULT_FORMATS), sign, lang, tz)
