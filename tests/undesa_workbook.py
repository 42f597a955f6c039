"""A small UN DESA International Migrant Stock 2024 workbook, built with openpyxl.

CONSTRUCTED FIXTURE in the documented layout of the 2024 workbooks (UN DESA Population Division,
International Migrant Stock 2024; ../shared/docs/producer-apis.md), not a copy of them: sheet
``Table 1``, title rows with the revision code ``POP/DB/MIG/Stock/Rev.2024`` and the licence,
block titles in row 10, the header in row 11 (``Index``, ``Region, development group, country or
area of destination|origin``, ``Notes``, ``Location code``, ``Type of data``, then 1990 ... 2024
for both sexes, males and females), region rows mixed with countries, a name with the footnote
``*`` (``Republic of Moldova*``) and a country that is no Prague Process state (Mexico).

:func:`build_workbook` takes the values as a mapping (M49 code, sex, year) → cell value, so a
test can change one value; :func:`default_values` gives deterministic ones. Both take an
optional ``areas`` (rows as :data:`AREAS`: name, M49 code, is a Prague Process state) for a
bigger workbook (bench/update_bench.py writes every state's row); the default is :data:`AREAS`.
"""

from __future__ import annotations

import random
from pathlib import Path

import openpyxl

YEARS = (1990, 1995, 2000, 2005, 2010, 2015, 2020, 2024)
SEXES = ("T", "M", "F")
BLOCK_TITLES = (
    "International migrant stock at mid-year (both sexes)",
    "International migrant stock at mid-year (males)",
    "International migrant stock at mid-year (females)",
)
#: (name as printed, M49 code, is a Prague Process state)
AREAS = (
    ("WORLD", 900, False),
    ("Sub-Saharan Africa", 947, False),
    ("Mexico", 484, False),
    ("Central Asia", 143, False),
    ("Kazakhstan", 398, True),
    ("Kyrgyzstan", 417, True),
    ("Uzbekistan", 860, True),
    ("Eastern Europe", 151, False),
    ("Republic of Moldova*", 498, True),
    ("Western Europe", 155, False),
    ("Germany", 276, True),
)
REVISION = "POP/DB/MIG/Stock/Rev.2024"


def default_values(
    seed: int = 2024, areas: tuple[tuple[str, int, bool], ...] = AREAS
) -> dict[tuple[int, str, int], object]:
    """Deterministic values for every area × sex × year (males + females = both sexes), with
    one missing value written ``..`` (Uzbekistan, females, 1990; so its total and males are
    numbers, the female cell is not)."""
    rng = random.Random(seed)
    values: dict[tuple[int, str, int], object] = {}
    for _, code, _ in areas:
        for year in YEARS:
            males = rng.randrange(1_000, 5_000_000)
            females = rng.randrange(1_000, 5_000_000)
            values[(code, "M", year)] = males
            values[(code, "F", year)] = females
            values[(code, "T", year)] = males + females
    values[(860, "F", 1990)] = ".."
    return values


def header(kind: str) -> list[object]:
    """Row 11 as the workbook by ``kind`` (``destination`` / ``origin``) writes it."""
    return [
        "Index",
        f"Region, development group, country or area of {kind}",
        "Notes",
        "Location code",
        "Type of data",
        *YEARS * 3,
    ]


def build_workbook(
    path: Path,
    kind: str = "destination",
    values: dict[tuple[int, str, int], object] | None = None,
    *,
    revision: str | None = REVISION,
    header_changes: dict[str, object] | None = None,
    areas: tuple[tuple[str, int, bool], ...] = AREAS,
) -> Path:
    """Write the workbook to ``path``; ``revision=None`` leaves the revision code out and
    ``header_changes`` ({"D11": "Code"}) overwrites cells after the layout is written.
    ``areas`` are its rows, in order (default :data:`AREAS`)."""
    values = default_values(areas=areas) if values is None else values
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Table 1"
    sheet["A1"] = "United Nations"
    sheet["A2"] = "Department of Economic and Social Affairs, Population Division"
    sheet["A4"] = "International Migrant Stock 2024"
    sheet["A5"] = (
        "Table 1. International migrant stock at mid-year by sex and by region, country or "
        f"area of {kind}, 1990-2024"
    )
    if revision is not None:
        sheet["A6"] = revision
    sheet["A7"] = (
        "Copyright © 2024 by United Nations, made available under a Creative Commons license "
        "CC BY 3.0 IGO: http://creativecommons.org/licenses/by/3.0/igo/"
    )
    sheet["A8"] = (
        "Suggested citation: United Nations Department of Economic and Social Affairs, "
        "Population Division (2024). International Migrant Stock 2024."
    )
    for block, title in enumerate(BLOCK_TITLES):
        sheet.cell(row=10, column=6 + block * len(YEARS), value=title)
    for column, heading in enumerate(header(kind), start=1):
        sheet.cell(row=11, column=column, value=heading)
    for index, (name, code, _) in enumerate(areas, start=1):
        row = 11 + index
        sheet.cell(row=row, column=1, value=index)
        sheet.cell(row=row, column=2, value=name)
        sheet.cell(row=row, column=4, value=code)
        sheet.cell(row=row, column=5, value="B" if code < 900 else None)
        for block, sex in enumerate(SEXES):
            for offset, year in enumerate(YEARS):
                sheet.cell(
                    row=row,
                    column=6 + block * len(YEARS) + offset,
                    value=values.get((code, sex, year)),
                )
    for cell, value in (header_changes or {}).items():
        sheet[cell] = value
    book.save(path)
    return path
