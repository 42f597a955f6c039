"""``migkg review``: every figure in words, for a person to check meaning, not just digits.

One row per observation, in the publication's order: the figure's id, where it is (publication,
place, line), the verbatim quote (``graph_data/figures.csv``), the decided fields as one sentence
("4,890 Oralmans (kandas) received, recorded by Kazakhstan, during the year to 1 January 2016
(a vague period), as stated by ... ") and the interpretation notes that quote the words
deciding period, direction or indicator. Markdown (a table to read or diff) or CSV (to sort
and filter in a spreadsheet). The data is read from the sources as the build reads them; the
query is ``service/queries/review/observations.rq``.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..queries import load_query
from .sources import load

__all__ = ["ReviewRow", "review_rows", "render"]

COLUMNS = ("figure", "publication", "line", "place", "quote", "reading", "interpretation")


@dataclass(frozen=True)
class ReviewRow:
    figure: str
    publication: str
    line: int
    place: str
    quote: str
    reading: str
    interpretation: str

    def cells(self) -> tuple:
        return (
            self.figure,
            self.publication,
            self.line,
            self.place,
            self.quote,
            self.reading,
            self.interpretation,
        )


def _where(row: dict) -> str:
    area, cp = row["area"], row["counterpart"]
    other = "" if cp == "World" else cp
    if row.get("direction") == "By residence":
        return f"living in {area}" + (f", from {other}" if other else "")
    if row.get("direction") == "By recording area":
        return f"recorded by {area}" + (f", counterpart {other}" if other else "")
    return area + (f" (counterpart: {other})" if other else "")


def _when(row: dict) -> str:
    preposition = "during" if row["statType"] in ("Flow", "Change", "Balance", "Ratio") else "for"
    vague = " (a vague period)" if row.get("vague") == "true" else ""
    return f"{preposition} {row['period']}{vague}"


def reading(row: dict) -> str:
    """The decided fields as one sentence."""
    return (
        f"{row['published']} [{row['unit']}] {row['indicator']} ({row['statType'].lower()}), "
        f"{_where(row)}, {_when(row)}, as stated by {row['source']}"
    )


def _quotes(config: dict) -> dict[str, list[tuple[int, str]]]:
    quotes: dict[str, list[tuple[int, str]]] = defaultdict(list)
    path = Path(config["GRAPH_DATA_DIR"]) / "figures.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            quotes[row["observation"]].append((int(row["line"]), row["quote"]))
    return quotes


def review_rows(config: dict) -> list[ReviewRow]:
    sources = load(config)
    store = ox.Store()
    store.load(
        sources.dataset.serialize(format="nquads").encode("utf-8"), format=ox.RdfFormat.N_QUADS
    )
    query = load_query("review/observations")
    results = store.query(query, use_default_graph_as_union=True)
    names = [v.value for v in results.variables]
    quotes = _quotes(config)
    rows = []
    for solution in results:
        row = {
            name: (solution[name].value if solution[name] is not None else None) for name in names
        }
        lines = quotes.get(row["obs"], [])
        notes = [text for text in (row["interpretations"], row["notes"]) if text]
        rows.append(
            ReviewRow(
                figure=row["obs"],
                publication=row["publication"],
                line=min((line for line, _ in lines), default=int(row["order"] or 0)),
                place=row["locator"] or "",
                quote=" / ".join(q for _, q in lines),
                reading=reading(row),
                interpretation=" | ".join(notes),
            )
        )
    return sorted(rows, key=lambda r: (r.publication, r.line, r.figure))


def _md_cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render(rows: list[ReviewRow], fmt: str = "md") -> str:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(r.cells() for r in rows)
        return out.getvalue()
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    lines += ["| " + " | ".join(_md_cell(c) for c in r.cells()) + " |" for r in rows]
    return "\n".join(lines) + "\n"
