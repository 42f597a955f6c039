"""Blueprint ``downloads``: the generation's files, served as they are.

``/downloads`` lists them with their sizes and SHA-256 checksums and the DCAT description
(HTML, or RDF negotiated or by extension: ``/downloads.ttl``); ``/downloads/<name>`` sends one
file with ``send_file``: ETag = its SHA-256 (from the generation's ``meta.json``),
``Last-Modified`` = the generation's build time (not the file's mtime, which a copy of the
generation made without keeping mtimes changes: replicas must agree), conditional requests and
byte ranges (``Range``, 206) handled by Werkzeug, a ``Digest`` header. Nothing is
computed or written here: the build made every file (:mod:`service.build.dumps`,
:mod:`service.build.figures_table`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_file,
    url_for,
)

from ..build.dumps import DOWNLOADS
from ..errors import NotAcceptableError, UnknownResource
from ..formats import RDFLIB_NAMES
from ..generations import DUMPS, FIGURES, FIGURES_METADATA
from ..iris import DOCUMENT_FORMATS, EXTENSIONS
from .app import served
from .catalogue import Catalog
from .descriptions import description_graph
from .negotiation import GRAPH_FORMATS, NotAcceptable, choose_format, prefers_html

bp = Blueprint("downloads", __name__)

__all__ = ["bp"]

#: DCAT is offered as one graph, not in the dataset formats (TriG, N-Quads)
_FORMATS = tuple(f for f in GRAPH_FORMATS if f.key not in ("trig", "nquads"))


@dataclass(frozen=True)
class DownloadFile:
    """A file of the generation offered for download."""

    name: str
    path: str  # relative to the generation folder
    media_type: str
    title: str
    size: int
    sha256: str
    gzip: bool


def _files() -> list[DownloadFile]:
    generation = served().generation
    if generation is None:
        raise UnknownResource("no dataset generation to download: run `migkg build`")
    listed = [
        (item.name, f"{DUMPS}/{item.name}", item.media_type, item.title, True) for item in DOWNLOADS
    ]
    listed += [
        (
            FIGURES,
            FIGURES,
            "text/csv",
            "CSV: every figure, one row each, with labels and provenance (CSV on the Web table)",
            True,
        ),
        (
            FIGURES_METADATA,
            FIGURES_METADATA,
            "application/csvm+json",
            "CSVW metadata of figures.csv.gz: column meanings and the mapping back to RDF",
            False,
        ),
    ]
    files = []
    for name, relative, media_type, title, gzipped in listed:
        entry = generation.meta["files"].get(relative)
        if entry is not None:
            files.append(
                DownloadFile(
                    name, relative, media_type, title, entry["size"], entry["sha256"], gzipped
                )
            )
    return files


def _no_format(exc: NotAcceptable):
    raise NotAcceptableError(str(exc), supported=exc.supported) from None


@bp.route("/downloads")
@bp.route("/downloads.<ext>")
def downloads(ext: str | None = None):
    """The downloads and their DCAT description (HTML or RDF)."""
    if ext is not None and ext not in DOCUMENT_FORMATS:
        abort(404)
    files = _files()
    pinned = served()
    accept = request.headers.get("Accept")
    graph = description_graph("dcat")
    if ext is None and prefers_html(accept) or ext == "html":
        from .pages import View, get_scheme

        catalog: Catalog = pinned.catalog
        response = Response(
            render_template(
                "pages/downloads.html",
                view=View(catalog, get_scheme()),
                items=files,
                stamp=pinned.generation.meta,
                dcat=graph.serialize(format="turtle"),
            ),
            200,
            content_type="text/html; charset=utf-8",
        )
    else:
        try:
            row = (
                choose_format(_FORMATS, None, DOCUMENT_FORMATS[ext][0])
                if ext
                else choose_format(_FORMATS, accept)
            )
        except NotAcceptable as exc:
            _no_format(exc)
        response = Response(
            graph.serialize(format=RDFLIB_NAMES[row.key], encoding="utf-8"),
            200,
            content_type=row.content_type,
        )
    if ext is None:
        response.vary.add("Accept")
    response.headers["Link"] = ", ".join(
        f'<{url_for("downloads.downloads", ext=e)}>; rel="alternate"; '
        f'type="{DOCUMENT_FORMATS[e][1]}"'
        for e in EXTENSIONS
    )
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['CACHE_MAX_AGE']}"
    response.set_etag(f"{pinned.version}-downloads")
    return response.make_conditional(request)


def _built(generation) -> datetime | None:
    """The generation's build time (``meta.json``), or None (then Werkzeug uses the mtime)."""
    try:
        return datetime.fromisoformat(generation.meta["built"])
    except (KeyError, TypeError, ValueError):
        return None


@bp.route("/downloads/<name>")
def download_file(name: str):
    """One file of the generation (or ``SHA256SUMS``), with ETag and Range support."""
    generation = served().generation
    if name == "SHA256SUMS" and generation is not None:
        relative = f"{DUMPS}/SHA256SUMS"
        return send_file(
            generation.path / relative,
            mimetype="text/plain; charset=utf-8",
            max_age=current_app.config["CACHE_MAX_AGE"],
            etag=generation.checksum(relative),
            last_modified=_built(generation),
            conditional=True,
        )
    for item in _files():
        if item.name == name:
            response = send_file(
                generation.path / item.path,
                mimetype="application/gzip" if item.gzip else item.media_type,
                as_attachment=item.gzip,
                download_name=item.name,
                max_age=current_app.config["CACHE_MAX_AGE"],
                etag=item.sha256,
                last_modified=_built(generation),
                conditional=True,
            )
            response.headers["Digest"] = "sha-256=" + base64.b64encode(
                bytes.fromhex(item.sha256)
            ).decode("ascii")
            return response
    abort(404, description=f"no download named {name!r}")
