"""What an address the dataset does not know answers: ``404 UNKNOWN_RESOURCE``, as an HTML
page with a search box and the nearest names for browsers (registered with
:func:`service.web.errors.html_page`), the common JSON / plain-text error shape otherwise.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ...errors import UnknownResource
from ..catalogue import Catalog
from ..errors import html_page
from .context import get_catalog, get_scheme
from .view import View

__all__ = ["unknown_iri", "no_such_facet"]


@html_page("UNKNOWN_RESOURCE")
def _unknown_page(error: UnknownResource) -> tuple[str, dict[str, Any]]:
    """The HTML 404 of an unknown IRI (:mod:`service.web.errors` answers everyone else in the
    common shape): a search box and the nearest names."""
    catalog = get_catalog()
    text = error.extra.get("text", "")
    hits = catalog.index.suggest(text) if catalog.index and text else []
    return "pages/not_found.html", {"view": View(catalog, get_scheme()), "text": text, "hits": hits}


def unknown_iri(iri: str, path: str, *, html: bool = False) -> NoReturn:
    """:raises UnknownResource: nothing is known about ``iri`` (the 404 page searches for the
    words of ``path``)."""
    slug = path.split("/", 2)[-1] if "/" in path else path
    raise UnknownResource(
        f"nothing is known about <{iri}> in this dataset",
        iri=iri,
        text=slug.replace("-", " ").replace("/", " "),
        html=html,
    )


def no_such_facet(iri: str, catalog: Catalog, message: str) -> NoReturn:
    """:raises UnknownResource: a facet parameter of the page of ``iri`` names nothing on it."""
    raise UnknownResource(
        f"{message} (the page of <{iri}> lists the valid ones)",
        iri=iri,
        text=catalog.label(iri),
        html=True,
    )
