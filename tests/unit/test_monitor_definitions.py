"""Monitor definitions: every check type, defaults, durations, interval classes, and each refusal naming
its field with a reason a person can act on. Maintenance windows, status patterns and ids."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest

from vigil_core.errors import VigilError
from vigil_core.models.monitors import (
    INTERVAL_CLASSES,
    MONITOR_DEFINITION,
    DnsMonitor,
    HeartbeatMonitor,
    HttpMonitor,
    MaintenanceWindow,
    TcpMonitor,
    TlsMonitor,
    format_duration,
    parse_duration_seconds,
    slugify,
)
from vigil_core.services.monitors import parse_definition

MINIMAL: dict[str, dict[str, Any]] = {
    "http": {"type": "http", "name": "Checkout API", "target": "https://api.example.com/health"},
    "tcp": {"type": "tcp", "name": "Orders database", "target": "orders-db.internal:5432"},
    "dns": {"type": "dns", "name": "Public zone", "target": "example.com"},
    "tls": {"type": "tls", "name": "Certificate", "target": "example.com"},
    "heartbeat": {"type": "heartbeat", "name": "Nightly backup"},
}


def definition(kind: str = "http", **fields: Any) -> Any:
    return parse_definition(MINIMAL[kind] | fields)


def refusal(body: Any, **kwargs: Any) -> VigilError:
    with pytest.raises(VigilError) as caught:
        parse_definition(body, **kwargs)
    return caught.value


def problems(body: Any) -> list[tuple[str, str]]:
    error = refusal(body)
    assert (error.status, error.code) == (400, "validation_error")
    return [(p.field, p.problem) for p in error.problems]


# -- every type: a minimal definition and its defaults


@pytest.mark.parametrize(
    ("kind", "model", "thresholds"),
    [
        ("http", HttpMonitor, (3, 2)),
        ("tcp", TcpMonitor, (3, 2)),
        ("dns", DnsMonitor, (3, 2)),
        ("tls", TlsMonitor, (3, 2)),
        ("heartbeat", HeartbeatMonitor, (1, 1)),
    ],
)
def test_a_minimal_definition_of_each_type_is_accepted_with_the_common_defaults(
    kind: str, model: type, thresholds: tuple[int, int]
) -> None:
    # Given only the type, a name and (except heartbeats) a target
    # When parsed
    parsed = definition(kind)
    # Then it is that type's model, checked every minute, with the type's thresholds
    assert type(parsed).__name__ == model.__name__
    assert (parsed.failure_threshold, parsed.success_threshold) == thresholds
    assert (parsed.interval, parsed.timeout, parsed.retries, parsed.enabled) == (60, 10.0, 0, True)
    assert (parsed.id, parsed.tags, parsed.maintenance, parsed.conditions) == (None, {}, (), ())


def test_http_defaults_are_a_get_following_redirects_verifying_tls_and_accepting_any_2xx() -> None:
    parsed = definition("http")
    assert (parsed.method, parsed.follow_redirects, parsed.max_redirects, parsed.verify_tls) == ("GET", True, 5, True)
    assert parsed.expected_status == ("2xx",)
    assert (parsed.degraded_ms, parsed.failed_ms, parsed.assertions) == (None, None, ())


def test_dns_defaults_are_an_a_record_answered_with_noerror_by_the_system_resolver() -> None:
    parsed = definition("dns")
    assert (parsed.record_type.value, parsed.expected_rcode, parsed.resolver) == ("A", "NOERROR", None)
    assert parsed.resolver_address is None


@pytest.mark.parametrize(
    ("resolver", "address"),
    [
        ("1.1.1.1", ("1.1.1.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("::1", ("::1", 53)),
        ("[::1]:53", ("::1", 53)),
    ],
)
def test_a_dns_resolver_is_an_ip_address_with_an_optional_port(resolver: str, address: tuple[str, int]) -> None:
    assert definition("dns", resolver=resolver).resolver_address == address


def test_tls_defaults_are_port_443_down_below_7_days_and_degraded_below_21() -> None:
    parsed = definition("tls")
    assert parsed.host_port == ("example.com", 443)
    assert (parsed.min_days_remaining, parsed.degraded_days_remaining) == (7, 21)
    assert definition("tls", target="example.com:8443").host_port == ("example.com", 8443)


def test_a_heartbeat_defaults_to_a_minute_of_grace_and_ignores_timeout_against_its_interval() -> None:
    parsed = definition("heartbeat", interval="30s", timeout="20s", retries=3)
    assert parsed.grace == 60.0
    assert (parsed.interval, parsed.timeout) == (30, 20.0)


def test_explicit_thresholds_override_the_defaults() -> None:
    parsed = definition("http", failure_threshold=1, success_threshold=5)
    assert (parsed.failure_threshold, parsed.success_threshold) == (1, 5)


@pytest.mark.parametrize(
    "body",
    [
        *MINIMAL.values(),
        MINIMAL["http"] | {"interval": "30s", "retries": 1, "expected_status": ["2xx", "301", 404]},
        MINIMAL["tls"] | {"min_days_remaining": 30},
        MINIMAL["heartbeat"] | {"interval": "30s", "retries": 5},
        MINIMAL["dns"]
        | {"resolver": "::1", "maintenance": [{"days": ["sun"], "start_time": "02:00", "duration": "1h"}]},
    ],
)
def test_an_accepted_definition_reads_back_from_its_stored_json(body: dict[str, Any]) -> None:
    # Given an accepted definition — When stored as JSON and read back (as the DynamoDB adapter does)
    # Then it is the same definition: nothing accepted once is refused later
    parsed = parse_definition(body)
    assert MONITOR_DEFINITION.validate_json(parsed.model_dump_json()) == parsed


# -- durations and intervals


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("1d", 86400.0),
        ("1.5s", 1.5),
        (" 2 m ", 120.0),
        ("45", 45.0),
        (45, 45.0),
        (2.5, 2.5),
    ],
)
def test_durations_are_numbers_of_seconds_or_numbers_with_a_unit(value: Any, seconds: float) -> None:
    assert parse_duration_seconds(value) == seconds


@pytest.mark.parametrize("value", ["soon", "5 minutes", "-1s", "1w", "", True, None, [30]])
def test_anything_else_is_not_a_duration(value: Any) -> None:
    with pytest.raises(ValueError, match="must be a duration such as 30s, 5m or 1h"):
        parse_duration_seconds(value)


def test_durations_are_accepted_wherever_the_definition_takes_seconds() -> None:
    parsed = definition("http", interval="1h", timeout="500ms")
    assert (parsed.interval, parsed.timeout) == (3600, 0.5)
    assert definition("http", interval=300, timeout=2).interval == 300
    assert definition("heartbeat", grace="5m").grace == 300.0


@pytest.mark.parametrize("interval", ["30s", "1m", "5m", "15m", "30m", "1h", 30, 60, 3600, "0.5m"])
def test_every_interval_class_is_accepted(interval: Any) -> None:
    assert definition("http", interval=interval, timeout="5s").interval in INTERVAL_CLASSES


def test_an_interval_outside_the_classes_is_refused_naming_the_allowed_ones() -> None:
    assert problems(MINIMAL["http"] | {"interval": "7m"}) == [("interval", "must be one of 30s, 1m, 5m, 15m, 30m, 1h")]
    assert problems(MINIMAL["heartbeat"] | {"interval": 45}) == [
        ("interval", "must be one of 30s, 1m, 5m, 15m, 30m, 1h")
    ]


def test_durations_are_shown_in_their_largest_whole_unit() -> None:
    assert [format_duration(s) for s in (30, 60, 90, 300, 3600, 5400, 0.5)] == [
        "30s",
        "1m",
        "90s",
        "5m",
        "1h",
        "90m",
        "0.5s",
    ]


def test_a_timeout_that_with_its_retries_fills_the_interval_is_refused_on_the_timeout_field() -> None:
    # Given a 30 s interval and 2 retries: three attempts of 10 s would take the whole interval
    body = MINIMAL["http"] | {"interval": "30s", "timeout": "10s", "retries": 2}
    # Then it is refused, on `timeout`, saying what must hold
    assert problems(body) == [("timeout", "timeout x (retries + 1) must be shorter than the interval (30s)")]
    # And just under the interval is accepted
    assert definition("http", interval="30s", timeout="9.9s", retries=2).timeout == 9.9


def test_the_default_timeout_must_fit_the_interval_too() -> None:
    # Given a 30 s interval and 2 retries, with the default 10 s timeout: 3 x 10 s fill the interval
    # Then it is refused on `timeout` as if the timeout had been given
    assert problems(MINIMAL["tcp"] | {"interval": "30s", "retries": 2}) == [
        ("timeout", "timeout x (retries + 1) must be shorter than the interval (30s)")
    ]
    assert definition("tcp", interval="30s", retries=1).timeout == 10.0


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"timeout": 0}, "timeout", "greater than 0"),
        ({"timeout": "2m"}, "timeout", "less than or equal to 60"),
        ({"retries": 6}, "retries", "less than or equal to 5"),
        ({"failure_threshold": 0}, "failure_threshold", "greater than or equal to 1"),
        ({"success_threshold": 21}, "success_threshold", "less than or equal to 20"),
        ({"timeout": "soon"}, "timeout", "must be a duration such as 30s, 5m or 1h"),
    ],
)
def test_limits_on_timing_fields_are_refused_with_the_bound(fields: dict[str, Any], field: str, problem: str) -> None:
    [(where, why)] = problems(MINIMAL["http"] | {"interval": "5m"} | fields)
    assert where == field
    assert problem in why


# -- each bad field refused by name, with a reason


@pytest.mark.parametrize(
    ("kind", "fields", "field", "problem"),
    [
        ("http", {"target": "ftp://example.com/file"}, "target", "must be an http:// or https:// URL"),
        ("http", {"target": "https://"}, "target", "must be an http:// or https:// URL"),
        ("http", {"target": "https://exa mple.com/"}, "target", "must be an http:// or https:// URL"),
        ("http", {"target": "example.com"}, "target", "must be an http:// or https:// URL"),
        ("tcp", {"target": "orders-db.internal"}, "target", "must be host:port, e.g. db.internal:5432"),
        ("tcp", {"target": "https://orders-db.internal:5432"}, "target", "must be host:port, e.g. db.internal:5432"),
        ("tcp", {"target": "orders-db.internal:70000"}, "target", "port must be between 1 and 65535"),
        ("tcp", {"target": "orders-db.internal:0"}, "target", "port must be between 1 and 65535"),
        ("tls", {"target": "https://example.com"}, "target", "must be host or host:port, e.g. example.com:443"),
        ("dns", {"target": "not a name!"}, "target", "must be a DNS name, e.g. api.example.com"),
        ("dns", {"target": "example..com"}, "target", "must be a DNS name, e.g. api.example.com"),
        ("dns", {"resolver": "dns.google"}, "resolver", "must be an IP address, optionally with :port"),
        ("dns", {"resolver": "1.1.1.1:0"}, "resolver", "port must be between 1 and 65535"),
        ("dns", {"record_type": "SRV"}, "record_type", "Input should be 'A', 'AAAA', 'CNAME', 'MX', 'TXT' or 'NS'"),
        ("http", {"body_regex": "("}, "body_regex", "not a valid regular expression: missing ), unterminated"),
        ("http", {"body_not_regex": "[a-"}, "body_not_regex", "not a valid regular expression"),
        ("http", {"expected_status": ["2xy"]}, "expected_status", "'2xy' is not a status code (e.g. 200) or class"),
        ("http", {"expected_status": ["200", "6xx"]}, "expected_status", "'6xx' is not a status code (e.g. 200)"),
        ("http", {"expected_status": [600]}, "expected_status", "status 600 is not between 100 and 599"),
        ("http", {"expected_status": [True]}, "expected_status", "True is not a status code (e.g. 200)"),
        ("http", {"expected_status": []}, "expected_status", "at least one status is required"),
        ("http", {"method": "FETCH"}, "method", "Input should be 'GET', 'HEAD', 'POST'"),
        ("http", {"degraded_ms": 500, "failed_ms": 400}, "failed_ms", "must be above degraded_ms"),
        ("http", {"id": "Checkout_API"}, "id", "String should match pattern"),
        ("http", {"name": ""}, "name", "at least 1 character"),
        ("http", {"tags": {"team-name": "x"}}, "tags", "tag key 'team-name' must match [a-zA-Z_][a-zA-Z0-9_]*"),
        ("http", {"conditions": ["[STATUS] ~~ 200"]}, "conditions", "condition 0 ('[STATUS] ~~ 200')"),
        (
            "http",
            {"maintenance": [{"days": ["sun"], "start_time": "02:00", "duration": "1h", "timezone": "Mars/Olympus"}]},
            "maintenance.0.timezone",
            "unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Berlin)",
        ),
        (
            "http",
            {"assertions": [{"source": "body", "operator": "matches", "target": "(unclosed"}]},
            "assertions.0",
            "target is not a valid regular expression",
        ),
        (
            "http",
            {"assertions": [{"source": "json", "operator": "eq", "target": "UP"}]},
            "assertions.0",
            "property is required for source json",
        ),
        (
            "tls",
            {"min_days_remaining": 30, "degraded_days_remaining": 10},
            "degraded_days_remaining",
            "must not be below min_days_remaining",
        ),
    ],
)
def test_a_bad_field_is_refused_by_name_with_a_readable_problem(
    kind: str, fields: dict[str, Any], field: str, problem: str
) -> None:
    # Given a definition with one bad field — When parsed — Then exactly that field is named, with why
    [(where, why)] = problems(MINIMAL[kind] | fields)
    assert where == field
    assert problem in why
    assert "tagged-union" not in why and "Value error" not in why


def test_every_bad_field_is_reported_at_once() -> None:
    body = MINIMAL["http"] | {"target": "ftp://x", "retries": 9, "body_regex": "("}
    assert [field for field, _ in problems(body)] == ["retries", "target", "body_regex"]


def test_the_summary_message_names_the_first_problem() -> None:
    error = refusal(MINIMAL["tcp"] | {"target": "db"})
    assert error.message == "1 invalid field(s); first: target: must be host:port, e.g. db.internal:5432"
    assert error.body()["errors"] == [{"field": "target", "problem": "must be host:port, e.g. db.internal:5432"}]


def test_a_missing_type_is_refused_as_required() -> None:
    body = {k: v for k, v in MINIMAL["http"].items() if k != "type"}
    assert problems(body) == [("type", "is required")]


@pytest.mark.parametrize("kind", ["smtp", "HTTP", 1, ["http"], {"http": True}])
def test_an_unknown_type_is_refused_listing_the_known_ones(kind: Any) -> None:
    assert problems(MINIMAL["http"] | {"type": kind}) == [("type", "must be one of http, tcp, dns, tls, heartbeat")]


@pytest.mark.parametrize("body", [["http"], "http", None, 42])
def test_a_definition_that_is_not_an_object_is_refused(body: Any) -> None:
    assert problems(body) == [("body", "must be an object")]


def test_a_missing_required_field_is_named() -> None:
    assert problems({"type": "http", "name": "x"}) == [("target", "is required")]
    assert problems({"type": "heartbeat"}) == [("name", "is required")]


@pytest.mark.parametrize(
    ("kind", "field"), [("http", "bogus"), ("tcp", "method"), ("heartbeat", "target"), ("dns", "expected_status")]
)
def test_unknown_fields_and_fields_of_another_type_are_refused(kind: str, field: str) -> None:
    assert problems(MINIMAL[kind] | {field: "GET"}) == [(field, "unknown field")]


def test_fields_are_prefixed_with_where_the_definition_sits() -> None:
    error = refusal(MINIMAL["tcp"] | {"target": "db", "bogus": 1}, field_prefix="monitors[3].")
    assert [p.field for p in error.problems] == ["monitors[3].target", "monitors[3].bogus"]
    assert [p.field for p in refusal({"name": "x"}, field_prefix="monitors[0].").problems] == ["monitors[0].type"]
    assert [p.field for p in refusal("x", field_prefix="monitors[1].").problems] == ["monitors[1]"]


# -- expected status


def test_expected_statuses_mix_classes_codes_as_text_and_codes_as_numbers() -> None:
    # Given 2xx, 301 as text and 404 as a number
    parsed = definition("http", expected_status=["2xx", "301", 404])
    # Then each is accepted, and nothing else is
    assert [status for status in (200, 204, 299, 301, 404) if parsed.accepts_status(status)] == [
        200,
        204,
        299,
        301,
        404,
    ]
    assert [status for status in (199, 300, 302, 403, 500) if parsed.accepts_status(status)] == []


def test_expected_statuses_given_as_numbers_only_accept_exactly_those() -> None:
    parsed = definition("http", expected_status=[200, 301])
    assert parsed.expected_status == (200, 301)
    assert [parsed.accepts_status(status) for status in (200, 201, 301, 302)] == [True, False, True, False]


def test_the_default_expected_status_accepts_any_2xx_only() -> None:
    parsed = definition("http")
    assert [parsed.accepts_status(status) for status in (200, 201, 204, 301, 404, 500)] == [True] * 3 + [False] * 3


# -- TLS thresholds


def test_a_tls_minimum_above_the_default_degraded_threshold_raises_the_degraded_threshold_with_it() -> None:
    parsed = definition("tls", min_days_remaining=30)
    assert (parsed.min_days_remaining, parsed.degraded_days_remaining) == (30, 30)


def test_an_explicit_tls_degraded_threshold_above_the_minimum_is_kept() -> None:
    parsed = definition("tls", min_days_remaining=30, degraded_days_remaining=45)
    assert (parsed.min_days_remaining, parsed.degraded_days_remaining) == (30, 45)


# -- ids


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Checkout API", "checkout-api"),
        ("  Hello, World!  ", "hello-world"),
        ("orders_db (primary)", "orders-db-primary"),
        ("Ünïcode ☃ check", "n-code-check"),
        ("!!!", "monitor"),
        ("x" * 62 + " yz", "x" * 62),
    ],
)
def test_an_id_made_from_a_name_is_a_valid_lower_case_slug(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert definition("http", name=name).monitor_id == slug


def test_a_long_name_makes_an_id_of_at_most_63_characters() -> None:
    assert len(slugify("a" * 100)) == 63


def test_an_explicit_id_wins_over_the_name() -> None:
    assert definition("http", id="checkout").monitor_id == "checkout"


# -- maintenance windows


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_one_off_window_is_active_from_its_start_until_just_before_its_end() -> None:
    window = MaintenanceWindow(start=at("2026-11-22T09:00:00+00:00"), end=at("2026-11-22T10:00:00+00:00"))
    assert not window.is_active(at("2026-11-22T08:59:59+00:00"))
    assert window.is_active(at("2026-11-22T09:00:00+00:00"))
    assert window.is_active(at("2026-11-22T10:59:00+01:00"))  # the same instant in another zone
    assert not window.is_active(at("2026-11-22T10:00:00+00:00"))


def test_a_weekly_window_is_active_on_its_days_from_its_start_time_for_its_duration() -> None:
    # Given Monday and Wednesday 02:00-03:30 UTC
    window = MaintenanceWindow(days=("mon", "wed"), start_time=time(2, 0), duration=5400)
    # Then on those days (2026-11-23 is a Monday), and only then
    assert window.is_active(at("2026-11-23T02:00:00+00:00"))
    assert window.is_active(at("2026-11-25T03:29:59+00:00"))
    assert not window.is_active(at("2026-11-23T03:30:00+00:00"))
    assert not window.is_active(at("2026-11-23T01:59:59+00:00"))
    assert not window.is_active(at("2026-11-24T02:30:00+00:00"))  # Tuesday


def test_a_weekly_window_crossing_midnight_runs_on_into_the_next_day() -> None:
    # Given Saturday 23:00 for 2 hours (2026-11-21 is a Saturday)
    window = MaintenanceWindow(days=("sat",), start_time=time(23, 0), duration="2h")
    # Then it is active late Saturday and early Sunday, until 01:00
    assert window.is_active(at("2026-11-21T23:30:00+00:00"))
    assert window.is_active(at("2026-11-22T00:59:59+00:00"))
    assert not window.is_active(at("2026-11-22T01:00:00+00:00"))
    # And not on Sunday late evening, nor early Saturday morning (Friday was not a window day)
    assert not window.is_active(at("2026-11-22T23:30:00+00:00"))
    assert not window.is_active(at("2026-11-21T00:30:00+00:00"))


def test_a_weekly_window_in_a_time_zone_follows_its_local_time_across_daylight_saving_changes() -> None:
    # Given Sunday 03:00-04:00 in Berlin (CET, UTC+1 in winter; CEST, UTC+2 from 29 March 2026)
    window = MaintenanceWindow(days=("sun",), start_time=time(3, 0), duration="1h", timezone="Europe/Berlin")
    # Then the Sunday before the change it is 02:00-03:00 UTC
    assert window.is_active(at("2026-03-22T02:30:00+00:00"))
    assert not window.is_active(at("2026-03-22T01:30:00+00:00"))
    # And on the day clocks go forward it is 01:00-02:00 UTC
    assert window.is_active(at("2026-03-29T01:30:00+00:00"))
    assert not window.is_active(at("2026-03-29T02:30:00+00:00"))
    # And on the day clocks go back (03:00 CEST becomes 02:00 CET) it is 02:00-03:00 UTC again
    assert window.is_active(at("2026-10-25T02:30:00+00:00"))
    assert not window.is_active(at("2026-10-25T01:30:00+00:00"))
    assert not window.is_active(at("2026-10-25T03:30:00+00:00"))


def test_a_weekly_window_starting_before_the_clocks_go_forward_is_active_on_both_sides_of_the_jump() -> None:
    # Given Sunday 01:00 for 3 hours in Berlin, on the night the clocks jump from 02:00 to 03:00
    window = MaintenanceWindow(days=("sun",), start_time=time(1, 0), duration="3h", timezone="Europe/Berlin")
    assert not window.is_active(at("2026-03-28T23:59:00+00:00"))  # 00:59 CET
    assert window.is_active(at("2026-03-29T00:30:00+00:00"))  # 01:30 CET
    assert window.is_active(at("2026-03-29T01:30:00+00:00"))  # 03:30 CEST


@pytest.mark.parametrize(
    ("window", "problem"),
    [
        ({"start": "2026-11-22T09:00:00Z"}, "a one-off window needs both start and end"),
        ({"start": "2026-11-22T09:00:00Z", "end": "2026-11-22T08:00:00Z"}, "end must be after start"),
        ({"start": "2026-11-22T09:00:00", "end": "2026-11-22T10:00:00Z"}, "must carry a time zone"),
        ({"days": ["sun"], "start_time": "02:00"}, "a weekly window needs days, start_time and duration"),
        ({"days": [], "start_time": "02:00", "duration": "1h"}, "a weekly window needs days, start_time and duration"),
        ({"days": ["sun"], "start_time": "02:00", "duration": "8d"}, "duration must be positive and at most 7 days"),
        ({"days": ["sun"], "start_time": "02:00", "duration": "1h", "start": "2026-11-22T09:00:00Z"}, "give either"),
        ({"reason": "nothing else"}, "give either start and end, or days, start_time and duration"),
    ],
)
def test_an_inconsistent_maintenance_window_is_refused(window: dict[str, Any], problem: str) -> None:
    [(field, why)] = problems(MINIMAL["http"] | {"maintenance": [window]})
    assert field.startswith("maintenance.0")
    assert problem in why


def test_an_unknown_weekday_is_refused() -> None:
    window = {"days": ["funday"], "start_time": "02:00", "duration": "1h"}
    [(field, _)] = problems(MINIMAL["http"] | {"maintenance": [window]})
    assert field == "maintenance.0.days.0"


def test_maintenance_windows_of_a_definition_are_parsed() -> None:
    parsed = definition(
        "http",
        maintenance=[
            {"start": "2026-12-24T00:00:00Z", "end": "2026-12-27T00:00:00Z", "reason": "holidays"},
            {"days": ["sun"], "start_time": "02:00", "duration": "90m", "timezone": "Europe/Berlin"},
        ],
    )
    one_off, weekly = parsed.maintenance
    assert one_off.reason == "holidays"
    assert one_off.start == datetime(2026, 12, 24, tzinfo=UTC)
    assert (weekly.days, weekly.start_time, weekly.duration) == (("sun",), time(2, 0), 5400.0)


def test_a_weekly_window_across_the_spring_daylight_saving_change_lasts_its_real_duration() -> None:
    # Given a 3-hour window from 01:00 on Sundays in Berlin, and the night clocks jump from 02:00 to 03:00
    from datetime import UTC, datetime

    from vigil_core.models.monitors import MaintenanceWindow

    window = MaintenanceWindow(days=("sun",), start_time="01:00", duration="3h", timezone="Europe/Berlin")
    begins = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # 01:00 CET
    # Then it is active for three real hours (until 03:00 UTC, 05:00 CEST), not two
    assert window.is_active(begins)
    assert window.is_active(datetime(2026, 3, 29, 2, 59, tzinfo=UTC))
    assert not window.is_active(datetime(2026, 3, 29, 3, 0, tzinfo=UTC))
    assert not window.is_active(datetime(2026, 3, 28, 23, 59, tzinfo=UTC))
