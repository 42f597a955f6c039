"""The questions researchers ask of the graph (tests/researcher_questions.py), asked of the
built dataset on the embedded store.

The expected figures there are typed from the documents by hand, independently of
graph_data/figures.csv: the 2024 General Information block pair by pair, and the MPL's
tables and statements.
"""

from __future__ import annotations

import pytest
from kgsupport import select
from researcher_questions import GENERAL_INFORMATION, QUESTIONS, general_information_figure


@pytest.mark.parametrize("indicator,period,value,unit,source", GENERAL_INFORMATION)
def test_general_information_figure(indicator, period, value, unit, source):
    general_information_figure(select, indicator, period, value, unit, source)


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_researcher_question(name):
    QUESTIONS[name](select)
