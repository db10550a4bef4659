"""``mailguard serve``: a read-only web view of the results database (Starlette, Jinja2, uvicorn).

Every page is rendered on the server and works without JavaScript; none is sent. Every remote
string reaches the page through an autoescaping template; each response carries a strict
Content-Security-Policy. The database is opened read-only and never migrated: no endpoint writes.
Starlette and uvicorn load only here, when ``serve`` runs (``pip install 'mailguard[dashboard]'``).

Access: loopback needs nothing; any other address needs an access token (``--token``: a query
parameter once, then a cookie, or ``Authorization: Bearer``), a password file (``--password-file``:
HTTP Basic, checked against scrypt hashes, see :mod:`.passwords`), or both (either admits).

Downloads beside the JSON and HTML rendered from the database: a scan's PDF and, where its
reports were signed, the signed files with their signatures, from the report folder
(``--report-dir``). A PDF the folder holds is served as it is, because its ``.pdf.sig`` covers
those exact bytes and names that file; for a scan without one (a fleet scan, a scan written
without ``--report pdf``) the PDF is rendered from the stored report on demand, one at a time.
Files are found by listing the scan's own report set (:func:`mailguard.history.folder.scan_files`);
a name in an address is only ever looked up in that listing, never joined to a path.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from ...core.errors import InputError, MailguardError
from ...core.text import visible
from ...history import folder
from ...history.store import Store, browse, open_readonly
from . import data
from .labels import LABELS
from .openapi import openapi
from .passwords import Passwords

log = logging.getLogger("mailguard.serve")

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
COOKIE = "mailguard_token"
LOOPBACK_NAMES = ("localhost",)
LANGS = ("en", "nl")


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None, passwords: Passwords | None = None) -> None:
    """Only loopback may be served without an access token or a password file."""
    if not is_loopback(host) and not token and passwords is None:
        raise InputError(f"refusing to listen on {host} without an access token or a password file: anyone who "
                         "can reach it would read every result. Give --token (or MAILGUARD_TOKEN) or "
                         "--password-file (entries from `mailguard passwd FILE USER`), or keep the default "
                         "--host 127.0.0.1")


def _visible(value: object) -> object:
    if isinstance(value, markupsafe.Markup) or not isinstance(value, str):
        return value
    return visible(value, keep_lines=True)


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("mailguard.app.dashboard", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    # Controls and bidi overrides in remote text (a record, an error) are shown as escapes, never act.
    env.finalize = _visible
    return env


def _style_hashes(html: str) -> str:
    """CSP hashes of the report's own inline style sheets (the report is one self-contained file)."""
    return " ".join("'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
                    for body in re.findall(r"<style>(.*?)</style>", html, flags=re.S))


def _report_csp(body: str) -> str:
    return CSP.replace("style-src 'self'", f"style-src 'self' {_style_hashes(body)}")


def _attachment(domain: str, scan_id: int, ext: str) -> str:
    safe = re.sub(r"[^a-z0-9.-]", "_", domain.lower())
    return f'attachment; filename="{safe}-{scan_id}.{ext}"'


def _lang(request: Any) -> str:
    """?lang=nl|en, else the browser's first choice of the two, else English."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return str(asked)
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return str(code)
    return "en"


MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
               "json": "application/json"}
MAX_FILE_BYTES = folder.MAX_REPORT_BYTES
PDF_WAIT_S = 60.0  # a PDF request waits this long for the one before it to be rendered
AUTH_CACHE = 256  # logins remembered (as keyed digests), so that a page's requests cost one scrypt
REALM = 'Basic realm="mailguard", charset="UTF-8"'


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic`` header (RFC 7617), or None."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (user, password) if colon else None


def create_app(db: str, token: str | None = None, *, page_size: int = data.PAGE_SIZE,
               passwords: Passwords | None = None, report_dir: Path | None = None,
               now: Callable[[], datetime] | None = None) -> Any:
    """The ASGI application over the database at ``db`` (a SQLite path or a URL); ``page_size`` rows a page.

    ``passwords``: users admitted with HTTP Basic; ``report_dir``: the report folder whose PDF and
    signature files are offered; ``now``: the clock the certificate expiry filter counts from.
    Its ``close()`` (also run at the server's shutdown) closes the database connections."""
    from importlib import resources

    from sqlalchemy.exc import SQLAlchemyError
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
    from starlette.routing import Route

    from ...render import html as render_html
    from ...render import json as render_json
    from ...render import pdf as render_pdf

    env = _templates()
    shown = db.split("://", 1)[0] + "://..." if "://" in db else db  # never a password in a page
    css = resources.files("mailguard.app.dashboard").joinpath("static/dashboard.css").read_text("utf-8")
    opened: list[Store] = []
    lock = threading.Lock()
    clock = now or (lambda: datetime.now(UTC))
    can_render_pdf = render_pdf.available()
    rendering = threading.Lock()  # WeasyPrint is heavy: one PDF at a time
    checking = threading.BoundedSemaphore(2)  # scrypt checks at once: wrong passwords cannot take every thread
    admitted: OrderedDict[bytes, None] = OrderedDict()
    cache_key = secrets.token_bytes(32)

    def store() -> Store:
        with lock:
            if not opened:
                opened.append(open_readonly(db))
            return opened[0]

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        lang = _lang(request)
        # a language chosen with ?lang= stays chosen on every link of the page
        chosen = request.query_params.get("lang") in LANGS
        switch = {code: (lambda u: f"{u.path}?{u.query}")(request.url.include_query_params(lang=code))
                  for code in LANGS}  # this page, with everything it was asked, in the other language
        return HTMLResponse(env.get_template(name).render(L=LABELS[lang], lang=lang, lq=f"?lang={lang}" if chosen
                                                          else "", la=f"&lang={lang}" if chosen else "",
                                                          switch=switch, **context),
                            status_code=status)

    def problem(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status)
        return page(request, "error.html", status, title="mailguard", message=message)

    def int_arg(request: Request, name: str, default: int) -> int:
        try:
            return max(int(request.query_params.get(name, default)), 1)
        except ValueError:
            return default

    def fleet_data(request: Request) -> dict[str, Any]:
        filter_ = request.query_params.get("filter") or None
        sort = request.query_params.get("sort") or "domain"
        if filter_ not in (None, *browse.FILTERS):
            raise InputError(f"unknown filter {filter_!r}: use one of {', '.join(browse.FILTERS)}")
        if sort not in browse.SORTS:
            raise InputError(f"unknown sort {sort!r}: use one of {', '.join(browse.SORTS)}")
        return data.fleet(store(), filter_=filter_, search=request.query_params.get("q") or None, sort=sort,
                          page=int_arg(request, "page", 1), size=page_size, now=clock())

    def fleet_page(request: Request) -> Response:
        return page(request, "fleet.html", title="mailguard: fleet", fleet=fleet_data(request),
                    filters=browse.FILTERS, sorts=browse.SORTS)

    def fleet_api(request: Request) -> Response:
        return JSONResponse(fleet_data(request))

    def domain_data(request: Request) -> dict[str, Any]:
        name = request.path_params["name"].strip().lower()
        found = data.domain(store(), name, _lang(request), reports=report_dir, pdf=can_render_pdf)
        if found is None:
            raise LookupError(f"no scans recorded for {name}")
        return found

    def domain_page(request: Request) -> Response:
        found = domain_data(request)
        return page(request, "domain.html", title=f"mailguard: {found['domain']}", d=found)

    def domain_api(request: Request) -> Response:
        return JSONResponse(domain_data(request))

    def scan_document(request: Request) -> tuple[int, str, dict[str, Any]]:
        scan_id = request.path_params["id"]
        found = browse.scan(store(), scan_id)
        if found is None:
            raise LookupError(f"no scan {scan_id}")
        return scan_id, found[0], found[1]

    def scan_page(request: Request) -> Response:
        _id, _domain, doc = scan_document(request)
        body = render_html.render(render_json.load(doc), lang=_lang(request))
        return HTMLResponse(body, headers={"Content-Security-Policy": _report_csp(body)})

    def scan_json(request: Request) -> Response:
        scan_id, domain, doc = scan_document(request)
        return Response(json.dumps(doc, indent=2, ensure_ascii=False), media_type="application/json",
                        headers={"Content-Disposition": _attachment(domain, scan_id, "json")})

    def scan_html(request: Request) -> Response:
        scan_id, domain, doc = scan_document(request)
        body = render_html.render(render_json.load(doc), lang=_lang(request))
        return HTMLResponse(body, headers={"Content-Disposition": _attachment(domain, scan_id, "html"),
                                           "Content-Security-Policy": _report_csp(body)})

    def report_files(scan_id: int, domain: str, doc: dict[str, Any]) -> dict[str, Path]:
        if report_dir is None:
            return {}
        return folder.scan_files(report_dir, domain, str(doc.get("started", "")))

    def send_file(path: Path, ext: str) -> Response:
        """A file of the report folder, as the attachment it was written as (its name is what its
        signature names), read only if it still lies inside the folder."""
        assert report_dir is not None
        real = path.resolve(strict=True)
        if not real.is_relative_to(report_dir.resolve()) or real.stat().st_size > MAX_FILE_BYTES:
            raise LookupError(f"no file {path.name}")
        body = real.read_bytes()
        kind = "application/json" if ext.endswith(".sig") else MEDIA_TYPES[ext]
        return Response(body, media_type=kind,
                        headers={"Content-Disposition": f'attachment; filename="{path.name}"'})

    def scan_pdf(request: Request) -> Response:
        scan_id, domain, doc = scan_document(request)
        written = report_files(scan_id, domain, doc).get("pdf")
        if written is not None:
            return send_file(written, "pdf")
        if not can_render_pdf:
            raise LookupError(f"no PDF of scan {scan_id}: its report folder holds none, and rendering one needs "
                              "WeasyPrint (pip install 'mailguard[pdf]')")
        if not rendering.acquire(timeout=PDF_WAIT_S):
            raise MailguardError("another PDF is being rendered; try again in a minute")
        try:
            body = render_pdf.render(render_json.load(doc), lang=_lang(request))
        finally:
            rendering.release()
        return Response(body, media_type="application/pdf",
                        headers={"Content-Disposition": _attachment(domain, scan_id, "pdf")})

    def scan_file(request: Request) -> Response:
        scan_id, domain, doc = scan_document(request)
        name = request.path_params["name"]
        # the name is looked up among the scan's own files, never joined to a path
        found = {path.name: (ext, path) for ext, path in report_files(scan_id, domain, doc).items()}
        if name not in found:
            raise LookupError(f"no file {name} for scan {scan_id}")
        ext, path = found[name]
        return send_file(path, ext)

    def runs_page(request: Request) -> Response:
        found = data.runs(store(), page=int_arg(request, "page", 1), size=page_size)
        return page(request, "runs.html", title="mailguard: runs", r=found)

    def runs_api(request: Request) -> Response:
        return JSONResponse(data.runs(store(), page=int_arg(request, "page", 1), size=page_size))

    def openapi_json(_request: Request) -> Response:
        return JSONResponse(openapi())

    def stylesheet(_request: Request) -> Response:
        return Response(css, media_type="text/css")

    routes = [
        Route("/", fleet_page), Route("/domain/{name}", domain_page), Route("/scan/{id:int}", scan_page),
        Route("/scan/{id:int}.json", scan_json), Route("/scan/{id:int}.html", scan_html),
        Route("/scan/{id:int}.pdf", scan_pdf), Route("/scan/{id:int}/files/{name}", scan_file),
        Route("/runs", runs_page),
        Route("/api/fleet", fleet_api), Route("/api/domain/{name}", domain_api),
        Route("/api/scan/{id:int}", scan_json), Route("/api/runs", runs_api),
        Route("/api/openapi.json", openapi_json), Route("/static/dashboard.css", stylesheet),
    ]

    def password_ok(header: str) -> bool:
        """Whether an ``Authorization: Basic`` header names a user of the password file and their password."""
        assert passwords is not None
        digest = hmac.new(cache_key, header.encode("utf-8", "surrogateescape"), hashlib.sha256).digest()
        with lock:
            if digest in admitted:
                admitted.move_to_end(digest)
                return True
        credentials = _basic_credentials(header)
        if credentials is None:
            return False
        with checking:
            ok = passwords.check(*credentials)
        if ok:
            with lock:
                admitted[digest] = None
                while len(admitted) > AUTH_CACHE:
                    admitted.popitem(last=False)
        return ok

    class Guard:
        """Token and password checks, error pages, security headers; GET and HEAD only."""

        def __init__(self, app: Any, close: Callable[[], None]) -> None:
            self.app = app
            self.close = close

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            request = Request(scope, receive)
            response = await self.respond(request, scope, receive)
            await response(scope, receive, send)

        async def respond(self, request: Request, scope: Any, receive: Any) -> Response:
            if request.method not in ("GET", "HEAD"):
                return secure(PlainTextResponse("read-only: only GET\n", status_code=405, headers={"Allow": "GET"}))
            if token:
                given = request.query_params.get("token")
                if given is not None and hmac.compare_digest(given.encode(), token.encode()):
                    redirect = RedirectResponse(request.url.remove_query_params("token"), status_code=303)
                    redirect.set_cookie(COOKIE, token, httponly=True, samesite="strict")
                    return secure(redirect)
            if (token or passwords) and not await self.admitted(request):
                return secure(self.refusal(request))
            try:
                return secure(await dispatch(request, scope, receive))
            except LookupError as exc:
                return secure(problem(request, 404, str(exc.args[0])))
            except InputError as exc:
                return secure(problem(request, 400, str(exc)))
            except MailguardError as exc:
                log.error("mailguard serve: %s", exc)
                return secure(problem(request, 503, str(exc)))
            except SQLAlchemyError as exc:
                log.error("mailguard serve: database %s: %s", shown, exc)
                return secure(problem(request, 503, f"the database {shown} cannot be read: "
                                                    f"{str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"))
            except Exception:
                log.exception("mailguard serve: %s failed", request.url.path)
                return secure(problem(request, 500, "this page failed; the server log says why"))

        @staticmethod
        async def admitted(request: Request) -> bool:
            from starlette.concurrency import run_in_threadpool

            header = request.headers.get("authorization", "")
            if token:
                offered = header.removeprefix("Bearer ").strip() or request.cookies.get(COOKIE, "")
                if hmac.compare_digest(offered.encode(), token.encode()):
                    return True
            if passwords is not None and header[:6].lower() == "basic ":
                return bool(await run_in_threadpool(password_ok, header))  # scrypt: never on the event loop
            return False

        @staticmethod
        def refusal(request: Request) -> Response:
            if passwords is None:
                return problem(request, 401, "an access token is needed: open this address with ?token=... or "
                                             "send Authorization: Bearer ...")
            either = "an access token or " if token else ""
            response = problem(request, 401, f"{either}a user name and password are needed")
            response.headers["WWW-Authenticate"] = REALM
            return response

    async def dispatch(request: Request, scope: Any, receive: Any) -> Response:
        from starlette.concurrency import run_in_threadpool
        from starlette.routing import Match

        for route in routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                # The database is read synchronously: in a worker thread, never on the event loop.
                return await run_in_threadpool(route.endpoint, Request({**scope, **child}, receive))
        raise LookupError(f"no page {request.url.path}")

    def secure(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    def close() -> None:
        with lock:
            while opened:
                opened.pop().close()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        yield
        close()

    return Guard(Starlette(routes=[], lifespan=lifespan), close)  # Starlette answers the lifespan messages


def serve(db: str, host: str, port: int, token: str | None, password_file: Path | None = None,
          report_dir: Path | None = None) -> None:
    """Check the password file, the address and the database, then serve until interrupted."""
    passwords = Passwords.load(password_file) if password_file is not None else None
    check_bind(host, token, passwords)
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise InputError(f"mailguard serve needs {exc.name}: pip install 'mailguard[dashboard]'") from exc
    try:
        open_readonly(db).close()
    except MailguardError as exc:  # served anyway: each page says why until the database can be read
        log.warning("mailguard serve: %s", exc)
    uvicorn.run(create_app(db, token, passwords=passwords, report_dir=report_dir), host=host, port=port,
                log_level="info")


__all__ = ["CSP", "check_bind", "create_app", "serve"]
