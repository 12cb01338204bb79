"""The JSON path resolver behind [BODY].… conditions and json assertions."""

from __future__ import annotations

import re

import pytest

from vigil_core.probes.jsonpath import JsonPathNotFoundError, parse_json_path, resolve_json_path

DOCUMENT = {
    "status": "UP",
    "data": {"items": [{"id": 7, "tags": ["a", "b"]}, {"id": 8, "tags": []}], "empty": None},
    "odd.key": "dotted",
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.status", "UP"),
        ("status", "UP"),
        ("$.data.items[0].id", 7),
        ("data.items[1].id", 8),
        ("data.items[0].tags[1]", "b"),
        ("data.items.0.id", 7),
        ("$['odd.key']", "dotted"),
        ('$["odd.key"]', "dotted"),
        ("$.data.items[1].tags", []),
    ],
)
def test_given_a_document_when_a_path_is_resolved_then_the_value_there_comes_back(path: str, expected: object) -> None:
    assert resolve_json_path(DOCUMENT, path) == expected


def test_given_an_array_document_then_a_path_may_start_with_an_index() -> None:
    assert resolve_json_path([{"id": "first"}, {"id": "second"}], "[1].id") == "second"
    assert resolve_json_path([{"id": "first"}], "$[0].id") == "first"


def test_given_an_empty_path_or_dollar_then_the_whole_document_comes_back() -> None:
    assert resolve_json_path(DOCUMENT, "$") is DOCUMENT
    assert resolve_json_path(DOCUMENT, "") is DOCUMENT


def test_given_a_json_null_then_it_is_found_and_comes_back_as_none() -> None:
    assert resolve_json_path(DOCUMENT, "data.empty") is None


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("data.missing", "$.data has no key 'missing'"),
        ("data.items[5]", "$.data.items has 2 items, so no index 5"),
        ("status.code", "$.status is a string, so it has no .code"),
        ("data.items.first", "$.data.items is an array, not an object with key 'first'"),
        ("data.empty.x", "$.data.empty is null, so it has no .x"),
    ],
)
def test_given_a_path_the_document_lacks_then_the_error_says_where_the_walk_stopped(path: str, message: str) -> None:
    with pytest.raises(JsonPathNotFoundError) as caught:
        resolve_json_path(DOCUMENT, path)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("a..b", "expected a key at position 2"),
        ("a.", "expected a key at position 2"),
        ("a[x]", "expected [number] or ['key'] at position 1"),
        ("a[-1]", "must not be negative"),
        ("a[0", "expected [number] or ['key']"),
        ("$a", "unexpected 'a' at position 1"),
    ],
)
def test_given_a_malformed_path_then_parsing_names_the_position(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_json_path(path)
