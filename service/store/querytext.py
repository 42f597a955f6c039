"""Lexical analysis of SPARQL query text, without a parser.

SPARQL 1.1 Query grammar: https://www.w3.org/TR/sparql11-query/#grammar. Oxigraph parses and
runs the query; this module only answers the questions the endpoint must answer *before*
running it, cheaply and thread-safely (rdflib's pyparsing grammar is neither):

* which query form it is (to negotiate the response format and apply the row cap);
* which ``SERVICE`` endpoints it names (outbound requests are refused unless allow-listed);
* whether it is an update (refused: the endpoint is read-only);
* its ``PREFIX`` declarations (reused when serialising graphs as Turtle);
* its trailing top-level ``LIMIT``;
* how deeply it nests groups, brackets and parentheses (Oxigraph's recursive-descent parser
  overflows the stack of a query process somewhere between 2,000 and 3,000 levels: measured
  here with pyoxigraph 0.5; the endpoint refuses far fewer, ``MAX_QUERY_DEPTH``).

Everything works on a *skeleton*: the text with comments removed, string literals replaced by
``""`` and IRIs by ``<#n>`` (an index into the list of IRIs), so that keywords inside literals,
IRIs or comments are never mistaken for syntax. The checks err on the side of refusal: a
``SERVICE`` keyword is recognised anywhere it is not part of a variable or prefixed name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["QueryText", "analyse"]

_TOKENS = re.compile(
    r'''(?P<comment>\#[^\n\r]*)
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<string>"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""
                  | \'\'\'(?:(?:\'|\'\')?(?:[^'\\]|\\.))*\'\'\'
                  | "(?:[^"\\\n\r]|\\.)*"
                  | '(?:[^'\\\n\r]|\\.)*')
    ''',
    re.VERBOSE | re.DOTALL,
)

# A keyword is a bare word: not the tail of a variable (?x, $x), not part of a prefixed name
# (ex:service, service:x) and not inside a longer word.
_KW_BEFORE = r"(?<![\w:?$])"
_KW_AFTER = r"(?![\w:])"
_FORM = re.compile(_KW_BEFORE + r"(SELECT|ASK|CONSTRUCT|DESCRIBE)" + _KW_AFTER, re.IGNORECASE)
_SERVICE = re.compile(
    _KW_BEFORE
    + r"SERVICE"
    + _KW_AFTER
    + r"(?:\s*SILENT"
    + _KW_AFTER
    + r")?\s*"
    + r"(?:<\#(?P<iri>\d+)>|(?P<pname>[A-Za-z_][\w.\-]*)?:(?P<local>[\w.\-:%]*)|(?P<var>[?$]\w+))?",
    re.IGNORECASE,
)
_PREFIX = re.compile(_KW_BEFORE + r"PREFIX\s+(?P<name>[\w.\-]*):\s*<\#(?P<iri>\d+)>", re.IGNORECASE)
_BASE = re.compile(_KW_BEFORE + r"BASE\s*<\#(?P<iri>\d+)>", re.IGNORECASE)
_PROLOGUE = r"(?:\s*(?:BASE\s*<\#\d+>|PREFIX\s+[\w.\-]*:\s*<\#\d+>))*\s*"
_UPDATE = re.compile(
    r"^" + _PROLOGUE + r"(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)" + _KW_AFTER,
    re.IGNORECASE,
)
_TRAILING_LIMIT = re.compile(
    _KW_BEFORE
    + r"(?:LIMIT\s+(?P<a>\d+)(?:\s+OFFSET\s+\d+)?|OFFSET\s+\d+\s+LIMIT\s+(?P<b>\d+))\s*$",
    re.IGNORECASE,
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class QueryText:
    """What the endpoint needs to know about a query before running it."""

    form: str | None  # "SELECT", "ASK", "CONSTRUCT", "DESCRIBE" or None
    is_update: bool
    services: tuple[str | None, ...]  # SERVICE targets; None = not a constant IRI
    prefixes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    trailing_limit: int | None = None
    depth: int = 0  # deepest nesting of { }, ( ) and [ ]


def _skeleton(text: str) -> tuple[str, list[str]]:
    iris: list[str] = []
    parts: list[str] = []
    last = 0
    for match in _TOKENS.finditer(text):
        parts.append(text[last : match.start()])
        kind = match.lastgroup
        if kind == "comment":
            parts.append(" ")
        elif kind == "iri":
            parts.append(f"<#{len(iris)}>")
            iris.append(match.group()[1:-1])
        else:
            parts.append('""')
        last = match.end()
    parts.append(text[last:])
    return "".join(parts), iris


_OPEN, _CLOSE = frozenset("{(["), frozenset("})]")


def _depth(skeleton: str) -> int:
    depth = deepest = 0
    for char in skeleton:
        if char in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
        elif char in _CLOSE and depth:
            depth -= 1
    return deepest


def _decode_escapes(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _services(skeleton: str, iris: list[str], prefixes: dict[str, str]) -> list[str | None]:
    found: list[str | None] = []
    for match in _SERVICE.finditer(skeleton):
        if match.group("iri") is not None:
            found.append(iris[int(match.group("iri"))])
        elif match.group("local") is not None:
            namespace = prefixes.get(match.group("pname") or "")
            found.append(namespace + match.group("local") if namespace is not None else None)
        else:
            found.append(None)
    return found


@lru_cache(maxsize=2048)
def analyse(text: str) -> QueryText:
    """Analyse ``text`` (cached: the same query text is analysed once per process)."""
    skeleton, iris = _skeleton(text)
    prefixes = {m.group("name"): iris[int(m.group("iri"))] for m in _PREFIX.finditer(skeleton)}
    form_match = _FORM.search(skeleton)
    services = _services(skeleton, iris, prefixes)
    if "\\u" in text or "\\U" in text:
        # SPARQL allows \u escapes anywhere (§19.2). Oxigraph rejects them outside strings,
        # but refuse a SERVICE spelled with escapes all the same.
        decoded_skeleton, decoded_iris = _skeleton(_decode_escapes(text))
        services += _services(decoded_skeleton, decoded_iris, prefixes)
    limit_match = _TRAILING_LIMIT.search(skeleton)
    limit = None
    if limit_match:
        limit = int(limit_match.group("a") or limit_match.group("b"))
    is_update = bool(_UPDATE.search(skeleton))
    return QueryText(
        form=form_match.group(1).upper() if form_match and not is_update else None,
        is_update=is_update,
        services=tuple(services),
        prefixes=prefixes,
        trailing_limit=limit,
        depth=_depth(skeleton),
    )
