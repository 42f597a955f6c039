"""What the templates call to show RDF: labels, links and literals, every one escaped.

Labels come from the catalogue (:class:`service.web.catalogue.Catalog`, the predicate order of
:mod:`service.labels`); links go to this host's page of an IRI the dataset describes, to the
IRI itself when it is http(s) (a plain link: the server never fetches it), else nowhere (the
IRI shown as text, so ``javascript:`` never becomes an ``href``). Text reaches the page through
:func:`markupsafe.escape` only; templates get :class:`~markupsafe.Markup`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from markupsafe import Markup, escape

from ...iris import IriScheme
from ...namespaces import MIG, PREFIXES, XSD
from ..catalogue import Catalog
from .queries import Term

__all__ = ["View", "StatementRow", "format_number", "short_iri", "INTEGER_TYPES", "DECIMAL_TYPES"]

INTEGER_TYPES = frozenset(
    str(XSD[t])
    for t in ("integer", "int", "long", "nonNegativeInteger", "positiveInteger", "short")
)
DECIMAL_TYPES = frozenset(str(XSD[t]) for t in ("decimal", "double", "float"))
#: Datatypes a literal is shown without (numbers are formatted, strings are plain text).
_UNMARKED_TYPES = INTEGER_TYPES | DECIMAL_TYPES | {str(XSD.string)}


def format_number(value: str, datatype: str = "") -> str:
    """20592571 -> "20 592 571" (thin grouping as the profiles print it)."""
    try:
        if datatype in INTEGER_TYPES or re.fullmatch(r"-?\d+", value):
            return f"{int(value):,}".replace(",", "\u202f")
        if datatype in DECIMAL_TYPES or re.fullmatch(r"-?\d+\.\d+", value):
            whole, _, frac = value.partition(".")
            return f"{int(whole):,}".replace(",", "\u202f") + (f".{frac}" if frac else "")
    except ValueError:
        pass
    return value


def short_iri(iri: str) -> str:
    """``prefix:local`` for an IRI in one of the project's namespaces
    (:data:`service.namespaces.PREFIXES`), else the IRI."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


#: How many labelled links the catalogue of a generation keeps for every page of a worker
#: (predicates, graphs, indicators, areas, periods, units repeat from page to page: ~70 links
#: on an observation page, most of them seen on the page before).
_SHARED_LINKS = 100_000


class StatementRow(NamedTuple):
    """One row of a page's statements table, as HTML: the predicate's link, the object (and the
    statements of a blank-node object), the graphs stating it."""

    predicate: Markup
    value: Markup
    nested: list[tuple[Markup, Markup]]
    graphs: Markup


class View:
    """Helpers the templates call: labels, links and literals, every one escaped."""

    def __init__(self, catalog: Catalog, scheme: IriScheme):
        self.catalog = catalog
        self.scheme = scheme
        #: name -> note of the entities linked on this page that carry one (shown at its end)
        self.footnotes: dict[str, str] = {}

    def label(self, iri: str | Term | None) -> str:
        if iri is None:
            return ""
        value = iri.value if isinstance(iri, Term) else iri
        return self.catalog.label(value)

    def url(self, iri: str | Term) -> str | None:
        """A local page for IRIs this dataset describes; otherwise the IRI itself when it is
        http(s) (a plain link: the server never fetches it), else None (shown as text)."""
        value = iri.value if isinstance(iri, Term) else iri
        if self.scheme.is_local(value) or self.catalog.knows(value):
            return self.scheme.page_url(value)
        if value.startswith(("http://", "https://")):
            return value
        return None

    def link(self, iri: str | Term | None, text: str | None = None) -> Markup:
        """``<a href="page">label</a>``; an empty string for None."""
        if iri is None:
            return Markup("")
        value = iri.value if isinstance(iri, Term) else iri
        if text is None:
            key = (self.scheme.root, value)
            found = self.catalog.links.get(key)
            if found is None:
                shown = self.catalog.label(value)
                found = (self._link(value, shown, True), shown, self.catalog.notes.get(value))
                if len(self.catalog.links) >= _SHARED_LINKS:
                    self.catalog.links.clear()
                self.catalog.links[key] = found
            elif found[2] is not None:
                self.footnotes.setdefault(found[1], found[2])
            return found[0]
        return self._link(value, text, False)

    def statement_row(self, statement) -> StatementRow:
        """A :class:`~.statements.Statement` as a row of the statements table (made here rather
        than by ~70 template calls per page: Jinja's call overhead was ~10% of an observation
        page under gunicorn, py-spy)."""
        obj = statement.obj
        key = None
        if obj.kind == "uri" and not statement.nested:
            # (predicate, IRI, graphs) repeat from page to page (an observation's dimensions,
            # data set, sources: ~17 of its ~22 rows): made once per worker and generation
            key = (self.scheme.root, statement.predicate, obj.value, *statement.graphs)
            found = self.catalog.rows.get(key)
            if found is not None:
                for shown, note in found[1]:
                    self.footnotes.setdefault(shown, note)
                return found[0]
        row = StatementRow(
            self.link(statement.predicate),
            self.term(obj),
            [(self.link(p), self.term(o)) for p, o in statement.nested],
            self.links(statement.graphs),
        )
        if key is not None:
            notes = [
                (shown, note)
                for iri in (statement.predicate, obj.value, *statement.graphs)
                if (note := self.catalog.notes.get(iri)) is not None
                for shown in [self.catalog.label(iri)]
            ]
            if len(self.catalog.rows) >= _SHARED_LINKS:
                self.catalog.rows.clear()
            self.catalog.rows[key] = (row, notes)
        return row

    def links(self, iris, separator: str = ", ") -> Markup:
        """:meth:`link` of each of ``iris``, joined by ``separator`` (a list of graphs, types,
        publications: one call from a template rather than a loop)."""
        return Markup(str(escape(separator)).join([self.link(iri) for iri in iris]))

    def _link(self, value: str, shown: str, short_name: bool) -> Markup:
        # f-strings over escape(): the markup of Markup.format without its formatter (figure
        # tables make thousands of links)
        href = self.url(value)
        if href is None:
            return Markup(f'<span class="iri">{escape(shown)}</span>')
        short = self.catalog.short.get(value)
        extra = (
            f' <span class="short">({escape(short)})</span>'
            if short and short not in shown and short_name
            else ""
        )
        note = self.catalog.notes.get(value)
        if note is not None:
            self.footnotes.setdefault(shown, note)
            extra += f'<sup class="footnote" title="{escape(note)}">†</sup>'
        return Markup(f'<a href="{escape(href)}">{escape(shown)}</a>{extra}')

    def term(self, term: Term | None) -> Markup:
        """An object as HTML: IRIs as labelled links, literals with language or datatype."""
        if term is None:
            return Markup("")
        if term.kind == "uri":
            return self.link(term.value)
        if term.kind == "bnode":
            return Markup('<span class="bnode">[anonymous]</span>')
        shown = format_number(term.value, term.datatype) if term.datatype else term.value
        if term.lang:
            return Markup('{}<span class="lang">@{}</span>').format(shown, term.lang)
        if term.datatype and term.datatype not in _UNMARKED_TYPES:
            return Markup('{}<span class="dt">^^{}</span>').format(
                shown,
                self.catalog.label(term.datatype)
                if term.datatype.startswith(self.scheme.base)
                else short_iri(term.datatype),
            )
        return Markup("{}").format(shown)

    def value(self, value: Term | None, published: Term | None = None) -> str:
        """A figure as published when known, else its value (labels for categorical ones)."""
        if published is not None:
            return published.value
        if value is None:
            return ""
        if value.kind == "uri":
            return self.catalog.label(value.value)
        return format_number(value.value, value.datatype)

    def kind_name(self, iri: str) -> str:
        types = self.catalog.types.get(iri, ())
        names = [
            self.catalog.label(t)
            for t in types
            if t.startswith(MIG) or not any(x.startswith(MIG) for x in types)
        ]
        return ", ".join(sorted(dict.fromkeys(names))) or self.scheme.kind(iri)
