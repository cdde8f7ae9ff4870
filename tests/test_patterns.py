"""Pattern codes: parsing, canonical formatting, names and rejection messages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapelite.errors import InvalidInputError
from mapelite.swarm.patterns import VALID_EXAMPLES, Pattern, format_pattern, parse_pattern


@pytest.mark.parametrize(
    ("code", "stages", "name"),
    [
        (":0", (1,), "single model"),
        (":10", (8, 1), "scatter-gather"),
        (":01", (1, 8), "broadcast"),
        (":1010", (8, 1, 8, 1), "double diamond"),
        (":20", (64, 1), "wide scatter-gather"),
        (":3", (512,), "custom"),
        (":0123", (1, 8, 64, 512), "custom"),
    ],
)
def test_design_table_codes_parse_to_their_stages_and_names(code, stages, name):
    pattern = parse_pattern(code)
    assert pattern.stages == stages
    assert pattern.name == name
    assert pattern.total_agents == sum(stages)
    assert format_pattern(pattern) == code


def test_a_code_without_its_colon_is_refused_naming_the_fix():
    assert parse_pattern(" :10 ") == Pattern(":10", (8, 1))
    for text, fix in [("10", "':10'"), (" 1010 ", "':1010'")]:
        with pytest.raises(InvalidInputError) as caught:
            parse_pattern(text)
        message = str(caught.value)
        assert "does not start with ':'" in message and f"did you mean {fix}?" in message
        assert VALID_EXAMPLES in message and "\n" not in message


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        (":", "empty"),
        (":9", "digit 9"),
        (":4", "digit 4"),
        (":1a", "only digits"),
        ("abc", "does not start with ':'"),
        (":-1", "only digits"),
        (": 10", "only digits"),
        (":٣", "only digits"),  # a non-ASCII digit
        (":000000000", "9 stages"),
    ],
)
def test_bad_codes_are_rejected_with_valid_examples(text, why):
    with pytest.raises(InvalidInputError) as caught:
        parse_pattern(text, max_agents=10_000)
    message = str(caught.value)
    assert why in message
    assert VALID_EXAMPLES in message
    assert "\n" not in message


def test_total_agents_over_the_cap_is_rejected():
    assert parse_pattern(":33", max_agents=1024).total_agents == 1024
    with pytest.raises(InvalidInputError, match="1025 agents, over the cap of 1024"):
        parse_pattern(":330", max_agents=1024)


def test_default_cap_comes_from_settings(monkeypatch):
    from mapelite.config.settings import get_settings

    monkeypatch.setenv("MAPELITE_MAX_AGENTS", "9")
    get_settings.cache_clear()
    assert parse_pattern(":10").total_agents == 9
    with pytest.raises(InvalidInputError, match="cap of 9"):
        parse_pattern(":11")


def test_roles_follow_the_width_changes():
    pattern = parse_pattern(":1010")
    assert [pattern.role(s) for s in range(4)] == ["worker", "aggregator", "consumer", "aggregator"]


@settings(max_examples=200, deadline=None)
@given(digits=st.text(alphabet="0123", min_size=1, max_size=8))
def test_parse_then_format_returns_the_canonical_code(digits):
    pattern = parse_pattern(":" + digits, max_agents=8 * 512)
    assert format_pattern(pattern) == ":" + digits
    assert parse_pattern(format_pattern(pattern), max_agents=8 * 512) == pattern
    assert pattern.stages == tuple(8 ** int(d) for d in digits)
