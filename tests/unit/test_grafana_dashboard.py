"""The Grafana dashboard shipped in dashboards/grafana queries only what the Prometheus export emits."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from tests.support import ROOT
from tests.unit.test_prometheus_export import NOW, Vigil, add_monitor, check, parse
from vigil_core.probes.verdicts import MonitorStatus

DASHBOARD = ROOT / "dashboards" / "grafana" / "vigil-prometheus.json"
DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
# PromQL words that look like metric names but are not: aggregation modifiers, set operators, offset.
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless"}
PROMQL_KEYWORDS |= {"offset", "inf", "nan"}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_RANGE = re.compile(r"\[[^\]]*\]")
_IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def emitted() -> set[str]:
    """Every family and sample name of a real export with a histogram, monitors and an alert-free tenant."""
    vigil = Vigil()
    vigil.push(*({"name": "http.latency", "type": "histogram", "value": ms, "unit": "ms"} for ms in (12, 80, 400)))
    api = add_monitor(vigil, "api")
    check(vigil, api, MonitorStatus.UP, NOW - timedelta(seconds=10), 95.0)
    db = add_monitor(vigil, "db")
    check(vigil, db, MonitorStatus.DOWN, NOW - timedelta(seconds=10), None, failures=2)
    families = parse(vigil.exporter().export("acme"))
    return set(families) | {sample.name for family in families.values() for sample in family.samples}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (function names, keywords and labels left out)."""
    expr = _RANGE.sub("", _GROUPING.sub("", _MATCHERS.sub("", _STRING.sub('""', expr))))
    names = set()
    for match in _IDENTIFIER.finditer(expr):
        if expr[match.end() :].lstrip().startswith("(") or match.group().lower() in PROMQL_KEYWORDS:
            continue  # a function call or a keyword
        names.add(match.group())
    return names


def variable(dashboard: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [entry for entry in dashboard["templating"]["list"] if entry["name"] == name]
    return found


def expand(expr: str, dashboard: dict[str, Any]) -> str:
    """The expression with the histogram variable set to its default (the example metric)."""
    histogram = variable(dashboard, "histogram")["current"]["value"]
    return expr.replace("${histogram}", histogram).replace("$histogram", histogram)


def test_the_expression_reader_finds_metric_names_only() -> None:
    expr = 'histogram_quantile(0.95, sum by (le) (rate(a_bucket{job="x",le!="1"}[5m]))) / on (job) b or vector(0)'
    assert metric_names(expr) == {"a_bucket", "b"}


def test_the_dashboard_loads_with_unique_panel_ids_and_its_datasource_variable(dashboard: dict[str, Any]) -> None:
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)) and len(ids) >= 8
    assert 36 <= dashboard["schemaVersion"] <= 41
    assert variable(dashboard, "DS_PROMETHEUS")["type"] == "datasource"
    assert variable(dashboard, "DS_PROMETHEUS")["query"] == "prometheus"
    monitor = variable(dashboard, "monitor")
    assert monitor["type"] == "query" and monitor["multi"] and monitor["includeAll"]
    for panel in dashboard["panels"]:
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"] and all(target["datasource"] == DATASOURCE for target in panel["targets"])


def test_panels_cover_monitors_alerts_and_the_chosen_histogram(dashboard: dict[str, Any]) -> None:
    exprs = " ".join(target["expr"] for panel in dashboard["panels"] for target in panel["targets"])
    for needed in (
        "vigil_monitor_up",
        "vigil_monitor_response_time_seconds",
        "vigil_monitor_consecutive_failures",
        "vigil_alerts_open",
        "histogram_quantile(0.95, sum by (le) (${histogram}_1m_bucket))",
        "${histogram}_1m_count",
    ):
        assert needed in exprs
    assert all('monitor=~"$monitor"' in expr for expr in re.findall(r"vigil_monitor_\w+\{[^}]*\}", exprs))


def test_every_expression_selects_only_metrics_the_export_emits(dashboard: dict[str, Any], emitted: set[str]) -> None:
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            names = metric_names(expand(target["expr"], dashboard))
            assert names, f"{panel['title']}: {target['expr']} selects no metric"
            assert names <= emitted, f"{panel['title']}: {sorted(names - emitted)} are not exported"


def test_the_variables_list_what_the_export_emits(dashboard: dict[str, Any], emitted: set[str]) -> None:
    # The monitor variable lists a label of a family every monitor has
    monitor_query = variable(dashboard, "monitor")["query"]["query"]
    [(family, label)] = re.findall(r"label_values\((\w+),\s*(\w+)\)", monitor_query)
    assert family in emitted and label == "monitor"
    # The histogram variable's metric regex and capture give back the example histogram's base name
    histogram = variable(dashboard, "histogram")
    [pattern] = re.findall(r"metrics\((.+)\)", histogram["query"]["query"])
    capture = re.compile(histogram["regex"].strip("/"))
    bases = {m.group(1) for name in emitted if re.fullmatch(pattern, name) and (m := capture.fullmatch(name))}
    assert bases == {histogram["current"]["value"]} == {"vigil_http_latency"}
