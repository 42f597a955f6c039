"""UN DESA International Migrant Stock 2024 workbooks → a release of the dataset.

Format (UN DESA Population Division, International Migrant Stock 2024, and producer-apis.md):
two Excel workbooks, ``undesa_pd_2024_ims_stock_by_sex_and_destination.xlsx`` (immigrant stock:
the area is the destination) and ``undesa_pd_2024_ims_stock_by_sex_and_origin.xlsx`` (emigrant
stock: the area is the origin). Sheet ``Table 1``; the header is row 11 (:data:`HEADER_ROW`):
``Index``, ``Region, development group, country or area of destination`` (``... of origin``),
``Notes``, ``Location code`` (UN M49), ``Type of data``, then the years 1990, 1995, 2000, 2005,
2010, 2015, 2020, 2024 three times: both sexes, males, females, named in row 10 above each block.
The database's revision code (``POP/DB/MIG/Stock/Rev.2024``) stands in the rows above the header.

The header is checked cell by cell against :func:`expected_header` (these headings follow the
documented layout of the workbooks; no live copy could be opened here); any other heading raises
:class:`UpdateError` naming the file, the cell and what was expected, and so does a workbook
without a revision code. Rows of regions and of areas that are not Prague Process states are
skipped; a footnote ``*`` after a name is harmless (rows are matched by M49 code). Empty cells,
``..`` and ``-`` are no value (counted in :attr:`Fetched.skipped_null`). Kosovo has no M49 code
and no figures here.

The release version is the revision code; ``issued`` is None.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from .errors import UpdateError
from .fetched import Fetched, group_releases
from .http import XLSX, ProducerClient
from .records import ProducerFigure, Response
from .states import State, by_m49

__all__ = [
    "DEFAULT_BASE",
    "WORKBOOKS",
    "YEARS",
    "download",
    "expected_header",
    "fetch",
    "read_response",
    "read_workbook",
    "read_workbooks",
]

SOURCE = "undesa"
DEFAULT_BASE = "https://www.un.org/development/desa/pd/sites/www.un.org.development.desa.pd/files"
WORKBOOKS = (
    "undesa_pd_2024_ims_stock_by_sex_and_destination.xlsx",
    "undesa_pd_2024_ims_stock_by_sex_and_origin.xlsx",
)
SHEET = "Table 1"
HEADER_ROW = 11
BLOCK_ROW = 10
FIRST_YEAR_COLUMN = 6  # F
CODE_COLUMN = 4  # D
YEARS = (1990, 1995, 2000, 2005, 2010, 2015, 2020, 2024)
#: The sex of each block of years, and the words its title in row 10 contains.
BLOCKS = (("T", "both sexes"), ("M", "males"), ("F", "females"))
#: Workbook kind (the end of column B's heading) → (indicator slug, series).
KINDS = {"destination": "immigrant-stock", "origin": "emigrant-stock"}
REVISION = re.compile(r"POP/DB/MIG/Stock/Rev\.\d{4}")
NO_VALUE = frozenset({"", "..", "-", "…"})
ZIP_MAGIC = b"PK\x03\x04"


def expected_header(kind: str) -> tuple[str | int, ...]:
    """Row 11 of Table 1 in the workbook by ``kind`` (``destination`` or ``origin``)."""
    return (
        "Index",
        f"Region, development group, country or area of {kind}",
        "Notes",
        "Location code",
        "Type of data",
        *YEARS * len(BLOCKS),
    )


def read_workbook(
    path: str | Path, states: Sequence[State] | None = None, first: int = 1990, last: int = 2024
) -> Fetched:
    """The figures of one workbook on disk (``migkg update --source undesa --file``) for
    ``states`` (default: all) from ``first`` to ``last``.

    :raises UpdateError: if it cannot be read or its layout is not the documented one.
    """
    return read_workbooks([path], states, first, last)


def read_workbooks(
    paths: Iterable[str | Path],
    states: Sequence[State] | None = None,
    first: int = 1990,
    last: int = 2024,
) -> Fetched:
    """The figures of several workbooks on disk, one release per revision code."""
    responses = []
    for path in paths:
        path = Path(path).resolve()
        try:
            body = path.read_bytes()
        except OSError as error:
            raise UpdateError(f"{SOURCE}: cannot read {path}: {error.strerror}") from None
        responses.append(
            Response(
                source=SOURCE,
                url=path.as_uri(),
                retrieved=datetime.now(UTC),
                body=body,
                media_type=XLSX,
            )
        )
    return _fetched(responses, states, first, last)


def download(client: ProducerClient, name: str) -> Response:
    """Download the workbook ``name`` from the client's base URL (``MIGKG_UNDESA_URL``).

    UN DESA serves xlsx as its own media type or as ``application/octet-stream``; either is
    accepted if the body is a ZIP container (an xlsx file).
    """
    response = client.get(name, source=SOURCE, expect=(XLSX, "application/octet-stream"))
    if not response.body.startswith(ZIP_MAGIC):
        raise UpdateError(f"{SOURCE}: {response.url} is not an xlsx workbook (no ZIP header)")
    return Response(
        source=response.source,
        url=response.url,
        retrieved=response.retrieved,
        body=response.body,
        media_type=XLSX,
    )


def fetch(
    client: ProducerClient,
    states: Sequence[State] | None = None,
    first: int = 1990,
    last: int = 2024,
    *,
    names: Sequence[str] = WORKBOOKS,
) -> Fetched:
    """Download both workbooks and read them (one release per revision code)."""
    return _fetched([download(client, name) for name in names], states, first, last)


def _fetched(
    responses: list[Response], states: Sequence[State] | None, first: int, last: int
) -> Fetched:
    parts = []
    skipped = 0
    for response in responses:
        version, figures, nulls = read_response(response, states, first, last)
        skipped += nulls
        parts.append((version, None, response, figures))
    return Fetched(
        source=SOURCE,
        releases=group_releases(SOURCE, parts),
        responses=tuple(responses),
        skipped_null=skipped,
    )


def read_response(
    response: Response, states: Sequence[State] | None = None, first: int = 1990, last: int = 2024
) -> tuple[str, list[ProducerFigure], int]:
    """The revision code, the figures of ``states`` (default: all) from ``first`` to ``last``,
    and the count of their empty values, of one workbook."""
    where = response.url
    try:
        book = openpyxl.load_workbook(io.BytesIO(response.body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise UpdateError(f"{SOURCE}: {where} is not a readable xlsx workbook: {error}") from None
    try:
        if SHEET not in book.sheetnames:
            raise UpdateError(f"{SOURCE}: {where} has no sheet {SHEET!r}")
        rows = [list(row) for row in book[SHEET].iter_rows(values_only=True)]
    finally:
        book.close()
    revision = _revision(rows, where)
    kind = _kind(rows, where)
    _check_header(rows, kind, where)
    codes = None if states is None else {state.code for state in states}
    figures, nulls = _figures(rows, kind, response, where, codes, (first, last))
    return revision, figures, nulls


def _cell(rows: list[list], row: int, column: int) -> object:
    """The value at a 1-based (row, column), None beyond the sheet's used range."""
    if row > len(rows) or column > len(rows[row - 1]):
        return None
    return rows[row - 1][column - 1]


def _name(row: int, column: int) -> str:
    return f"{get_column_letter(column)}{row}"


def _revision(rows: list[list], where: str) -> str:
    for row in rows[: HEADER_ROW - 1]:
        for value in row:
            if isinstance(value, str) and (match := REVISION.search(value)):
                return match.group(0)
    raise UpdateError(
        f"{SOURCE}: {where}: no revision code (POP/DB/MIG/Stock/Rev.YYYY) in {SHEET!r} "
        f"rows 1-{HEADER_ROW - 1}"
    )


def _kind(rows: list[list], where: str) -> str:
    heading = _cell(rows, HEADER_ROW, 2)
    for kind in KINDS:
        if heading == expected_header(kind)[1]:
            return kind
    raise UpdateError(
        f"{SOURCE}: {where}: {SHEET!r} cell {_name(HEADER_ROW, 2)} is {heading!r}, expected "
        + " or ".join(repr(expected_header(kind)[1]) for kind in KINDS)
    )


def _heading(value: object) -> object:
    """A heading as compared: text stripped, a year written as 1990, "1990" or 1990.0 → 1990."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        value = value.strip()
        return int(value) if value.isdigit() else value
    return value


def _check_header(rows: list[list], kind: str, where: str) -> None:
    expected = expected_header(kind)
    for column, heading in enumerate(expected, start=1):
        actual = _cell(rows, HEADER_ROW, column)
        if _heading(actual) != heading:
            raise UpdateError(
                f"{SOURCE}: {where}: {SHEET!r} cell {_name(HEADER_ROW, column)} (row "
                f"{HEADER_ROW}, column {get_column_letter(column)}) is {actual!r}, expected "
                f"{heading!r}"
            )
    for block, (_, words) in enumerate(BLOCKS):
        column = FIRST_YEAR_COLUMN + block * len(YEARS)
        title = _cell(rows, BLOCK_ROW, column)
        text = title.lower() if isinstance(title, str) else ""
        if words not in text or (words == "males" and "females" in text):
            raise UpdateError(
                f"{SOURCE}: {where}: {SHEET!r} cell {_name(BLOCK_ROW, column)} is {title!r}, "
                f"expected the title of the block of {words}"
            )


def _m49(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _published(value: object, where: str, cell: str) -> str | None:
    """The text of a number cell as read, None for an empty one."""
    if value is None or (isinstance(value, str) and value.strip() in NO_VALUE):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UpdateError(f"{SOURCE}: {where}: {SHEET!r} cell {cell} is {value!r}, not a number")
    return repr(value)


def _figures(
    rows: list[list],
    kind: str,
    response: Response,
    where: str,
    codes: set[str] | None,
    years: tuple[int, int],
) -> tuple[list[ProducerFigure], int]:
    figures: list[ProducerFigure] = []
    nulls = 0
    seen: set[int] = set()
    digest = response.sha256  # once: the property hashes the whole body
    for number in range(HEADER_ROW + 1, len(rows) + 1):
        code = _m49(_cell(rows, number, CODE_COLUMN))
        state = by_m49(code) if code is not None else None
        if state is None:
            continue  # a region, a development group, or an area that is not a state
        if code in seen:
            raise UpdateError(
                f"{SOURCE}: {where}: {SHEET!r} location code {code} appears twice "
                f"(again in row {number})"
            )
        seen.add(code)
        if codes is not None and state.code not in codes:
            continue
        for block, (sex, _) in enumerate(BLOCKS):
            for offset, year in enumerate(YEARS):
                if not years[0] <= year <= years[1]:
                    continue
                column = FIRST_YEAR_COLUMN + block * len(YEARS) + offset
                published = _published(_cell(rows, number, column), where, _name(number, column))
                if published is None:
                    nulls += 1
                    continue
                figures.append(
                    ProducerFigure(
                        source=SOURCE,
                        indicator=KINDS[kind],
                        series=kind,
                        area=state.code,
                        year=year,
                        sex=sex,
                        value=Decimal(published),
                        published=published,
                        status="A",
                        response=digest,
                        order=len(figures) + 1,
                    )
                )
    return figures, nulls
