"""What a request is answered from: the store and the catalogue of the generation it is pinned
to (:func:`service.web.app.served`), and the IRI scheme of the host it came to."""

from __future__ import annotations

from flask import request

from ...iris import IriScheme
from ...store import Store
from ..app import served
from ..catalogue import Catalog

__all__ = ["get_store", "get_catalog", "get_scheme"]


def get_store() -> Store:
    """The store view of the generation this request is answered from."""
    return served().store


def get_catalog() -> Catalog:
    """The catalogue of the generation this request is answered from."""
    return served().catalog


def get_scheme() -> IriScheme:
    """Local URLs for this request: the persistent namespace below its script root."""
    return IriScheme(root=request.script_root if request else "")
