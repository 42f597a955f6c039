"""The service's own SPARQL queries, as ``.rq`` files, and the one loader that reads them.

Query files state no ``PREFIX`` lines: :func:`load_query` prepends one declaration for every
prefix of :data:`service.namespaces.PREFIXES` (the one namespace table), so an IRI is written
once in the code base. The example queries shown to users (``examples/``) are documents, not
code: they keep their own prefix lines and are read by :mod:`service.web.sparql`.

Names are paths below this folder without the extension: ``pages/outgoing``,
``catalogue/names``, ``datacube/ic-1``.

Values never reach a query as text: :func:`bind` writes a ``VALUES`` clause of terms serialised
by rdflib (IRIs checked by :func:`service.iris.is_safe_iri` first), at the ``#@values`` markers
of the query or at its end (SPARQL 1.1 §10.2, https://www.w3.org/TR/sparql11-query/#inline-data);
the pages bind one entity, the build (:mod:`service.build.page_rows`) a thousand at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from rdflib import Literal, URIRef

from ..iris import is_safe_iri
from ..namespaces import PREFIXES

__all__ = ["load_query", "bind", "PREFIX_BLOCK"]

#: The PREFIX declarations prepended to every query file.
PREFIX_BLOCK = "".join(f"PREFIX {name}: <{ns}>\n" for name, ns in PREFIXES.items())


@cache
def load_query(name: str) -> str:
    """The text of ``<name>.rq`` with the project's PREFIX block before it.

    :raises FileNotFoundError: for an unknown name (a bug, not bad input).
    """
    text = resources.files(__name__).joinpath(f"{name}.rq").read_text("utf-8")
    return PREFIX_BLOCK + text


#: A comment line in a query marking where a ``VALUES`` clause for the named variables goes
#: (``#@values ?entity``): inside a group or sub-SELECT, so that aggregates and sub-SELECTs
#: are restricted before they run rather than joined with the binding afterwards.
_VALUES_MARKER = re.compile(
    r"^([ \t]*)#@values((?:[ \t]+\?[A-Za-z_][A-Za-z0-9_]*)+)[ \t]*$", re.MULTILINE
)


def _sparql_term(value) -> str:
    """An IRI (a ``str``, checked by :func:`is_safe_iri`) or an rdflib ``Literal`` as SPARQL,
    serialised by rdflib (quotes, backslashes and newlines escaped)."""
    if isinstance(value, Literal):
        return value.n3()
    if isinstance(value, str):
        if not is_safe_iri(value):
            raise ValueError(f"not a usable IRI: {value!r}")
        return URIRef(value).n3()
    raise TypeError(f"cannot bind {type(value).__name__}: only IRIs (str) and Literals")


def bind(text: str, rows: Iterable[dict[str, Any]] | None = None, /, **values) -> str:
    """``text`` with ``VALUES (?a ?b) { (<x> <y>) }`` binding IRIs (``str``) and literals
    (rdflib ``Literal``): one row from the keyword arguments, or several ``rows`` (dicts with
    the same keys).

    The clause is appended to the query, unless the query marks places with ``#@values ?a``
    comment lines: each marker becomes a ``VALUES`` clause for the variables it names (the
    rows projected on them, duplicates dropped). Every term is checked (IRIs:
    :func:`is_safe_iri`) and serialised by rdflib, so nothing from a URL reaches the query
    unescaped.

    :raises ValueError: for an IRI that cannot be written between ``<`` and ``>``.
    """
    table = [dict(row) for row in rows] if rows is not None else [values]
    if rows is not None and values:
        table = [{**values, **row} for row in table]
    names = list(table[0]) if table else list(values)
    cells = [{name: _sparql_term(row[name]) for name in names} for row in table]

    def clause(variables: list[str]) -> str:
        lines = dict.fromkeys(f"({' '.join(row[v] for v in variables)})" for row in cells)
        return f"VALUES ({' '.join('?' + v for v in variables)}) {{ {' '.join(lines)} }}"

    if _VALUES_MARKER.search(text):

        def place(match: re.Match) -> str:
            wanted = [v[1:] for v in match.group(2).split()]
            missing = [v for v in wanted if v not in names]
            if missing:
                raise ValueError(f"no value bound for {', '.join('?' + v for v in missing)}")
            return match.group(1) + clause(wanted)

        return _VALUES_MARKER.sub(place, text)
    return f"{text}\n{clause(names)}\n"
