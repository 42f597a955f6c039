"""The service's own SPARQL queries, as ``.rq`` files, and the one loader that reads them.

Query files state no ``PREFIX`` lines: :func:`load_query` prepends one declaration for every
prefix of :data:`service.namespaces.PREFIXES` (the one namespace table), so an IRI is written
once in the code base. The example queries shown to users (``examples/``) are documents, not
code: they keep their own prefix lines and are read by :mod:`service.web.sparql`.

Names are paths below this folder without the extension: ``pages/outgoing``,
``catalogue/names``, ``datacube/ic-1``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from ..namespaces import PREFIXES

__all__ = ["load_query", "PREFIX_BLOCK"]

#: The PREFIX declarations prepended to every query file.
PREFIX_BLOCK = "".join(f"PREFIX {name}: <{ns}>\n" for name, ns in PREFIXES.items())


@cache
def load_query(name: str) -> str:
    """The text of ``<name>.rq`` with the project's PREFIX block before it.

    :raises FileNotFoundError: for an unknown name (a bug, not bad input).
    """
    text = resources.files(__name__).joinpath(f"{name}.rq").read_text("utf-8")
    return PREFIX_BLOCK + text
