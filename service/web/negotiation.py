"""Content negotiation, pure: parse ``Accept``, choose a media type, the two format tables.

RFC 9110 §12.5.1 (https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1) for ``Accept`` and
q-values; the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/#query-success)
for which formats answer which query form.

The two format tables (:mod:`service.formats`) are shared with the store, which serialises in
the format the web layer resolved here; the store never sees an ``Accept`` header.
"""

from __future__ import annotations

from functools import lru_cache

from ..formats import GRAPH_FORMATS, RESULT_FORMATS, Format

__all__ = [
    "Format",
    "RESULT_FORMATS",
    "GRAPH_FORMATS",
    "NotAcceptable",
    "parse_accept",
    "choose_format",
    "prefers_html",
    "supported_types",
]


class NotAcceptable(Exception):
    """Nothing offered satisfies the request; ``supported`` lists what would."""

    def __init__(self, supported: list[str], requested: str):
        self.supported = supported
        self.requested = requested
        super().__init__(
            f"none of the requested media types ({requested or 'none'}) can be produced; "
            f"supported: {', '.join(supported)}"
        )


@lru_cache(maxsize=512)
def parse_accept(header: str | None) -> tuple[tuple[str, float, int], ...]:
    """``Accept`` → ``((media range, q, specificity), ...)`` sorted best first.

    Specificity: 2 for ``type/subtype``, 1 for ``type/*``, 0 for ``*/*``. Malformed entries
    and ``q=0`` are dropped; a missing or empty header means ``*/*``.
    """
    if not header or not header.strip():
        return (("*/*", 1.0, 0),)
    ranges = []
    for index, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        major, _, minor = media.partition("/")
        specificity = 0 if media == "*/*" else 1 if minor == "*" else 2
        ranges.append((media, q, specificity, index))
    ranges.sort(key=lambda r: (-r[1], -r[2], r[3]))
    return tuple((m, q, s) for m, q, s, _ in ranges)


def _quality(media_type: str, accepted: tuple[tuple[str, float, int], ...]) -> float:
    """The q-value the most specific matching range gives ``media_type`` (0 when none)."""
    major = media_type.split("/", 1)[0]
    best_specificity, best_q = -1, 0.0
    for media, q, specificity in accepted:
        if media == media_type or media == f"{major}/*" or media == "*/*":
            if specificity > best_specificity:
                best_specificity, best_q = specificity, q
    return best_q


def supported_types(table: tuple[Format, ...]) -> list[str]:
    """The canonical media types of a table, in preference order."""
    return [f.media_type for f in table]


@lru_cache(maxsize=1024)
def choose_format(
    table: tuple[Format, ...], accept: str | None, format_param: str | tuple[str, ...] | None = None
) -> Format:
    """Pick a row of ``table``: the ``format`` parameter wins, else ``Accept`` with q-values.

    ``format_param`` may hold several values (SPARQLWrapper sends ``format=tsv`` and
    ``format=text/tab-separated-values``); the first one that names a row wins. Aliases such
    as ``application/json`` count as explicit requests for their row. Ties go to the table's
    order (JSON for results, Turtle for graphs).

    :raises NotAcceptable: when neither the parameter nor ``Accept`` matches anything.
    """
    if format_param:
        values = (format_param,) if isinstance(format_param, str) else format_param
        for value in values:
            wanted = value.strip().lower()
            for row in table:
                if wanted == row.media_type or wanted == row.key or wanted in row.aliases:
                    return row
        raise NotAcceptable(supported_types(table), "format=" + ",".join(values))
    accepted = parse_accept(accept)
    best, best_q, best_explicit = None, 0.0, False
    for row in table:
        q = _quality(row.media_type, accepted)
        explicit = any(m == row.media_type for m, _, _ in accepted)
        for alias in row.aliases:
            if "/" in alias:
                for media, alias_q, _ in accepted:
                    if media == alias and alias_q > q:
                        q, explicit = alias_q, True
        if q > best_q or (q == best_q and explicit and not best_explicit and q > 0):
            best, best_q, best_explicit = row, q, explicit
    if best is None:
        raise NotAcceptable(supported_types(table), accept or "")
    return best


@lru_cache(maxsize=512)
def prefers_html(accept: str | None) -> bool:
    """True when ``text/html`` is asked for by name and ranks at least as high as every
    SPARQL results or RDF type the request names.

    A missing ``Accept`` or a bare ``*/*`` (curl, most libraries) is not a browser.
    """
    accepted = parse_accept(accept)
    if not any(m == "text/html" or m == "application/xhtml+xml" for m, _, _ in accepted):
        return False
    html_q = max(_quality("text/html", accepted), _quality("application/xhtml+xml", accepted))
    named = [
        q
        for media, q, _ in accepted
        if any(
            media == row.media_type or media in row.aliases
            for row in RESULT_FORMATS + GRAPH_FORMATS
        )
    ]
    return html_q > 0 and all(html_q >= q for q in named)
