"""Absolute URLs of this deployment (not of the data: the data's IRIs are persistent, see
:mod:`service.namespaces`).

A few responses must name the service itself absolutely: VoID's ``void:sparqlEndpoint`` and
``void:dataDump``, the Service Description's ``sd:endpoint``, DCAT's ``dcat:downloadURL``. They
use ``PUBLIC_URL`` when it is configured (a deployment behind a proxy, where the request's host
is the proxy's upstream address), else the host the request came to.
"""

from __future__ import annotations

from flask import current_app, request, url_for

__all__ = ["external_url"]


def external_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL of this deployment."""
    public = current_app.config.get("PUBLIC_URL")
    if not public:
        return url_for(endpoint, _external=True, **values)
    path = url_for(endpoint, **values)  # starts with the script root
    return public + path[len(request.script_root) :].lstrip("/")
