"""Escalation policies: the defaults, business hours in the tenant's zone (across daylight-saving changes), the
schedule a firing alert's escalation follows, and every bad field refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigil_core.models.alerts import Severity
from vigil_core.models.escalation import BusinessHours, EscalationPolicy

BERLIN_HOURS = BusinessHours(timezone="Europe/Berlin")  # Mon-Fri 09:00-17:00 local


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def schedule(policy: EscalationPolicy, severity: Severity, fired_at: datetime) -> list[tuple[int, int, datetime]]:
    return [(step.round, step.level, step.due_at) for step in policy.plan(severity, fired_at)]


def test_the_defaults_escalate_critical_after_1m_error_after_5m_warning_after_15m_and_info_never() -> None:
    # Given the default policy and an alert firing at noon
    policy, fired = EscalationPolicy(), utc(2026, 11, 23, 12, 0)
    # Then each severity's one level is paged after its delay, once, and info pages nobody
    assert schedule(policy, Severity.CRITICAL, fired) == [(0, 0, utc(2026, 11, 23, 12, 1))]
    assert schedule(policy, Severity.ERROR, fired) == [(0, 0, utc(2026, 11, 23, 12, 5))]
    assert schedule(policy, Severity.WARNING, fired) == [(0, 0, utc(2026, 11, 23, 12, 15))]
    assert schedule(policy, Severity.INFO, fired) == []


def test_levels_follow_each_other_and_the_chain_repeats() -> None:
    # Given two critical levels (2 min, then 10 min more) repeated twice
    policy = EscalationPolicy.model_validate(
        {
            "levels": {
                "critical": [{"targets": ["primary"], "after": "2m"}, {"targets": ["secondary"], "after": "10m"}]
            },
            "repeat": 2,
        }
    )
    # Then the pages come at 2, 12, 14, 24, 26 and 36 minutes after the firing
    minutes = [
        (r, level, (due - utc(2026, 1, 1)) // timedelta(minutes=1))
        for r, level, due in schedule(policy, Severity.CRITICAL, utc(2026, 1, 1))
    ]
    assert minutes == [(0, 0, 2), (0, 1, 12), (1, 0, 14), (1, 1, 24), (2, 0, 26), (2, 1, 36)]
    # And a severity without levels is not escalated
    assert schedule(policy, Severity.ERROR, utc(2026, 1, 1)) == []


def test_business_hours_are_the_tenants_wall_clock_hours_across_daylight_saving_changes() -> None:
    # Given Berlin's 09:00-17:00 on weekdays; CET is UTC+1, CEST UTC+2 (summer time began Sun 29 March 2026)
    # Then Friday 27 March 08:30 UTC is 09:30 CET: open; Monday 30 March 07:30 UTC is 09:30 CEST: open too
    assert BERLIN_HOURS.contains(utc(2026, 3, 27, 8, 30))
    assert BERLIN_HOURS.contains(utc(2026, 3, 30, 7, 30))
    # And 07:30 UTC on that Friday is 08:30 CET: not yet; Saturday noon is closed
    assert not BERLIN_HOURS.contains(utc(2026, 3, 27, 7, 30))
    assert not BERLIN_HOURS.contains(utc(2026, 3, 28, 12, 0))
    # And after Friday's close, the next opening is Monday 09:00 CEST = 07:00 UTC, across the change
    assert BERLIN_HOURS.next_opening(utc(2026, 3, 27, 17, 0)) == utc(2026, 3, 30, 7, 0)
    # And inside hours, the next opening is now
    assert BERLIN_HOURS.next_opening(utc(2026, 3, 27, 8, 30)) == utc(2026, 3, 27, 8, 30)


def test_a_business_hours_level_waits_for_the_opening_and_an_after_hours_level_is_skipped_while_open() -> None:
    # Given warnings that page the team in business hours, and errors paged after hours only, then the lead
    policy = EscalationPolicy.model_validate(
        {
            "levels": {
                "warning": [{"targets": ["team"], "after": "15m", "when": "business_hours"}],
                "error": [
                    {"targets": ["night-oncall"], "after": "5m", "when": "outside_business_hours"},
                    {"targets": ["lead"], "after": "10m"},
                ],
            },
            "business_hours": {"timezone": "Europe/Berlin"},
        }
    )
    # When a warning fires on Saturday 3 am Berlin time (02:00 UTC, CET)
    # Then the team is paged on Monday at 09:00 Berlin (08:00 UTC)
    assert schedule(policy, Severity.WARNING, utc(2026, 1, 3, 2, 0)) == [(0, 0, utc(2026, 1, 5, 8, 0))]
    # When an error fires on a Tuesday at 11:00 Berlin (10:00 UTC): the after-hours level is left out, and the
    # lead is paged when that level would have been followed: 5 + 10 minutes after the firing
    assert schedule(policy, Severity.ERROR, utc(2026, 1, 6, 10, 0)) == [(0, 1, utc(2026, 1, 6, 10, 15))]
    # When it fires at 22:00 Berlin (21:00 UTC): the night on-call at 5 minutes, the lead 10 minutes later
    assert schedule(policy, Severity.ERROR, utc(2026, 1, 6, 21, 0)) == [
        (0, 0, utc(2026, 1, 6, 21, 5)),
        (0, 1, utc(2026, 1, 6, 21, 15)),
    ]


@pytest.mark.parametrize(
    ("policy", "problem"),
    [
        ({"repeat": 6}, "less than or equal to 5"),
        ({"levels": {"critical": [{"targets": ["x"], "after": "30s"}]}}, "between 60 (1m) and 86400 (24h)"),
        ({"levels": {"critical": [{"targets": [], "after": "1m"}]}}, "at least 1 item"),
        ({"levels": {"critical": [{"targets": ["Bad Id"], "after": "1m"}]}}, "should match pattern"),
        ({"levels": {"critical": [{"targets": ["x"], "after": "1m", "when": "weekends"}]}}, "always"),
        ({"levels": {"critical": [{"targets": ["x"], "after": "1m"}] * 11}}, "at most 10 levels"),
        ({"business_hours": {"timezone": "Mars/Olympus"}}, "unknown time zone"),
        ({"business_hours": {"start": "18:00", "end": "09:00"}}, "end must be after start"),
        ({"business_hours": {"days": ["mon", "mon"]}}, "each day may be given once"),
        ({"business_hours": {"days": []}}, "at least 1 item"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_problem(policy: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        EscalationPolicy.model_validate(policy)
