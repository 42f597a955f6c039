"""The generation a web worker serves, and the switch to a newer one without a failed request.

A worker opens ``GENERATIONS_DIR/current`` read-only when the app is created (verified against
its ``meta.json``, catalogue loaded), so its first request costs what any later one does. A
background thread then looks at the ``current`` symlink every ``GENERATION_POLL_SECONDS``
(default 1 s; one ``readlink``): when the build has published a new generation it is verified
(every file's size and SHA-256, the store present), its catalogue opened, and only then made
the one new requests start on. A generation that fails verification is refused with one log
line and the worker keeps serving the previous one.

Each request takes :meth:`CurrentGeneration.served` once, at its start (``g.served``): its
store view, catalogue, descriptions and ETags all belong to that one generation, and the query
children answer it from that generation (:mod:`service.store.executor` keeps the two most
recent open), so a request in flight during a switch finishes on the generation it started on
and no response mixes two versions. Under gunicorn, ``SIGHUP`` to the master restarts the
workers gracefully, and new workers open whatever ``current`` names.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import generations as gens
from ..iris import IriScheme
from ..store import BoundStore
from .catalogue import Catalog, open_catalogue

log = logging.getLogger("migkg.serving")

__all__ = ["Served", "CurrentGeneration"]


@dataclass(frozen=True, eq=False)
class Served:
    """One generation as a request sees it (``generation`` None: nothing published)."""

    generation: gens.Generation | None
    store: BoundStore
    catalog: Catalog
    cache: dict[Any, Any] = field(default_factory=dict)  # per-generation derived documents

    @property
    def name(self) -> str | None:
        return self.generation.name if self.generation else None

    @property
    def version(self) -> str | None:
        return self.generation.version if self.generation else None


class CurrentGeneration:
    """Holds the :class:`Served` generation of one worker and switches it (module docstring)."""

    def __init__(self, config: dict[str, Any], engine):
        self.root = Path(config["GENERATIONS_DIR"])
        self.poll_seconds = float(config.get("GENERATION_POLL_SECONDS", 1.0))
        self.engine = engine
        self._lock = threading.Lock()
        self._refused: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._served = self._empty()
        self.check()

    def _empty(self) -> Served:
        return Served(None, self.engine.at(None, None), Catalog(None, IriScheme()))

    def served(self) -> Served:
        return self._served

    def check(self) -> bool:
        """Switch to the generation ``current`` names if it is new and sound; True if switched."""
        name = gens.current(self.root)
        if name is None or name == self._served.name or name in self._refused:
            return False
        with self._lock:
            if name == self._served.name:
                return False
            try:
                generation = gens.verify(self.root / name)
                catalog = open_catalogue(generation.catalogue, generation.version, IriScheme())
            except (gens.GenerationError, OSError, ValueError) as exc:
                self._refused.add(name)
                log.error(
                    "generation %s refused, still serving %s: %s", name, self._served.name, exc
                )
                return False
            previous = self._served.name
            # every query process opens the new generation before requests start on it
            self.engine.warm(name)
            self._served = Served(generation, self.engine.at(name, generation.meta), catalog)
        log.info("serving generation %s (dataset %s; was %s)", name, generation.version, previous)
        return True

    def start(self) -> None:
        """Poll ``current`` in a daemon thread (idempotent)."""
        if self._thread is None and self.poll_seconds > 0:
            self._thread = threading.Thread(
                target=self._watch, name="migkg-generation", daemon=True
            )
            self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.check()
            except Exception:  # the watcher must survive anything; the next poll retries
                log.exception("checking for a new generation failed")

    def close(self) -> None:
        self._stop.set()
