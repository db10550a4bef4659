"""The OpenAPI description of the dashboard's JSON API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from ..._version import __version__


def _get(summary: str, params: list[dict[str, Any]], schema: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": params, "responses": {
        "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
        "401": {"description": "access token or user name and password missing or wrong (when the server "
                               "has them)"},
        "404": {"description": "not found"},
        "503": {"description": "the database cannot be read"},
    }}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


_PAGE = _query("page", {"type": "integer", "minimum": 1}, "page number, 50 rows a page")
_OBJ = {"type": "object"}


def openapi() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "mailguard results", "version": __version__,
                 "description": "Read-only view of the mailguard results database."},
        "paths": {
            "/api/fleet": _get("Each domain with its newest scan", [
                _query("filter", {"enum": ["not-upheld", "unscannable", "cert-expiring"]},
                       "only these domains (cert-expiring: a certificate of the newest scan expired or "
                       "expires within 30 days)"),
                _query("q", {"type": "string"}, "domain name contains"),
                _query("sort", {"enum": ["domain", "-domain", "last", "-last", "score", "-score", "expiry",
                                         "-expiry"]},
                       "order; a leading - reverses (expiry: the earliest certificate expiry)"),
                _PAGE], {"type": "object", "properties": {
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"},
                    "domains": {"type": "array", "items": {"type": "object", "properties": {
                        "certificate_expires": {
                            "type": ["object", "null"],
                            "description": "the earliest notAfter among the mail and web server certificates "
                                           "of the newest scan (null: none seen)",
                            "properties": {"not_after": {"type": "string", "format": "date-time"},
                                           "date": {"type": "string", "format": "date"},
                                           "days": {"type": "integer"}, "soon": {"type": "boolean"}}}}}}}}),
            "/api/domain/{name}": _get("A domain's scans, newest first, with verdicts and changes",
                                       [_path("name", {"type": "string"})], _OBJ),
            "/api/scan/{id}": _get("A scan's full report document (the JSON report)",
                                   [_path("id", {"type": "integer"})], _OBJ),
            "/api/runs": _get("Runs, newest first", [_PAGE], _OBJ),
        },
    }
