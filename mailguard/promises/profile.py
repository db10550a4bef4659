"""The check profile ``checks/<domain>.toml``: what a statement promises, in a file a person edits.

:func:`from_analysis` builds a profile from a read statement; :func:`to_toml` writes it with a
comment beside every key; :func:`from_toml` reads it back (``tomllib``) and checks every value.
:func:`effective_promises` turns a profile into the :class:`~mailguard.core.model.Promise` objects the
verdicts judge, each carrying every setting it needs. Without a profile a scan uses
:func:`baseline`: the good practice internet.nl and the Dutch Forum Standaardisatie apply,
written as the same promises so that the same verdict code runs.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.errors import InputError, ProfileError
from ..core.files import read_text_capped
from ..core.model import Promise
from . import patterns
from .extract import Analysis
from .tomlwriter import Table, dumps

PROFILE_VERSION = 1

# How strict each check is where a promise does not say: internet.nl's and the Forum
# Standaardisatie's good practice. Each entry: (default, allowed values or type, explanation).
DEFAULTS: Mapping[str, tuple[Any, Any, str]] = {
    "dmarc_policy": ("quarantine", ("none", "quarantine", "reject"),
                     'The weakest DMARC policy accepted: "none", "quarantine" or "reject".'),
    "spf_all": ("~all", ("~all", "-all"),
                'The weakest ending of the SPF record accepted: "~all" (softfail) or "-all" (fail).'),
    "dkim_min_bits": (1024, int, "The smallest RSA key (bits) accepted for DKIM."),
    "min_tls": ("1.2", ("1.0", "1.1", "1.2", "1.3"),
                "The oldest TLS version accepted, on the website and on the mail servers."),
    "require_redirect": (True, bool, "The website must redirect http:// to https://."),
    "require_hsts": (False, bool, "The website must send HSTS (browsers then never use http:// again)."),
    "require_valid_certificate": (False, bool,
                                  "The mail servers' certificates must be valid for their names, "
                                  "not only encrypt."),
    "mta_sts_mode": ("enforce", ("testing", "enforce"), "The weakest MTA-STS mode accepted."),
}

# The settings each kind of promise reads (besides purpose and scope).
KIND_KEYS: Mapping[str, tuple[str, ...]] = {
    "spf": ("spf_all", "dmarc_policy"),
    "dmarc": ("dmarc_policy",),
    "dkim": ("dkim_min_bits",),
    "https": ("min_tls", "require_redirect", "require_hsts"),
    "mail-tls": ("min_tls", "require_valid_certificate"),
    "mta-sts": ("mta_sts_mode",),
}

PURPOSES = ("", "best", "anti-spoofing")
SCOPES = ("", "processors")
KNOWN_KINDS = tuple(patterns.KINDS)


@dataclass(frozen=True)
class ProcessorEntry:
    """A processor in the profile; one that ``sends_mail`` must be covered by SPF and DKIM."""

    name: str
    sends_mail: bool
    sends: str = ""
    spf_include: str = ""
    dkim_selectors: tuple[str, ...] = ()
    sentence: str = ""
    note: str = ""


@dataclass(frozen=True)
class Profile:
    """domains: the company's domains; the rest as documented in the file :func:`to_toml` writes."""

    domains: tuple[str, ...]
    web_hosts: tuple[str, ...] = ()
    dkim_selectors: tuple[str, ...] = ()
    spf_senders: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=lambda: {k: v[0] for k, v in DEFAULTS.items()})
    processors: tuple[ProcessorEntry, ...] = ()
    promises: tuple[Promise, ...] = ()
    language: str = "en"
    statement: str = ""
    baseline: bool = False


def from_analysis(analysis: Analysis, statement: str = "") -> Profile:
    """The profile a statement implies: its domains, processors and promises with their settings."""
    domains = analysis.domains.company
    own = set(domains) | {f"www.{d}" for d in domains}
    further = tuple(h for h in analysis.domains.web_hosts if h not in own)
    processors = tuple(
        ProcessorEntry(p.info.name, p.info.sends_mail, p.info.mail[0], p.info.spf_include,
                       p.info.dkim_selectors, p.sentence, p.info.note)
        for p in analysis.processors)
    return Profile(domains=domains, web_hosts=further, processors=processors,
                   promises=tuple(Promise(p.kind, p.sentence, (), dict(p.settings)) for p in analysis.promises),
                   language=analysis.language, statement=statement)


# --- the baseline ---------------------------------------------------------------------------

_BASELINE: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("spf", "baseline: an SPF record ending in -all or ~all, with DMARC enforcing "
            "(internet.nl, Forum Standaardisatie)", {"spf_all": "~all", "purpose": "anti-spoofing"}),
    ("dkim", "baseline: DKIM keys published for the domain's mail (internet.nl, Forum Standaardisatie)",
     {"dkim_min_bits": 1024}),
    ("dmarc", "baseline: a DMARC policy of quarantine or reject (internet.nl, Forum Standaardisatie)",
     {"dmarc_policy": "quarantine", "purpose": "anti-spoofing"}),
    ("mail-tls", "baseline: STARTTLS with TLS 1.2 or newer on every mail server (internet.nl, "
                 "Forum Standaardisatie)", {"min_tls": "1.2", "require_valid_certificate": False}),
    ("dane", "baseline: DANE (TLSA records) for the mail servers (internet.nl, Forum Standaardisatie)", {}),
    ("dnssec", "baseline: the domain signed with DNSSEC (internet.nl, Forum Standaardisatie)", {}),
    ("https", "baseline: the website over HTTPS with TLS 1.2 or newer, a redirect from http:// and HSTS "
              "(internet.nl, Forum Standaardisatie)",
     {"min_tls": "1.2", "require_redirect": True, "require_hsts": True}),
)


def baseline(domain: str) -> Profile:
    """The profile a scan uses when there is neither a statement nor a profile for ``domain``."""
    promises = tuple(Promise(kind, sentence, (), settings) for kind, sentence, settings in _BASELINE)
    return Profile(domains=(domain,), promises=promises, baseline=True, statement="baseline")


# --- from a profile to the promises the verdicts judge ----------------------------------------

def effective_promises(profile: Profile, domain: str | None = None) -> tuple[Promise, ...]:
    """Promises with every setting they need: the defaults for their kind, their own settings,
    and for SPF and DKIM the senders, selectors and mail-sending processors to look for."""
    senders = [s for s in profile.spf_senders]
    sending = [p for p in profile.processors if p.sends_mail]
    processors = [{"name": p.name, "sends": p.sends, "spf_include": p.spf_include,
                   "dkim_selectors": list(p.dkim_selectors), "note": p.note} for p in sending]
    out = []
    for promise in profile.promises:
        domains = promise.domains or profile.domains
        if domain is not None and domains and domain not in domains:
            continue
        settings: dict[str, Any] = {k: profile.defaults.get(k, DEFAULTS[k][0]) for k in KIND_KEYS.get(promise.kind, ())}
        settings.update(promise.settings)
        if promise.kind == "spf":
            settings.update(senders=list(senders), processors=processors)
        elif promise.kind == "dkim":
            settings.update(selectors=list(profile.dkim_selectors), processors=processors)
        elif promise.kind == "https":
            settings.update(hosts=list(profile.web_hosts))
        out.append(Promise(promise.kind, promise.sentence, tuple(domains), settings))
    return tuple(out)


def dkim_selectors(profile: Profile) -> tuple[str, ...]:
    """Every selector the DKIM measure should look up: the profile's and the processors'."""
    found = list(profile.dkim_selectors)
    for processor in profile.processors:
        if processor.sends_mail:
            found += processor.dkim_selectors
    return tuple(dict.fromkeys(found))


# --- writing --------------------------------------------------------------------------------

_INTRO = """\
mailguard check profile for {domain}

Written by `mailguard promises` from {source} ({language}) on {when}.
Edit it freely: `mailguard scan {domain}` reads it from the checks folder. Every [[promise]]
quotes the sentence of the statement it comes from; delete one that is no promise, add one that
mailguard missed, make a check stricter or milder. Keys and values are explained where they stand."""

_PROMISE_INTRO = """\
The promises, one [[promise]] each, with the sentence they come from.
kind: spf, dkim, dmarc, https, mail-tls, dnssec, dane or mta-sts are checked from outside; 2fa,
firewall, antivirus, backup, encryption-at-rest, audit, access-control, pseudonymisation, training,
monitoring and security-measures cannot be, and are reported as "not verifiable from outside".
purpose: "best" (the best possible protection is promised: the strictest settings) or
"anti-spoofing" (protection against mail in the company's name: DMARC must enforce).
scope = "processors": the promise is about the processors' systems, not the company's own.
Any key of [defaults] set here holds for this promise only."""

_LANGUAGES = {"nl": "Dutch", "en": "English"}


def to_toml(profile: Profile, *, now: datetime | None = None) -> str:
    """The profile as a commented TOML document (read back with :func:`from_toml`)."""
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    header = _INTRO.format(domain=profile.domains[0] if profile.domains else "?",
                           source=profile.statement or "?",
                           language=_LANGUAGES.get(profile.language, profile.language), when=when)
    top = (Table()
           .add("profile", PROFILE_VERSION, "The format of this file.")
           .add("statement", profile.statement, "The statement the promises come from.")
           .add("language", profile.language, "Its language (nl or en): the report's default language.")
           .add("domains", list(profile.domains),
                "The company's own domains: `mailguard scan` uses this profile for each of them.")
           .add("web_hosts", list(profile.web_hosts),
                "Further web hosts to check over HTTPS besides the domains and their www. host\n"
                "(a contact form, a customer portal).")
           .add("dkim_selectors", list(profile.dkim_selectors),
                "DKIM selectors to look up besides the common ones and the processors' selectors.")
           .add("spf_senders", list(profile.spf_senders),
                "Senders that must pass SPF besides the processors: include domains or IP addresses."))
    if profile.baseline:
        top.add("baseline", True, "These are the baseline promises, not a statement's.")
    defaults = Table("defaults", "How strict each check is where a promise does not say otherwise.")
    for name, (default, _, explanation) in DEFAULTS.items():
        defaults.add(name, profile.defaults.get(name, default), explanation)
    tables = [top, defaults]
    for i, processor in enumerate(profile.processors):
        tables.append(_processor_table(processor, first=i == 0))
    for i, promise in enumerate(profile.promises):
        table = Table("promise", _PROMISE_INTRO if i == 0 else "", array=True)
        table.add("kind", promise.kind).add("sentence", promise.sentence)
        if promise.domains and promise.domains != profile.domains:
            table.add("domains", list(promise.domains))
        for name, item in promise.settings.items():
            table.add(name, list(item) if isinstance(item, tuple) else item)
        tables.append(table)
    return dumps(tables, header=header)


def _processor_table(processor: ProcessorEntry, *, first: bool) -> Table:
    comment = ("The services the statement names. One that sends mail in the company's name\n"
               "(sends_mail = true) must be in SPF (spf_include) and sign with DKIM (one of\n"
               "dkim_selectors). Empty: look them up in the service's settings and fill them in.") if first else ""
    table = Table("processor", comment, array=True)
    table.add("name", processor.name).add("sends_mail", processor.sends_mail)
    if processor.sends_mail:
        table.add("sends", processor.sends).add("spf_include", processor.spf_include)
        table.add("dkim_selectors", list(processor.dkim_selectors))
    if processor.note:
        table.add("note", processor.note)
    return table.add("sentence", processor.sentence)


# --- reading --------------------------------------------------------------------------------

def from_toml(text: str, source: str = "profile") -> Profile:
    """Read a profile; :class:`ProfileError` names the key and what is wrong with it."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: not valid TOML: {exc}") from exc
    version = doc.get("profile", PROFILE_VERSION)
    if version != PROFILE_VERSION:
        raise ProfileError(f"{source}: profile format {version!r} is not supported (this mailguard reads "
                           f"{PROFILE_VERSION})")
    domains = _strings(doc, "domains", source)
    if not domains:
        raise ProfileError(f"{source}: 'domains' must name at least one domain")
    defaults = {k: v[0] for k, v in DEFAULTS.items()}
    raw_defaults = doc.get("defaults", {})
    if not isinstance(raw_defaults, dict):
        raise ProfileError(f"{source}: [defaults] must be a table")
    for name, item in raw_defaults.items():
        defaults[name] = _setting(name, item, f"{source}: [defaults]")
    return Profile(
        domains=tuple(d.lower().rstrip(".") for d in domains),
        web_hosts=tuple(h.lower() for h in _strings(doc, "web_hosts", source)),
        dkim_selectors=_strings(doc, "dkim_selectors", source),
        spf_senders=_strings(doc, "spf_senders", source),
        defaults=defaults,
        processors=tuple(_processor(p, f"{source}: processor {i + 1}")
                         for i, p in enumerate(_tables(doc, "processor", source))),
        promises=tuple(_promise(p, f"{source}: promise {i + 1}")
                       for i, p in enumerate(_tables(doc, "promise", source))),
        language=_choice(doc.get("language", "en"), ("en", "nl"), f"{source}: language"),
        statement=str(doc.get("statement", "")),
        baseline=doc.get("baseline", False) is True,
    )


def _strings(doc: Mapping[str, Any], name: str, where: str) -> tuple[str, ...]:
    items = doc.get(name, [])
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ProfileError(f"{where}: '{name}' must be a list of strings")
    return tuple(items)


def _tables(doc: Mapping[str, Any], name: str, where: str) -> list[dict[str, Any]]:
    items = doc.get(name, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ProfileError(f"{where}: '{name}' must be written as [[{name}]] tables")
    return items


def _choice(item: Any, allowed: tuple[Any, ...], where: str) -> Any:
    if item not in allowed:
        raise ProfileError(f"{where}: {item!r} is not one of {', '.join(repr(a) for a in allowed)}")
    return item


def _setting(name: str, item: Any, where: str) -> Any:
    if name == "purpose":
        return _choice(item, PURPOSES, f"{where} purpose")
    if name == "scope":
        return _choice(item, SCOPES, f"{where} scope")
    if name not in DEFAULTS:
        raise ProfileError(f"{where}: unknown setting {name!r}; known: {', '.join(DEFAULTS)}, purpose, scope")
    _, allowed, _ = DEFAULTS[name]
    if isinstance(allowed, tuple):
        return _choice(item, allowed, f"{where} {name}")
    if allowed is bool and not isinstance(item, bool) or allowed is int and (
            isinstance(item, bool) or not isinstance(item, int) or item <= 0):
        raise ProfileError(f"{where}: {name} must be {'true or false' if allowed is bool else 'a positive number'}")
    return item


def _promise(table: Mapping[str, Any], where: str) -> Promise:
    kind = table.get("kind")
    if kind not in KNOWN_KINDS:
        raise ProfileError(f"{where}: kind {kind!r} is not one of {', '.join(KNOWN_KINDS)}")
    sentence = table.get("sentence", "")
    if not isinstance(sentence, str):
        raise ProfileError(f"{where}: sentence must be text")
    domains = _strings(table, "domains", where)
    settings = {k: _setting(k, v, where) for k, v in table.items() if k not in {"kind", "sentence", "domains"}}
    return Promise(kind, sentence, tuple(d.lower() for d in domains), settings)


def _processor(table: Mapping[str, Any], where: str) -> ProcessorEntry:
    name = table.get("name")
    if not isinstance(name, str) or not name:
        raise ProfileError(f"{where}: a processor needs a name")
    sends_mail = table.get("sends_mail", False)
    if not isinstance(sends_mail, bool):
        raise ProfileError(f"{where}: sends_mail must be true or false")
    texts = {k: table.get(k, "") for k in ("sends", "spf_include", "sentence", "note")}
    if not all(isinstance(v, str) for v in texts.values()):
        raise ProfileError(f"{where}: sends, spf_include, sentence and note must be text")
    return ProcessorEntry(name, sends_mail, texts["sends"], texts["spf_include"].lower(),
                          _strings(table, "dkim_selectors", where), texts["sentence"], texts["note"])


MAX_PROFILE_BYTES = 1024 * 1024  # a profile a person edits; far more is not one


# --- files ----------------------------------------------------------------------------------

def profile_path(checks_dir: Path, domain: str) -> Path:
    return checks_dir / f"{domain}.toml"


def load(path: Path) -> Profile:
    try:
        text = read_text_capped(path, MAX_PROFILE_BYTES, "profile")
    except InputError as exc:
        raise ProfileError(str(exc)) from exc
    return from_toml(text, str(path))


def find(checks_dir: Path, domain: str) -> Path | None:
    """``checks/<domain>.toml``, else a profile in ``checks_dir`` whose ``domains`` name ``domain``."""
    direct = profile_path(checks_dir, domain)
    if direct.is_file():
        return direct
    return index(checks_dir).get(domain)


def index(checks_dir: Path) -> dict[str, Path]:
    """Every domain the profiles in ``checks_dir`` are for: by file name, else by ``domains``.

    A file that cannot be read is indexed by its name only, so that using it reports the error."""
    found: dict[str, Path] = {}
    if not checks_dir.is_dir():
        return found
    files = sorted(checks_dir.glob("*.toml"))
    for path in files:
        found[path.name[:-len(".toml")].lower()] = path
    for path in files:
        try:
            doc = tomllib.loads(read_text_capped(path, MAX_PROFILE_BYTES, "profile"))
        except (InputError, tomllib.TOMLDecodeError):
            continue
        names = doc.get("domains", [])
        for name in names if isinstance(names, list) else []:
            if isinstance(name, str):
                found.setdefault(name.lower().rstrip("."), path)
    return found


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(profile: Profile, checks_dir: Path, *, overwrite: bool = False) -> Path:
    """Write the profile atomically to ``checks_dir/<first domain>.toml``; never over an edited
    file unless ``overwrite``."""
    if not profile.domains:
        raise ProfileError("the statement names no domain of the company: no profile to write")
    path = profile_path(checks_dir, profile.domains[0])
    if path.exists() and not overwrite:
        raise ProfileError(f"{path} exists; it may hold your edits (use --force to replace it)")
    checks_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=checks_dir, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644 & ~_umask())  # a profile is for people to read and edit, not a secret (mkstemp: 0600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(to_toml(profile))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
