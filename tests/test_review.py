"""`migkg review`: one row per figure, in the publication's order, with its quote, the decided
fields in words and the interpretation notes, as CSV and as a Markdown table."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest
from kgsupport import ROOT, select

CLI = [sys.executable, "-m", "service.cli", "review"]


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    result = subprocess.run(
        [*CLI, "--format", "csv"], capture_output=True, text=True, cwd=ROOT, timeout=300, check=True
    )
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_one_row_per_observation(rows):
    observations = select("SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a qb:Observation }")
    assert len(rows) == int(observations[0]["n"]) > 390
    assert len({r["figure"] for r in rows}) == len(rows)


def test_rows_follow_each_publication_in_order(rows):
    for publication in {r["publication"] for r in rows}:
        lines = [int(r["line"]) for r in rows if r["publication"] == publication]
        assert lines == sorted(lines)


def test_every_row_has_its_quote_and_a_reading(rows):
    assert all(r["quote"] and r["reading"] for r in rows)


@pytest.mark.parametrize(
    "figure, reading, interpretation",
    [
        (
            "mpl-s63-oralman-families-2016",
            "during the year to 1 January 2016",
            "As of January 1, 2016, 1,920 families",
        ),
        (
            "web-n4-border-arrivals-ru-2022",
            "recorded by Kazakhstan, counterpart Russia, during late September",
            "immediate aftermath",
        ),
        ("web-n7-diaspora-tr", "living in Türkiye, from Kazakhstan", "Fund of Compatriots"),
        (
            "mpl-s73-ethnic-kazakhs-turkey",
            "living in Türkiye, from Kazakhstan",
            "ethnic Kazakhs residing outside the RK",
        ),
        (
            "web-gi-emigrant-stock-undesa-2024",
            "living in World, from Kazakhstan",
            "Direction by residence",
        ),
        ("mpl-t4-capacity-families-aktau", "undated", "Actual residents"),
        (
            "web-n8-family-permits-es-2022",
            "permits for family reasons held abroad (stock), living in Spain",
            "Spain and France equally",
        ),
    ],
)
def test_decided_readings_and_their_interpretations(rows, figure, reading, interpretation):
    row = next(r for r in rows if r["figure"] == figure)
    assert reading.lower() in row["reading"].lower(), row["reading"]
    assert interpretation in row["interpretation"]


def test_vague_periods_are_said_in_words(rows):
    vague = {r["figure"] for r in rows if "(a vague period)" in r["reading"]}
    assert {
        "web-n4-border-arrivals-ru-2022",
        "web-n4-russians-remaining-late-2023",
        "mpl-s63-oralmans-2016",
    } <= vague
    assert "web-n3-arrivals-2023" not in vague


def test_markdown_table_and_document_filter():
    result = subprocess.run(
        [*CLI, "--doc", "mpl-2015"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("| figure | publication | line |") and lines[1].startswith("| --- |")
    assert len(lines) > 250 and all(line.startswith("| mpl-") for line in lines[2:])
