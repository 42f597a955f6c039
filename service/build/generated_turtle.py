"""Reference files generated from data (``graph_data/reference/states.ttl``, ``years.ttl``):
the one way they are serialised, so that a generator's output and the committed file can be
compared byte for byte (``tests/test_generated_reference.py``).

rdflib writes the Turtle (never text formatting); the only text added is the comment heading
that names the generator, so that nobody edits the file by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rdflib import Graph

from ..config import PROJECT_ROOT
from ..namespaces import bind_prefixes

__all__ = ["REFERENCE_DIR", "run", "turtle", "write"]

#: The folder of the reference graph's files.
REFERENCE_DIR = PROJECT_ROOT / "graph_data" / "reference"


def turtle(graph: Graph, heading: str) -> str:
    """``graph`` as Turtle (project prefixes, rdflib's stable order) under ``heading``, a
    comment of one or more lines."""
    bind_prefixes(graph)
    comment = "".join(f"# {line}".rstrip() + "\n" for line in heading.splitlines())
    return comment + "\n" + graph.serialize(format="turtle")


def write(graph: Graph, heading: str, path: Path) -> bool:
    """Write the Turtle of ``graph`` to ``path``; whether the file changed."""
    text = turtle(graph, heading)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def run(graph: Graph, heading: str, path: Path, module: str, check: bool) -> int:
    """A generator's command: write the file (exit status 0), or with ``check`` only compare
    it (1 when it is stale, naming the ``module`` to run)."""
    if check:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != turtle(graph, heading):
            print(f"{path} is stale: run python -m {module}", file=sys.stderr)
            return 1
        return 0
    changed = write(graph, heading, path)
    print(f"{path}: {'written' if changed else 'unchanged'}")
    return 0
