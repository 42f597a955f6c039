"""IRI <-> URL mapping, pure and deterministic (no Flask, no store).

Data IRIs are persistent (:data:`service.namespaces.MIGKG`, ``https://w3id.org/migkg/``):
things ``{MIGKG}id/<kind>/<slug>`` (a slug may hold further ``/`` segments, e.g.
``id/law/<slug>/en``), concept schemes ``{MIGKG}id/<kind>``, named graphs
``{MIGKG}graph/<name>``. Whatever host and port the service answers on, it serves such an IRI
at the same path below its own root (``/id/...``, ``/graph/...``), so the IRIs dereference on a
laptop, in the tests on random ports, behind a proxy, and (once the w3id.org redirect is
registered, ``deploy/w3id/.htaccess``) at the IRI itself. Nothing here depends on the redirect.

Document URLs add an extension to that path: ``.html``, ``.ttl``, ``.nt``, ``.jsonld`` and
``.rdf`` (no local slug contains a dot, which a test checks against the data). Any other IRI
(ontology terms, QUDT units, SDMX codes) has a local page too, ``/resource?iri=<IRI>`` (and
``/resource?iri=<IRI>&format=ttl``); nothing is ever fetched from its host.

Paths from the URL are checked against :data:`SAFE_PATH` (and :data:`MAX_PATH`) before they
become an IRI, so a slug cannot carry ``<``, ``>``, quotes, spaces or braces into a query or a
page, and a 10,000-character path is an unknown address, not an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from .namespaces import MIGKG

__all__ = [
    "DOCUMENT_FORMATS",
    "EXTENSIONS",
    "IriScheme",
    "MAX_IRI",
    "MAX_PATH",
    "SAFE_PATH",
    "is_safe_iri",
    "is_web_iri",
    "kind_of",
]

#: extension -> (format key of :data:`service.negotiation.GRAPH_FORMATS` or "html", media type)
DOCUMENT_FORMATS: dict[str, tuple[str, str]] = {
    "html": ("html", "text/html"),
    "ttl": ("turtle", "text/turtle"),
    "nt": ("ntriples", "application/n-triples"),
    "jsonld": ("jsonld", "application/ld+json"),
    "rdf": ("rdfxml", "application/rdf+xml"),
}
#: The RDF extensions, in the order pages list them.
EXTENSIONS: tuple[str, ...] = ("ttl", "jsonld", "nt", "rdf")

#: The longest IRI this service will put into a query (the longest in the data is < 150).
MAX_IRI = 2000
#: The longest local path (``id/...``) that can name something: longer ones are unknown (404).
MAX_PATH = MAX_IRI - len(MIGKG)
#: A local path below the namespace: ``id/...`` or ``graph/...``, unreserved characters only.
SAFE_PATH = re.compile(r"^(?:id|graph)(?:/[A-Za-z0-9_~\-]+)+$")
#: An absolute IRI that can be written between ``<`` and ``>`` in SPARQL and Turtle.
_SAFE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x20]*$")
_KIND = re.compile(r"^(id|graph)/([^/]+)")


def is_safe_iri(iri: str) -> bool:
    """True when ``iri`` is absolute and free of characters that would break ``<...>``."""
    return len(iri) <= MAX_IRI and bool(_SAFE_IRI.match(iri))


def is_web_iri(iri: str) -> bool:
    """A safe ``http:`` or ``https:`` IRI (what ``/resource?iri=`` accepts)."""
    return is_safe_iri(iri) and iri.split(":", 1)[0].lower() in ("http", "https")


def kind_of(path: str | None) -> str:
    """The kind segment of a local path: ``id/law/x/en`` -> ``law``, ``graph/x`` -> ``graph``;
    ``id/period`` (a concept scheme) -> ``scheme``; ``""`` for anything else."""
    if not path:
        return ""
    match = _KIND.match(path)
    if not match:
        return ""
    if match.group(1) == "graph":
        return "graph"
    return match.group(2) if "/" in path[3:] else "scheme"


@dataclass(frozen=True)
class IriScheme:
    """The mapping between the persistent namespace ``base`` and the URLs of one deployment,
    whose paths start at ``root`` (the script root, ``""`` when served at ``/``)."""

    base: str = MIGKG
    root: str = ""

    def __post_init__(self):
        if not self.base.endswith("/"):
            object.__setattr__(self, "base", self.base + "/")
        object.__setattr__(self, "root", self.root.rstrip("/"))

    # -- IRI -> path ----------------------------------------------------------------------
    def local_path(self, iri: str) -> str | None:
        """``id/...`` or ``graph/...`` for a local IRI, else None."""
        if not iri.startswith(self.base):
            return None
        path = iri[len(self.base) :]
        return path if len(path) <= MAX_PATH and SAFE_PATH.match(path) else None

    def is_local(self, iri: str) -> bool:
        return self.local_path(iri) is not None

    def kind(self, iri: str) -> str:
        """The kind of a local IRI (see :func:`kind_of`), ``"external"`` otherwise."""
        path = self.local_path(iri)
        return kind_of(path) if path is not None else "external"

    def fallback_label(self, iri: str) -> str:
        """What to show for an entity without a label: its slug, or the IRI's last segment."""
        path = self.local_path(iri)
        if path is not None:
            parts = path.split("/", 2)
            return parts[2] if len(parts) == 3 else path
        cut = max(iri.rfind("#"), iri.rfind("/"))
        return iri[cut + 1 :] or iri

    # -- path -> IRI ----------------------------------------------------------------------
    def iri_for(self, path: str) -> str | None:
        """The IRI a request path (without the leading ``/``) names, or None when the path is
        not a well-formed local path (it then never reaches a query)."""
        if len(path) > MAX_PATH or not SAFE_PATH.match(path):
            return None
        return self.base + path

    @staticmethod
    def split_document(path: str) -> tuple[str, str | None]:
        """``id/law/x.ttl`` -> (``id/law/x``, ``ttl``); no known extension -> (path, None)."""
        stem, dot, ext = path.rpartition(".")
        if dot and ext in DOCUMENT_FORMATS and "/" not in ext:
            return stem, ext
        return path, None

    # -- URLs -----------------------------------------------------------------------------
    def page_url(self, iri: str) -> str:
        """Where this service shows ``iri``: its own path, or ``/resource?iri=``."""
        path = self.local_path(iri)
        if path is not None:
            return f"{self.root}/{path}"
        return f"{self.root}/resource?{urlencode({'iri': iri})}"

    def document_url(self, iri: str, ext: str) -> str:
        """The document URL of ``iri`` in the format of extension ``ext``."""
        if ext not in DOCUMENT_FORMATS:
            raise ValueError(f"unknown document extension {ext!r}")
        path = self.local_path(iri)
        if path is not None:
            return f"{self.root}/{path}.{ext}"
        return f"{self.root}/resource?{urlencode({'iri': iri, 'format': ext})}"

    def describe_url(self, iri: str) -> str:
        """The SPARQL endpoint running ``DESCRIBE <iri>`` as an HTML result page."""
        return self.query_url(f"DESCRIBE <{iri}>", "html")

    def query_url(self, query: str, format: str) -> str:
        """The SPARQL endpoint running ``query``, its result in ``format`` (html, csv, ...)."""
        return f"{self.root}/sparql?{urlencode({'query': query, 'format': format})}"

    def editor_url(self, iri: str) -> str:
        """The query editor with ``DESCRIBE <iri>`` in its URL fragment (YASGUI reads it)."""
        return f"{self.root}/sparql#query={quote(f'DESCRIBE <{iri}>', safe='')}"
