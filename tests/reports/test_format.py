"""reports.format: every helper turns what a results dict may hold into text, ``n/a`` when
the value is missing or not finite."""

from __future__ import annotations

import math

import pytest

from emoeval.reports.format import (
    ci_text,
    ci_unit_text,
    code_span,
    count_text,
    decimal_text,
    decimal_with_interval,
    duration_text,
    fenced_block,
    field,
    finite,
    interval_text,
    markdown_table,
    megabytes_text,
    metric_with_ci,
    parameters_text,
    pct,
    plural,
    table_cell,
)

MISSING = [None, math.nan, math.inf, "not a number", True]


@pytest.mark.parametrize("value", MISSING)
def test_missing_values_read_na(value):
    assert finite(value) is None
    for show in (pct, decimal_text, count_text, duration_text, parameters_text, megabytes_text):
        assert show(value) == "n/a", show.__name__


def test_numbers():
    assert finite("0.5") == 0.5
    assert pct(0.6454) == "64.5%"
    assert pct(0.6454, 2) == "64.54%"
    assert decimal_text(0.86129) == "0.861"
    assert decimal_text(2.5, 1) == "2.5"
    assert count_text(1234.4) == "1,234"
    assert megabytes_text(378_274_816) == "378.3 MB"


@pytest.mark.parametrize("seconds, text", [(12.34, "12.3 s"), (83.4, "1 min 23 s"),
                                           (7500, "2 h 5 min")])
def test_duration(seconds, text):
    assert duration_text(seconds) == text


@pytest.mark.parametrize("n, text", [(94_568_711, "94.6M (94,568,711)"),
                                     (1_500, "1.5k (1,500)"), (999, "999"),
                                     (2_000_000_000, "2.0B (2,000,000,000)")])
def test_parameters(n, text):
    assert parameters_text(n) == text


@pytest.mark.parametrize("word, text", [("speaker", "speakers"), ("city", "cities"),
                                        ("day", "days"), ("series", "series")])
def test_plural(word, text):
    assert plural(word) == text


def test_percent_interval_and_its_unit():
    interval = {"low": 0.612, "high": 0.678, "unit": "speaker", "n_resamples": 1000}
    assert ci_text(interval) == "[61.2, 67.8]"
    assert metric_with_ci(0.645, interval) == "64.5% [61.2, 67.8]"
    assert ci_unit_text(interval) == "95% CI over speakers (cluster bootstrap, 1,000 resamples)"
    assert ci_unit_text({"low": 0.1, "high": 0.2}) == "95% CI over samples (bootstrap)"


@pytest.mark.parametrize("interval", [None, {}, {"low": 0.1}, {"low": None, "high": 0.2},
                                      {"reason": "only 3 speakers"}, "0.1-0.2"])
def test_incomplete_interval_reads_na(interval):
    assert ci_text(interval) == "n/a"
    assert interval_text(interval) == "n/a"
    assert metric_with_ci(0.5, interval) == "50.0%"
    assert decimal_with_interval(0.5, interval) == "0.500"


def test_decimal_interval():
    interval = {"low": 0.861, "high": 0.8894}
    assert interval_text(interval) == "[0.861, 0.889]"
    assert interval_text(interval, 2) == "[0.86, 0.89]"
    assert decimal_with_interval(0.8751, interval) == "0.875 [0.861, 0.889]"


def test_ci_unit_without_interval_is_empty():
    assert ci_unit_text(None) == ""


def test_field_of_optional_blocks():
    assert field({"a": 1}, "a") == 1
    assert field({"a": 1}, "b") is None
    assert field(None, "a") is None
    assert field([1, 2], "a") is None


def test_table_cells_are_escaped():
    assert table_cell("a|b\nc\rd") == "a\\|b c d"
    assert table_cell(None) == ""
    table = markdown_table(["Name", "Count"], [["x|y", 3], ["z", None]])
    assert table.splitlines() == ["| Name | Count |", "|:---|---:|", "| x\\|y | 3 |",
                                  "| z |  |"]


def test_table_alignment():
    table = markdown_table(["a", "b", "c"], [], ["l", "c", "r"])
    assert table.splitlines()[1] == "|:---|:---:|---:|"


@pytest.mark.parametrize("value, span", [("plain", "`plain`"), ("a`b", "``a`b``"),
                                         ("`x`", "`` `x` ``"), ("two\nlines", "`two lines`")])
def test_code_span_survives_backticks(value, span):
    assert code_span(value) == span


def test_fenced_block_cannot_be_closed_from_inside():
    assert fenced_block("echo ```; rm") == ["```", "echo '''; rm", "```"]
