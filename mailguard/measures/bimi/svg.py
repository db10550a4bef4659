"""The BIMI logo, pure: SVG bytes in, :class:`SvgFacts` out, checked against SVG Tiny
Portable/Secure (draft-svg-tiny-ps-abrotman; BIMI Group's SVG guidance for the size and shape).

The XML is parsed with the standard library's expat, and hostile XML is refused before it can do
harm: any document type declaration (and with it every entity, internal or external, and the
"billion laughs") is an error, as is an external entity reference; parameter entities are never
parsed. Nothing is fetched. Element count and depth are bounded.

What SVG Tiny PS asks of the document, and what this module reports:
* the root is ``<svg>`` in the SVG namespace with ``version="1.2"`` and ``baseProfile="tiny-ps"``,
  and without ``x``/``y`` attributes;
* it has a ``<title>`` (the brand's name);
* no scripts or event handlers, no animation, no ``<image>``, ``<foreignObject>``, ``<a>``,
  audio or video, and no reference to anything outside the document (an ``href`` or ``url()``
  that is not a ``#fragment``, an ``xml-stylesheet``);
* BIMI's own shape: a square ``viewBox`` (the logo is shown in a circle or square).
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field

from ...core.errors import ParseError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
MAX_ELEMENTS = 20_000
MAX_DEPTH = 200
MAX_LISTED = 10  # offending elements/references listed in a report

# Elements SVG Tiny PS leaves out: scripting, animation, raster or foreign content, links, media.
FORBIDDEN = frozenset({
    "script", "handler", "listener", "animate", "animateColor", "animateMotion", "animateTransform",
    "set", "discard", "image", "foreignObject", "a", "audio", "video", "iframe", "prefetch",
})
_URL_FUNC = re.compile(r"url\(\s*['\"]?\s*([^)'\"\s]*)", re.IGNORECASE)
_IMPORT = re.compile(r"@import", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class SvgFacts:
    """What the logo is, as far as SVG Tiny PS and BIMI care.

    root: the root element's name (``svg`` when right), namespace: its namespace.
    version / base_profile: the root's attributes ("" when absent). root_xy: ``x``/``y`` on the root.
    title: the first <title>'s text (None: no title). view_box: (min-x, min-y, width, height) or
    None; view_box_error: why it could not be read. forbidden: forbidden element names found;
    external: references to outside the document; handlers: ``on*`` attributes found.
    """

    root: str
    namespace: str
    version: str
    base_profile: str
    root_xy: tuple[str, ...]
    title: str | None
    view_box: tuple[float, float, float, float] | None
    view_box_error: str
    forbidden: tuple[str, ...] = ()
    external: tuple[str, ...] = ()
    handlers: tuple[str, ...] = ()
    elements: int = 0

    @property
    def tiny_ps(self) -> bool:
        return self.base_profile == "tiny-ps" and self.version == "1.2"

    @property
    def square(self) -> bool:
        return self.view_box is not None and self.view_box[2] == self.view_box[3] > 0

    def problems(self) -> tuple[tuple[str, str], ...]:
        """Every way the logo departs from SVG Tiny PS and BIMI, as (code, detail)."""
        out: list[tuple[str, str]] = []
        if self.root != "svg" or self.namespace != SVG_NS:
            out.append(("not-svg", f"root element {self.root!r} in namespace {self.namespace or 'none'!r}"))
        if self.base_profile != "tiny-ps":
            out.append(("not-tiny-ps", f'baseProfile="{self.base_profile}"' if self.base_profile
                        else "no baseProfile"))
        if self.version != "1.2":
            out.append(("version", f'version="{self.version}"' if self.version else "no version"))
        if self.root_xy:
            out.append(("root-xy", ", ".join(self.root_xy)))
        if self.title is None or not self.title.strip():
            out.append(("no-title", "no <title>" if self.title is None else "empty <title>"))
        if self.forbidden:
            out.append(("forbidden", ", ".join(f"<{n}>" for n in self.forbidden)))
        if self.handlers:
            out.append(("handlers", ", ".join(self.handlers)))
        if self.external:
            out.append(("external", ", ".join(self.external)))
        if self.view_box is None:
            out.append(("no-viewbox", self.view_box_error or "no viewBox"))
        elif not self.square:
            out.append(("not-square", f"viewBox {' '.join(f'{v:g}' for v in self.view_box)}"))
        return tuple(out)


@dataclass
class _State:
    depth: int = 0
    elements: int = 0
    root: str | None = None
    namespace: str = ""
    attrs: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    in_title: int = 0  # depth of the first <title> while inside it
    in_style: bool = False
    forbidden: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    handlers: list[str] = field(default_factory=list)


class _Refused(Exception):
    """Raised from an expat handler to stop at hostile XML."""


def _split(name: str) -> tuple[str, str]:
    """expat's ``"namespace local"`` (namespace_separator=" ") into (namespace, local)."""
    namespace, _, local = name.rpartition(" ")
    return namespace, local


def _note(bucket: list[str], item: str) -> None:
    if item not in bucket and len(bucket) < MAX_LISTED:
        bucket.append(item)


def _is_external(reference: str) -> bool:
    """A reference outside the document: anything but empty or a same-document ``#fragment``."""
    ref = reference.strip()
    return bool(ref) and not ref.startswith("#")


def _check_css(text: str, state: _State) -> None:
    for target in _URL_FUNC.findall(text):
        if _is_external(target):
            _note(state.external, f"url({target[:80]})")
    if _IMPORT.search(text):
        _note(state.external, "@import in a style")


def parse_view_box(text: str) -> tuple[float, float, float, float]:
    """``min-x min-y width height``, separated by whitespace and/or a comma (SVG 1.2 Tiny §7.7);
    ParseError unless four numbers with a positive width and height."""
    parts = [p for p in re.split(r"[\s,]+", text.strip()) if p]
    if len(parts) != 4 or not all(_NUMBER.match(p) for p in parts):
        raise ParseError(f"viewBox {text[:60]!r} is not four numbers", text, 0)
    x, y, w, h = (float(p) for p in parts)
    if w <= 0 or h <= 0:
        raise ParseError(f"viewBox {text[:60]!r} has no positive width and height", text, 0)
    return x, y, w, h


def check_svg(data: bytes) -> SvgFacts:
    """Parse ``data`` as SVG and report its facts; ParseError (with the byte position) if it is
    not well-formed XML, or is refused as hostile (a DOCTYPE, entities)."""
    state = _State()
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse_doctype(*_: object) -> None:
        raise _Refused("a DOCTYPE is not allowed (no DTDs, no entities)")

    def refuse_entity(*_: object) -> None:
        raise _Refused("entity declarations are not allowed")

    def refuse_external(*_: object) -> int:
        raise _Refused("external entities are not allowed")

    def start(name: str, attrs: dict[str, str]) -> None:
        state.depth += 1
        state.elements += 1
        if state.depth > MAX_DEPTH or state.elements > MAX_ELEMENTS:
            raise _Refused(f"more than {MAX_DEPTH} levels or {MAX_ELEMENTS} elements")
        namespace, local = _split(name)
        if state.root is None:
            state.root, state.namespace, state.attrs = local, namespace, dict(attrs)
        if local in FORBIDDEN:
            _note(state.forbidden, local)
        if local == "title" and state.title is None and not state.in_title:
            state.in_title, state.title = state.depth, ""
        state.in_style = local == "style"
        for key, value in attrs.items():
            attr_ns, attr = _split(key)
            if attr == "href" and _is_external(value):
                _note(state.external, f"{'xlink:' if attr_ns == XLINK_NS else ''}href={value[:80]}")
            elif attr.lower().startswith("on"):
                _note(state.handlers, attr)
            elif attr == "style" or "url(" in value.lower():
                _check_css(value, state)

    def end(name: str) -> None:
        if state.in_title == state.depth:
            state.in_title = 0
        state.in_style = False
        state.depth -= 1

    def text(data: str) -> None:
        if state.in_title and state.title is not None:
            state.title = (state.title + data)[:500]
        if state.in_style:
            _check_css(data, state)

    def instruction(target: str, data: str) -> None:
        if target.lower() == "xml-stylesheet":
            _note(state.external, f"<?xml-stylesheet {data[:80]}?>")

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.ProcessingInstructionHandler = instruction
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise ParseError(str(exc), position=parser.CurrentByteIndex) from None
    except xml.parsers.expat.ExpatError as exc:
        message = xml.parsers.expat.ErrorString(exc.code) if exc.code else str(exc)
        raise ParseError(f"not well-formed XML: {message} (line {exc.lineno}, column {exc.offset})",
                         position=parser.CurrentByteIndex) from None
    assert state.root is not None  # expat reports "no element found" for an empty document
    return _facts(state)


def _facts(state: _State) -> SvgFacts:
    attrs = {_split(k)[1]: v for k, v in state.attrs.items() if not _split(k)[0]}
    view_box: tuple[float, float, float, float] | None = None
    error = ""
    if "viewBox" in attrs:
        try:
            view_box = parse_view_box(attrs["viewBox"])
        except ParseError as exc:
            error = exc.message
    return SvgFacts(
        root=state.root or "", namespace=state.namespace, version=attrs.get("version", "").strip(),
        base_profile=attrs.get("baseProfile", "").strip(),
        root_xy=tuple(f'{k}="{attrs[k][:20]}"' for k in ("x", "y") if k in attrs),
        title=state.title, view_box=view_box, view_box_error=error, forbidden=tuple(state.forbidden),
        external=tuple(state.external), handlers=tuple(state.handlers), elements=state.elements,
    )


__all__ = ["FORBIDDEN", "SVG_NS", "SvgFacts", "check_svg", "parse_view_box"]
