"""Converting OpenSLO v1 documents (https://openslo.com) into vigil SLO definitions.

Each OpenSLO `SLO` becomes one vigil SLO per objective: its SLI (inline `indicator` or `indicatorRef`) becomes a
vigil `ratio` SLI (ratioMetric good/bad over total, from a vigil metric or one Prometheus selector), a `latency`,
`metric_latency` or `availability` SLI (thresholdMetric), its time window a rolling 7/28/30-day or calendar
month/quarter window, its budgeting method occurrences or timeslices, and its alert policies vigil's derived
burn-rate alerting. What vigil cannot express is reported as one line per problem, prefixed with the OpenSLO
object; the conversion goes on with the rest, and every definition it emits has passed vigil's own validation.
See docs/slo-import.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeGuard

import yaml
from pydantic import ValidationError

from vigil_cli import CliError
from vigil_cli.yaml_output import plain_yaml
from vigil_core.models.alerts import Matcher
from vigil_core.models.metrics import LABEL_KEY_PATTERN
from vigil_core.models.rollups import HISTOGRAM_BOUNDS
from vigil_core.models.sla import burn_rate_rules
from vigil_core.models.slo import ROLLING_WINDOW_DAYS, SLO_DEFINITION, check_timezone, slugify_slo

API_VERSION = "openslo/v1"
KINDS = ("SLO", "SLI", "AlertPolicy", "AlertCondition", "AlertNotificationTarget", "Service", "DataSource")
WINDOWS_SUPPORTED = "vigil windows are 7d, 28d, 30d rolling or 1M/1Q calendar"
SLICE_MINUTES = tuple(minutes for minutes in range(1, 61) if 60 % minutes == 0)
DEFAULT_ALERTING: dict[str, Any] = {"enabled": True, "page": "critical", "ticket": "warning"}
# How an AlertCondition's free-form severity reads: page (vigil's fast-burn rows) or ticket (the slow-burn row).
PAGE_SEVERITIES = ("page", "critical", "high", "urgent", "sev1", "p1")
TICKET_SEVERITIES = ("ticket", "warning", "warn", "low", "medium", "info", "notice")
PROMETHEUS_WRAPPERS = ("sum", "rate", "increase", "irate")
_RANGE_FUNCTIONS = frozenset({"rate", "increase", "irate"})

_DURATION = re.compile(r"(\d+)([mhdwMQY])")
_DURATION_UNIT = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_IDENTIFIER = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_METRIC_IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_PROMETHEUS_MATCHER = re.compile(
    r"\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*"
)
_PROMETHEUS_RANGE = re.compile(r"\[\s*\d+(?:ms|[smhdwy])\s*\]")
_PROMETHEUS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_HAS_SLUG = re.compile(r"[a-zA-Z0-9]")

# The fields OpenSLO v1 defines, per kind: a dict for a mapping, a one-item list for a list, None for a value
# whose content is free (labels, a metric source's spec).
_METADATA: dict[str, Any] = {"name": None, "displayName": None, "labels": None, "annotations": None}
_METRIC: dict[str, Any] = {"metricSource": {"metricSourceRef": None, "type": None, "spec": None}}
_SLI_SPEC: dict[str, Any] = {
    "description": None,
    "thresholdMetric": _METRIC,
    "ratioMetric": {
        "counter": None,
        "good": _METRIC,
        "bad": _METRIC,
        "total": _METRIC,
        "rawType": None,
        "raw": _METRIC,
    },
}
_INDICATOR: dict[str, Any] = {"metadata": _METADATA, "spec": _SLI_SPEC}
_CONDITION_SPEC: dict[str, Any] = {
    "description": None,
    "severity": None,
    "condition": {"kind": None, "op": None, "threshold": None, "lookbackWindow": None, "alertAfter": None},
}
_TARGET_SPEC: dict[str, Any] = {"description": None, "target": None}
_POLICY_SPEC: dict[str, Any] = {
    "description": None,
    "alertWhenNoData": None,
    "alertWhenResolved": None,
    "alertWhenBreaching": None,
    "conditions": [{"conditionRef": None, "kind": None, "metadata": _METADATA, "spec": _CONDITION_SPEC}],
    "notificationTargets": [{"targetRef": None, "kind": None, "metadata": _METADATA, "spec": _TARGET_SPEC}],
}
_OBJECTIVE: dict[str, Any] = {
    "displayName": None, "op": None, "value": None, "target": None, "targetPercent": None, "timeSliceTarget": None,
    "timeSliceWindow": None, "indicator": _INDICATOR, "indicatorRef": None, "compositeWeight": None,
}  # fmt: skip
_SLO_SPEC: dict[str, Any] = {
    "description": None,
    "service": None,
    "indicator": _INDICATOR,
    "indicatorRef": None,
    "timeWindow": [{"duration": None, "isRolling": None, "calendar": {"startTime": None, "timeZone": None}}],
    "budgetingMethod": None,
    "objectives": [_OBJECTIVE],
    "alertPolicies": [{"alertPolicyRef": None, "kind": None, "metadata": _METADATA, "spec": _POLICY_SPEC}],
}
_SPECS: dict[str, dict[str, Any]] = {
    "SLO": _SLO_SPEC,
    "SLI": _SLI_SPEC,
    "AlertPolicy": _POLICY_SPEC,
    "AlertCondition": _CONDITION_SPEC,
    "AlertNotificationTarget": _TARGET_SPEC,
    "Service": {"description": None},
    "DataSource": {"description": None, "type": None, "connectionDetails": None},
}
# Who may refer to an object of each kind: an object nobody refers to is reported as not imported.
_REFERRED_BY = {
    "SLI": "SLO",
    "AlertPolicy": "SLO",
    "AlertCondition": "AlertPolicy",
    "AlertNotificationTarget": "AlertPolicy",
    "DataSource": "metric source",
}
_COMPOSITE_FIELDS = frozenset({"indicator", "indicatorRef", "compositeWeight"})


@dataclass(frozen=True, slots=True)
class ConvertedSlo:
    source: str  # the OpenSLO object it came from, e.g. "SLO api-availability"
    definition: dict[str, Any]  # a vigil SLO definition, id first, that SLO_DEFINITION accepts


@dataclass(frozen=True, slots=True)
class SloConversion:
    slos: tuple[ConvertedSlo, ...]  # in input order
    problems: tuple[str, ...]  # one line each, in the order met; notes (converted, but mind this) read "...: note: ..."
    slo_count: int  # the SLO objects in the input
    converted_count: int  # those of them that became at least one vigil SLO


class PrometheusQueryError(ValueError):
    """Why a Prometheus query is not one selector vigil can count."""


@dataclass(frozen=True, slots=True)
class Selector:
    """A metric and its label matchers, each (label, op, value)."""

    metric: str
    matchers: tuple[tuple[str, str, str], ...]


# -- reading


def read_openslo_file(path: Path) -> list[Any]:
    """The file's documents, a document that is a list spread into its items; a CliError, with the reason, when the
    file is missing, unreadable, not YAML or holds no OpenSLO v1 object."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot be read ({exc})") from None
    try:
        loaded = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise CliError(f"{path} is not valid YAML: {_yaml_error_text(exc)}") from None
    documents: list[Any] = []
    for document in loaded:
        if isinstance(document, list):
            documents.extend(document)
        elif document is not None:
            documents.append(document)
    if not any(isinstance(document, dict) and document.get("apiVersion") == API_VERSION for document in documents):
        raise CliError(
            f"{path} is not an OpenSLO file: no document has `apiVersion: {API_VERSION}` "
            f"(with a kind: {', '.join(KINDS)})"
        )
    return documents


def _yaml_error_text(error: yaml.YAMLError) -> str:
    # PyYAML's own message spans several lines with a source excerpt; one line is enough to find the spot.
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"{error.problem} (line {mark.line + 1}, column {mark.column + 1})"
    return str(error).replace("\n", " ")


# -- converting


def convert_openslo(documents: Sequence[Any]) -> SloConversion:
    """Every SLO vigil can express, as vigil SLO definitions, and the problems met on the way."""
    converter = _Converter(documents)
    slo_count = converted_count = 0
    for number, document in enumerate(documents, start=1):
        if isinstance(document, dict) and document.get("kind") == "SLO":
            slo_count += 1
        label = converter.check_document(number, document)
        if label is not None and document["kind"] == "SLO":
            converted = converter.slo(document, label)
            converted_count += bool(converted)
    converter.report_unused()
    return SloConversion(tuple(converter.slos), tuple(converter.problems), slo_count, converted_count)


def render_slos_document(slos: Sequence[ConvertedSlo], source: str) -> str:
    """The definitions as a vigil `slos:` YAML document, with a header saying where they came from."""
    header = (
        f"# vigil SLOs converted from the OpenSLO file {source} by `vigil slo import`.\n"
        "# Review them before applying: the import reported on stderr what it left out or changed.\n"
    )
    return header + plain_yaml({"slos": [slo.definition for slo in slos]})


@dataclass(frozen=True, slots=True)
class _Source:
    type: str  # lower-cased
    written: str  # the type as written
    spec: Mapping[str, Any]
    path: str  # of the metricSource


@dataclass(frozen=True, slots=True)
class _Indicator:
    sli: dict[str, Any]
    threshold: bool  # latency SLIs take threshold_ms from each objective


@dataclass(frozen=True, slots=True)
class _Named:
    """An AlertPolicy or AlertCondition, inline or referred to."""

    name: str
    spec: Mapping[str, Any]


class _Converter:
    def __init__(self, documents: Sequence[Any]) -> None:
        self.slos: list[ConvertedSlo] = []
        self._lines: list[tuple[str, bool]] = []  # (line, is a note)
        self._objects: dict[tuple[str, str], Mapping[str, Any]] = {}
        self._used: set[tuple[str, str]] = set()
        self._used_ids: set[str] = set()
        for document in documents:
            name = _name(document)
            if name and document.get("apiVersion") == API_VERSION and document.get("kind") in KINDS:
                self._objects.setdefault((document["kind"], name), document)

    @property
    def problems(self) -> list[str]:
        return [line for line, _ in self._lines]

    def _problem(self, label: str, text: str) -> None:
        self._lines.append((f"{label}: {text}", False))

    def _note(self, label: str, text: str) -> None:
        self._lines.append((f"{label}: note: {text}", True))

    # -- documents

    def check_document(self, number: int, document: object) -> str | None:
        """The document's label ("SLO api-availability") when it is an OpenSLO v1 object to go on with."""
        if not isinstance(document, dict):
            self._problem(f"document #{number}", "not a mapping; skipped")
            return None
        kind, name = document.get("kind"), _name(document)
        label = f"{kind or 'document'} {name}" if name else f"{kind or 'document'} #{number}"
        if document.get("apiVersion") != API_VERSION:
            self._problem(label, f"apiVersion {document.get('apiVersion')}: only {API_VERSION} is supported; skipped")
            return None
        if kind not in KINDS:
            what = f"kind {kind} is not" if kind else "has no kind: the kind must be"
            self._problem(label, f"{what} an OpenSLO v1 kind ({', '.join(KINDS)}); skipped")
            return None
        if not name:
            self._problem(label, "metadata.name is missing; skipped")
            return None
        if self._objects.get((kind, name)) is not document:
            self._problem(label, f"another {kind} has this name; only the first is used")
            return None
        schema = {"apiVersion": None, "kind": None, "metadata": _METADATA, "spec": _SPECS[kind]}
        for path in _unknown_fields(document, schema, ""):
            self._problem(label, f"{path}: not an OpenSLO v1 field; ignored")
        return label

    def report_unused(self) -> None:
        for kind, name in self._objects:
            user = _REFERRED_BY.get(kind)
            if user is not None and (kind, name) not in self._used:
                self._problem(f"{kind} {name}", f"not used by any {user} in the file; not imported")

    # -- SLOs

    def slo(self, document: Mapping[str, Any], label: str) -> list[ConvertedSlo]:
        first_line = len(self._lines)
        spec = document.get("spec")
        if not isinstance(spec, dict):
            self._problem(label, "spec is missing or not a mapping; not converted")
            return []
        metadata = document["metadata"]
        indicator = self._slo_indicator(spec, label)
        window = self._window(spec.get("timeWindow"), label)
        budgeting = self._budgeting(spec.get("budgetingMethod"), label)
        objectives = self._objectives(spec.get("objectives"), indicator, budgeting, label)
        alerting = self._alerting(spec.get("alertPolicies"), window, label)
        labels = self._labels(metadata, spec, label)
        converted: list[ConvertedSlo] = []
        if indicator is not None and window is not None and budgeting is not None:
            base = {
                "name": str(metadata.get("displayName") or metadata["name"]),
                "description": spec.get("description"),
                "window": window,
                "budgeting": budgeting,
                "alerting": alerting,
                "labels": labels,
            }
            several = len(objectives) > 1
            for index, objective in objectives:
                definition = self._definition(str(metadata["name"]), base, objective, index if several else None)
                if self._validated(definition, label):
                    converted.append(ConvertedSlo(label, definition))
        if not converted:
            self._lines[first_line:] = [line for line in self._lines[first_line:] if not line[1]]
            self._problem(label, "not converted")
            return []
        total = len(spec["objectives"])
        if total > 1:
            ids = ", ".join(slo.definition["id"] for slo in converted)
            self._note(
                label, f"spec.objectives has {total} objectives; a vigil SLO has one, so each became an SLO: {ids}"
            )
        self.slos.extend(converted)
        return converted

    def _definition(
        self, name: str, base: Mapping[str, Any], objective: Mapping[str, Any], index: int | None
    ) -> dict[str, Any]:
        display_name = str(base["name"])
        if index is None:
            slo_id = self._unique_id(slugify_slo(name))
        else:
            objective_name = objective["display_name"]
            suffix = objective_name if objective_name and _HAS_SLUG.search(objective_name) else str(index + 1)
            slo_id = self._unique_id(slugify_slo(f"{name} {suffix}"))
            display_name = f"{display_name}: {objective_name or f'objective {index + 1}'}"
        definition: dict[str, Any] = {"id": slo_id, "name": display_name}
        if base["description"]:
            definition["description"] = str(base["description"])
        definition["sli"] = objective["sli"]
        definition["objective_pct"] = objective["objective_pct"]
        window = base["window"]
        definition["window"] = window["window"]
        if "timezone" in window:
            definition["timezone"] = window["timezone"]
        definition["budgeting"] = base["budgeting"]
        if "timeslices" in objective:
            definition["timeslices"] = objective["timeslices"]
        definition["alerting"] = dict(base["alerting"])
        if base["labels"]:
            definition["labels"] = dict(base["labels"])
        return definition

    def _unique_id(self, base: str) -> str:
        candidate, number = base, 2
        while candidate in self._used_ids:
            suffix = f"-{number}"
            candidate = base[: 63 - len(suffix)].rstrip("-") + suffix
            number += 1
        self._used_ids.add(candidate)
        return candidate

    def _validated(self, definition: dict[str, Any], label: str) -> bool:
        try:
            SLO_DEFINITION.validate_python(definition)
        except ValidationError as exc:
            reasons = "; ".join(_error_text(error) for error in exc.errors())
            self._problem(label, f"not valid as a vigil SLO ({reasons}); {definition['id']} left out")
            self._used_ids.discard(definition["id"])
            return False
        return True

    # -- the SLI

    def _slo_indicator(self, spec: Mapping[str, Any], label: str) -> _Indicator | None:
        objectives = spec.get("objectives")
        inline, ref = spec.get("indicator"), spec.get("indicatorRef")
        if isinstance(objectives, list) and any(
            isinstance(objective, dict) and _COMPOSITE_FIELDS & objective.keys() for objective in objectives
        ):
            self._problem(
                label,
                "spec.objectives: cannot map a composite SLO (objectives with their own indicator): "
                "a vigil SLO measures one SLI",
            )
        elif inline is not None and ref is not None:
            self._problem(label, "spec.indicator and spec.indicatorRef are both given; OpenSLO allows one")
        elif inline is not None:
            if isinstance(inline, dict) and isinstance(inline.get("spec"), dict):
                return self._indicator(inline["spec"], "spec.indicator.spec", label)
            self._problem(label, "spec.indicator needs a spec with ratioMetric or thresholdMetric")
        elif ref is None:
            self._problem(label, "spec has neither indicator nor indicatorRef: there is no SLI to measure")
        else:
            return self._referred_indicator(str(ref), label)
        return None

    def _referred_indicator(self, ref: str, label: str) -> _Indicator | None:
        sli = self._objects.get(("SLI", ref))
        if sli is None:
            self._problem(label, f"spec.indicatorRef {ref}: no SLI named {ref} in the file")
            return None
        self._used.add(("SLI", ref))
        if not isinstance(sli.get("spec"), dict):
            self._problem(label, f"SLI {ref} has no spec")
            return None
        return self._indicator(sli["spec"], f"SLI {ref} spec", label)

    def _indicator(self, spec: Mapping[str, Any], path: str, label: str) -> _Indicator | None:
        ratio, threshold = spec.get("ratioMetric"), spec.get("thresholdMetric")
        if (ratio is None) == (threshold is None):
            self._problem(label, f"{path} needs exactly one of ratioMetric and thresholdMetric")
            return None
        if ratio is not None:
            return self._ratio(ratio, f"{path}.ratioMetric", label)
        return self._threshold(threshold, f"{path}.thresholdMetric", label)

    def _ratio(self, ratio: object, path: str, label: str) -> _Indicator | None:
        if not isinstance(ratio, dict):
            self._problem(label, f"{path} is not a mapping")
            return None
        if "raw" in ratio or "rawType" in ratio:
            self._problem(
                label, f"{path}.raw: cannot map: a precomputed ratio; vigil counts the good (or bad) and total events"
            )
            return None
        good, bad, total = ratio.get("good"), ratio.get("bad"), ratio.get("total")
        if total is None or (good is None) == (bad is None):
            self._problem(label, f"{path} needs total and one of good or bad")
            return None
        role = "good" if good is not None else "bad"
        total_source = self._source(total, f"{path}.total", label)
        part_source = self._source(good if good is not None else bad, f"{path}.{role}", label)
        total_selector = self._metric_selector(total_source, label) if total_source else None
        part_selector = self._metric_selector(part_source, label) if part_source else None
        if total_source is None or part_source is None or total_selector is None or part_selector is None:
            return None
        part = self._part_matchers(total_selector, part_selector, role, f"{path}.{role}", label)
        if part is None:
            return None
        if ratio.get("counter") is False:
            self._note(
                label,
                f"{path}.counter is false, but vigil's ratio SLIs add up counter increments; "
                "push the metric as a counter",
            )
        if "prometheus" in (total_source.type, part_source.type):
            self._prometheus_note(path, total_selector.metric, label)
        sli: dict[str, Any] = {"kind": "ratio", "metric": total_selector.metric}
        if total_selector.matchers:
            sli["matchers"] = _matcher_dicts(total_selector.matchers)
        sli[role] = _matcher_dicts(part)
        return _Indicator(sli, threshold=False)

    def _part_matchers(
        self, total: Selector, part: Selector, role: str, path: str, label: str
    ) -> tuple[tuple[str, str, str], ...] | None:
        """The matchers that pick the good (or bad) events among the total's: the part's that the total lacks."""
        if part.metric != total.metric:
            self._problem(
                label,
                f"{path}: cannot map: the {role} events are counted from {part.metric} but the total from "
                f"{total.metric}; vigil counts {role} events among the total's points, so both must be one metric",
            )
            return None
        equal = {matcher_label: value for matcher_label, op, value in total.matchers if op == "="}
        extra: list[tuple[str, str, str]] = []
        for matcher in part.matchers:
            if matcher in total.matchers:
                continue
            matcher_label, op, value = matcher
            if matcher_label in equal:
                # The total already fixes this label: the part's matcher either agrees with it or contradicts it.
                agrees = Matcher.model_validate({"label": matcher_label, "op": op, "value": value})
                if not agrees.matches({matcher_label: equal[matcher_label]}):
                    self._problem(
                        label,
                        f"{path}: cannot map: {_matcher_text(matcher)} contradicts the total's "
                        f'{matcher_label}="{equal[matcher_label]}"; vigil counts {role} events among the total\'s',
                    )
                    return None
                continue
            extra.append(matcher)
        if not extra:
            self._problem(
                label,
                f"{path}: cannot map: the {role} selector adds no matcher to the total's, "
                f"so nothing tells the {role} events apart",
            )
            return None
        return tuple(extra)

    def _threshold(self, threshold: object, path: str, label: str) -> _Indicator | None:
        source = self._source(threshold, path, label)
        if source is None:
            return None
        if source.type == "vigil-probe":
            return self._probe(source, label)
        selector = self._metric_selector(source, label)
        if selector is None:
            return None
        if source.type == "prometheus" and selector.metric.endswith("_bucket"):
            # A Prometheus histogram's buckets: vigil's histogram is the metric itself, bucketed on write.
            histogram = selector.metric.removesuffix("_bucket")
            self._note(label, f"{source.path}: the buckets {selector.metric} are read as vigil's histogram {histogram}")
            selector = Selector(histogram, tuple(matcher for matcher in selector.matchers if matcher[0] != "le"))
        if source.type == "prometheus":
            self._prometheus_note(path, selector.metric, label)
        if "seconds" in selector.metric:
            self._note(
                label,
                f"{source.path}: {selector.metric} sounds like seconds, but vigil's latency thresholds and "
                "histograms are in milliseconds; check the objective's value",
            )
        sli: dict[str, Any] = {"kind": "metric_latency", "metric": selector.metric}
        if selector.matchers:
            sli["matchers"] = _matcher_dicts(selector.matchers)
        return _Indicator(sli, threshold=True)

    def _probe(self, source: _Source, label: str) -> _Indicator | None:
        for key in source.spec:
            if key not in ("monitor", "sli"):
                self._problem(
                    label,
                    f"{source.path}.spec.{key}: not a field of a vigil-probe metric source (monitor, sli); ignored",
                )
        monitor = source.spec.get("monitor")
        if not isinstance(monitor, str) or not monitor:
            self._problem(label, f"{source.path}.spec.monitor is missing: the id of the vigil monitor to measure")
            return None
        which = source.spec.get("sli", "latency")
        if which == "availability":
            return _Indicator({"kind": "availability", "monitor": monitor}, threshold=False)
        if which == "latency":
            return _Indicator({"kind": "latency", "monitor": monitor}, threshold=True)
        self._problem(label, f"{source.path}.spec.sli {which}: a vigil-probe SLI is availability or latency")
        return None

    def _source(self, holder: object, path: str, label: str) -> _Source | None:
        source = holder.get("metricSource") if isinstance(holder, dict) else None
        path = f"{path}.metricSource"
        if not isinstance(source, dict):
            self._problem(label, f"{path} is missing")
            return None
        written, ref = source.get("type"), source.get("metricSourceRef")
        if ref is not None:
            data_source = self._objects.get(("DataSource", str(ref)))
            if data_source is not None:
                self._used.add(("DataSource", str(ref)))
                data_spec = data_source.get("spec")
                written = written or (data_spec.get("type") if isinstance(data_spec, dict) else None)
            elif not written:
                self._problem(
                    label, f"{path}.metricSourceRef {ref}: no DataSource named {ref} in the file, and no type"
                )
                return None
        if not isinstance(written, str) or not written:
            self._problem(label, f"{path} has no type (vigil, vigil-probe or Prometheus)")
            return None
        spec = source.get("spec")
        return _Source(written.lower(), written, spec if isinstance(spec, dict) else {}, path)

    def _metric_selector(self, source: _Source, label: str) -> Selector | None:
        if source.type == "vigil":
            return self._vigil_selector(source, label)
        if source.type == "prometheus":
            return self._prometheus_selector(source, label)
        if source.type == "vigil-probe":
            self._problem(label, f"{source.path}.type vigil-probe: a monitor is measured with a thresholdMetric")
            return None
        self._problem(
            label,
            f"{source.path}.type {source.written}: cannot map: vigil counts the metrics apps push to it "
            "(type vigil), its monitors' checks (type vigil-probe) or one Prometheus selector (type Prometheus)",
        )
        return None

    def _vigil_selector(self, source: _Source, label: str) -> Selector | None:
        spec, path = source.spec, f"{source.path}.spec"
        for key in spec:
            if key not in ("metric", "matchers", "labels"):
                self._problem(
                    label, f"{path}.{key}: not a field of a vigil metric source (metric, matchers, labels); ignored"
                )
        metric = spec.get("metric")
        if not isinstance(metric, str) or not metric:
            self._problem(label, f"{path}.metric is missing: the name of the metric as apps push it")
            return None
        raw_matchers, raw_labels = spec.get("matchers") or [], spec.get("labels") or {}
        if not isinstance(raw_matchers, list) or not isinstance(raw_labels, dict):
            self._problem(label, f"{path}: matchers must be a list of {{label, op, value}} and labels a mapping")
            return None
        items = [(f"{path}.matchers[{index}]", item) for index, item in enumerate(raw_matchers)]
        items += [(f"{path}.labels.{key}", {"label": key, "value": value}) for key, value in raw_labels.items()]
        matchers: list[tuple[str, str, str]] = []
        for item_path, item in items:
            try:
                matcher = Matcher.model_validate(item)
            except ValidationError as exc:
                reasons = "; ".join(_error_text(error) for error in exc.errors())
                self._problem(label, f"{item_path}: not a vigil label matcher ({reasons})")
                return None
            matchers.append((matcher.label, matcher.op.value, matcher.value))
        return Selector(metric, tuple(matchers))

    def _prometheus_selector(self, source: _Source, label: str) -> Selector | None:
        query = source.spec.get("query", source.spec.get("promql"))
        path = f"{source.path}.spec.query"
        if not isinstance(query, str) or not query.strip():
            self._problem(label, f'{path} is missing: a Prometheus selector such as requests_total{{job="api"}}')
            return None
        try:
            return parse_prometheus_selector(query)
        except PrometheusQueryError as exc:
            self._problem(label, f"{path} {query!r}: cannot map: {exc}")
            return None

    def _prometheus_note(self, path: str, metric: str, label: str) -> None:
        self._note(label, f"{path}: vigil does not query Prometheus; it counts the points apps push to it as {metric}")

    # -- window and budgeting

    def _window(self, raw: object, label: str) -> dict[str, Any] | None:
        if raw is None:
            self._note(label, "spec.timeWindow is missing; vigil's default, a 30-day rolling window, is used")
            return {"window": {"kind": "rolling", "days": 30}}
        if not isinstance(raw, list) or not raw or not isinstance(raw[0], dict):
            self._problem(label, f"spec.timeWindow must list one window; {WINDOWS_SUPPORTED}")
            return None
        if len(raw) > 1:
            self._problem(label, f"spec.timeWindow lists {len(raw)} windows; OpenSLO allows one: the first is used")
        window, path = raw[0], "spec.timeWindow[0]"
        duration = str(window.get("duration") or "")
        calendar = window.get("calendar")
        rolling = window.get("isRolling")
        if rolling is True or (rolling is None and calendar is None):
            days = _rolling_days(duration)
            if days not in ROLLING_WINDOW_DAYS:
                self._problem(label, f"{path}.duration {duration or '(missing)'}: {WINDOWS_SUPPORTED}")
                return None
            if calendar is not None:
                self._problem(label, f"{path}.calendar is ignored: the window is rolling (isRolling: true)")
            return {"window": {"kind": "rolling", "days": days}}
        kind = {"1M": "month", "1Q": "quarter"}.get(duration)
        if kind is None:
            self._problem(label, f"{path}.duration {duration or '(missing)'}: {WINDOWS_SUPPORTED}")
            return None
        result: dict[str, Any] = {"window": {"kind": kind}}
        calendar = calendar if isinstance(calendar, dict) else {}
        zone = calendar.get("timeZone")
        if zone is None:
            self._note(
                label, f"{path}.calendar.timeZone is missing; the calendar {kind} follows the tenant's time zone"
            )
        else:
            try:
                result["timezone"] = check_timezone(str(zone))
            except ValueError as exc:
                self._problem(label, f"{path}.calendar.timeZone: {exc}; the tenant's time zone is used")
        self._start_time(calendar.get("startTime"), kind, f"{path}.calendar.startTime", label)
        return result

    def _start_time(self, raw: object, kind: str, path: str, label: str) -> None:
        if raw is None:
            return
        try:
            start = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
        except ValueError:
            self._problem(label, f"{path} {raw}: not a date and time; not used")
            return
        first_months = range(1, 13) if kind == "month" else (1, 4, 7, 10)
        if start.day != 1 or start.month not in first_months or (start.hour, start.minute, start.second) != (0, 0, 0):
            self._note(
                label,
                f"{path} {raw}: vigil's calendar {kind}s start at midnight on their first day; "
                "the start time is not used",
            )

    def _budgeting(self, raw: object, label: str) -> str | None:
        method = str(raw).lower() if raw is not None else None
        if method is None:
            self._note(label, "spec.budgetingMethod is missing; occurrences is used")
            return "occurrences"
        if method in ("occurrences", "timeslices"):
            return method
        if method == "ratiotimeslices":
            self._problem(
                label,
                f"spec.budgetingMethod {raw}: cannot map: vigil budgets by occurrences (good events / all "
                "events) or timeslices (good slices / all slices), not by the average of the slices' ratios",
            )
            return None
        self._problem(label, f"spec.budgetingMethod {raw}: not an OpenSLO budgeting method (Occurrences, Timeslices)")
        return None

    # -- objectives

    def _objectives(
        self, raw: object, indicator: _Indicator | None, budgeting: str | None, label: str
    ) -> list[tuple[int, dict[str, Any]]]:
        if not isinstance(raw, list) or not raw:
            self._problem(label, "spec.objectives is missing: an SLO needs an objective (target or targetPercent)")
            return []
        converted: list[tuple[int, dict[str, Any]]] = []
        for index, objective in enumerate(raw):
            path = f"spec.objectives[{index}]"
            if not isinstance(objective, dict):
                self._problem(label, f"{path} is not a mapping")
                continue
            fragment = self._objective(objective, path, indicator, budgeting, label)
            if fragment is not None:
                converted.append((index, fragment))
        return converted

    def _objective(
        self,
        objective: Mapping[str, Any],
        path: str,
        indicator: _Indicator | None,
        budgeting: str | None,
        label: str,
    ) -> dict[str, Any] | None:
        pct = self._target(objective, path, label)
        timeslices = self._timeslices(objective, path, label) if budgeting == "timeslices" else None
        sli: dict[str, Any] | None = None
        if indicator is not None and indicator.threshold:
            threshold = self._threshold_ms(objective, path, label)
            sli = {**indicator.sli, "threshold_ms": threshold} if threshold is not None else None
        elif indicator is not None:
            sli = indicator.sli
            if indicator.sli["kind"] == "availability" and objective.get("value") is not None:
                self._note(
                    label, f"{path}.value is not used: an availability SLI counts the monitor's UP and DEGRADED checks"
                )
        if pct is None or sli is None or (budgeting == "timeslices" and timeslices is None):
            return None
        display_name = objective.get("displayName")
        fragment: dict[str, Any] = {
            "display_name": str(display_name) if display_name else None,
            "sli": sli,
            "objective_pct": pct,
        }
        if timeslices is not None:
            fragment["timeslices"] = timeslices
        return fragment

    def _target(self, objective: Mapping[str, Any], path: str, label: str) -> float | None:
        target, percent = objective.get("target"), objective.get("targetPercent")
        if target is not None and percent is not None:
            self._problem(label, f"{path}: both target and targetPercent are given; OpenSLO allows one")
            return None
        if target is not None:
            if not _is_number(target) or not 0 <= target < 1:
                self._problem(label, f"{path}.target {target}: must be a number from 0 up to (not including) 1")
                return None
            return round(float(target) * 100, 6)
        if percent is not None:
            if not _is_number(percent) or not 0 <= percent < 100:
                self._problem(
                    label, f"{path}.targetPercent {percent}: must be a number from 0 up to (not including) 100"
                )
                return None
            return float(percent)
        self._problem(label, f"{path} has neither target nor targetPercent")
        return None

    def _timeslices(self, objective: Mapping[str, Any], path: str, label: str) -> dict[str, Any] | None:
        target, window = objective.get("timeSliceTarget"), objective.get("timeSliceWindow")
        target_pct = round(float(target) * 100, 6) if _is_number(target) and 0 < target <= 1 else None
        if target_pct is None:
            self._problem(label, f"{path}.timeSliceTarget {target}: Timeslices needs a number above 0, up to 1")
        minutes = _slice_minutes(window)
        if minutes not in SLICE_MINUTES:
            allowed = ", ".join(map(str, SLICE_MINUTES))
            self._problem(
                label,
                f"{path}.timeSliceWindow {window}: vigil time slices last {allowed} minutes (they divide an hour)",
            )
            return None
        return None if target_pct is None else {"target_pct": target_pct, "minutes": minutes}

    def _threshold_ms(self, objective: Mapping[str, Any], path: str, label: str) -> float | None:
        op, value = objective.get("op"), objective.get("value")
        if op not in ("lte", "lt"):
            self._problem(
                label,
                f"{path}.op {op}: cannot map: vigil latency SLIs count the events at or under a threshold "
                "(op lte or lt, value in ms)",
            )
            return None
        if not _is_number(value):
            self._problem(label, f"{path}.value {value}: a latency SLI needs the threshold in ms")
            return None
        if value not in HISTOGRAM_BOUNDS:
            self._problem(label, f"{path}.value: threshold {value:g} is not a bucket bound; {_nearest_bounds(value)}")
            return None
        if op == "lt":
            self._note(label, f"{path}.op lt is read as lte: vigil counts the events at or under {value:g} ms")
        return value

    # -- alerting

    def _alerting(self, raw: object, window: Mapping[str, Any] | None, label: str) -> dict[str, Any]:
        if not raw:
            self._note(
                label,
                "no alertPolicies: vigil's burn-rate alerts stay on, as for every vigil SLO "
                "(set alerting.enabled: false to turn them off)",
            )
            return dict(DEFAULT_ALERTING)
        if not isinstance(raw, list):
            self._problem(label, "spec.alertPolicies is not a list; vigil's default burn-rate alerting is used")
            return dict(DEFAULT_ALERTING)
        policies = [
            policy
            for index, entry in enumerate(raw)
            if (policy := self._policy(entry, f"spec.alertPolicies[{index}]", label)) is not None
        ]
        if not policies:
            return dict(DEFAULT_ALERTING)
        breaching: list[_Named] = []
        for policy in policies:
            if self._policy_notes(policy, label):
                breaching.append(policy)
        if not breaching:
            self._note(label, "no alert policy alerts when breaching, so vigil's burn-rate alerts are turned off")
            return {**DEFAULT_ALERTING, "enabled": False}
        actions: list[str] = []
        for condition in (condition for policy in breaching for condition in self._conditions(policy, label)):
            action = self._action(condition, label)
            actions.append(action)
            if not _reproduced(condition, action, window):
                self._note(
                    label,
                    f"AlertCondition {condition.name} ({_condition_text(condition)}): vigil uses its "
                    f"multi-window rows derived from the window instead: {_rows_text(window)}",
                )
        if actions and "page" not in actions:
            self._note(label, "every alert condition is a ticket, so vigil's page rows raise warning, not critical")
            return {**DEFAULT_ALERTING, "page": "warning"}
        return dict(DEFAULT_ALERTING)

    def _policy(self, entry: object, path: str, label: str) -> _Named | None:
        ref = entry if isinstance(entry, str) else entry.get("alertPolicyRef") if isinstance(entry, dict) else None
        if ref is not None:
            policy = self._objects.get(("AlertPolicy", str(ref)))
            if policy is None or not isinstance(policy.get("spec"), dict):
                self._problem(label, f"{path}.alertPolicyRef {ref}: no AlertPolicy named {ref} in the file; ignored")
                return None
            self._used.add(("AlertPolicy", str(ref)))
            return _Named(str(ref), policy["spec"])
        if not isinstance(entry, dict) or not isinstance(entry.get("spec"), dict):
            self._problem(label, f"{path}: neither an alertPolicyRef nor an inline AlertPolicy; ignored")
            return None
        if entry.get("kind", "AlertPolicy") != "AlertPolicy":
            self._problem(
                label, f"{path}.kind {entry.get('kind')}: an inline alert policy is kind AlertPolicy; ignored"
            )
            return None
        return _Named(_name(entry) or path, entry["spec"])

    def _policy_notes(self, policy: _Named, label: str) -> bool:
        """Reports what of the policy vigil leaves out; whether it alerts when breaching."""
        what = f"AlertPolicy {policy.name}"
        if policy.spec.get("alertWhenNoData") is True:
            self._note(label, f"{what}: alertWhenNoData is not imported: vigil's burn-rate alerts need events to fire")
        if policy.spec.get("alertWhenResolved") is False:
            self._note(
                label,
                f"{what}: alertWhenResolved false is not imported: each vigil notification channel's "
                "send_resolved decides whether resolutions are sent",
            )
        targets = policy.spec.get("notificationTargets")
        if isinstance(targets, list) and targets:
            names = []
            for target in targets:
                ref = target.get("targetRef") if isinstance(target, dict) else None
                if ref is not None:
                    self._used.add(("AlertNotificationTarget", str(ref)))
                names.append(str(ref) if ref is not None else _name(target) or "inline")
            self._note(
                label,
                f"{what}: notificationTargets ({', '.join(names)}) are not imported: vigil notifies "
                "through its own notification channels and escalation policies",
            )
        if policy.spec.get("alertWhenBreaching") is False:
            self._note(label, f"{what}: alertWhenBreaching is false, so its conditions are not used")
            return False
        return True

    def _conditions(self, policy: _Named, label: str) -> list[_Named]:
        raw = policy.spec.get("conditions")
        conditions: list[_Named] = []
        for index, entry in enumerate(raw if isinstance(raw, list) else []):
            path = f"AlertPolicy {policy.name} conditions[{index}]"
            ref = entry.get("conditionRef") if isinstance(entry, dict) else None
            if ref is not None:
                found = self._objects.get(("AlertCondition", str(ref)))
                if found is None or not isinstance(found.get("spec"), dict):
                    self._problem(
                        label, f"{path}.conditionRef {ref}: no AlertCondition named {ref} in the file; ignored"
                    )
                    continue
                self._used.add(("AlertCondition", str(ref)))
                condition = _Named(str(ref), found["spec"])
            elif isinstance(entry, dict) and isinstance(entry.get("spec"), dict):
                condition = _Named(_name(entry) or path, entry["spec"])
            else:
                self._problem(label, f"{path}: neither a conditionRef nor an inline AlertCondition; ignored")
                continue
            body = condition.spec.get("condition")
            kind = body.get("kind", "burnrate") if isinstance(body, dict) else None
            if kind != "burnrate":
                self._problem(
                    label,
                    f"AlertCondition {condition.name}: condition kind {kind}: cannot map: vigil alerts on an "
                    "SLO's burn rate; ignored",
                )
                continue
            conditions.append(condition)
        return conditions

    def _action(self, condition: _Named, label: str) -> str:
        severity = str(condition.spec.get("severity") or "").strip().lower()
        if severity in PAGE_SEVERITIES:
            return "page"
        if severity in TICKET_SEVERITIES:
            return "ticket"
        self._problem(
            label,
            f"AlertCondition {condition.name}: severity {condition.spec.get('severity')!r} reads as neither page "
            f"({', '.join(PAGE_SEVERITIES)}) nor ticket ({', '.join(TICKET_SEVERITIES)}); counted as page",
        )
        return "page"

    # -- labels

    def _labels(self, metadata: Mapping[str, Any], spec: Mapping[str, Any], label: str) -> dict[str, str]:
        labels: dict[str, str] = {}
        raw = metadata.get("labels")
        for key, value in raw.items() if isinstance(raw, dict) else ():
            if not re.fullmatch(LABEL_KEY_PATTERN, str(key)):
                self._problem(
                    label, f"metadata.labels.{key}: not a vigil label key ([a-zA-Z_][a-zA-Z0-9_]*); not imported"
                )
            elif isinstance(value, list) and len(value) != 1:
                self._problem(
                    label, f"metadata.labels.{key}: a vigil label holds one value, not {len(value)}; not imported"
                )
            else:
                labels[str(key)] = str(value[0] if isinstance(value, list) else value)
        if raw is not None and not isinstance(raw, dict):
            self._problem(label, "metadata.labels is not a mapping; not imported")
        if metadata.get("annotations"):
            self._note(label, "metadata.annotations are not imported")
        service = spec.get("service")
        if isinstance(service, str) and service:
            labels["service"] = service
        return labels


# -- Prometheus


def parse_prometheus_selector(query: str) -> Selector:
    """The metric and matchers of one selector, optionally inside sum(), rate(), increase() or irate():
    `sum(rate(http_requests_total{service="api",code=~"5.."}[5m]))` or `http_requests_total{job="api"}`."""
    text = query.strip()
    functions: list[str] = []
    while match := re.match(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(\(|\s+(?:by|without)\b)", text):
        name = match.group(1)
        if not match.group(2).startswith("("):
            raise PrometheusQueryError(f"{name} by/without (...) groups the series; vigil counts them all together")
        if name not in PROMETHEUS_WRAPPERS:
            raise PrometheusQueryError(
                f"{name}() is not one of the functions vigil can read through ({', '.join(PROMETHEUS_WRAPPERS)})"
            )
        close = _closing_parenthesis(text, match.end() - 1)
        rest = text[close + 1 :].strip()
        if rest:
            raise PrometheusQueryError(
                f"{rest!r} follows {name}(...): binary operators, grouping and several selectors cannot be mapped"
            )
        functions.append(name)
        text = text[match.end() : close].strip()
    selector, has_range = _selector(text)
    innermost = functions[-1] if functions else None
    if has_range and innermost not in _RANGE_FUNCTIONS:
        raise PrometheusQueryError("a range [..] belongs inside rate(), increase() or irate()")
    if not has_range and innermost in _RANGE_FUNCTIONS:
        raise PrometheusQueryError(f"{innermost}() needs a range such as [5m]")
    return selector


def _closing_parenthesis(text: str, opening: int) -> int:
    depth, quote, index = 0, "", opening
    while index < len(text):
        character = text[index]
        if quote:
            if character == "\\" and quote != "`":
                index += 1
            elif character == quote:
                quote = ""
        elif character in "\"'`":
            quote = character
        elif character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise PrometheusQueryError("its parentheses do not balance")


def _selector(text: str) -> tuple[Selector, bool]:
    """One selector, `name{label="value", ...}` with an optional range `[5m]`, and whether it has the range."""
    name_match = _METRIC_IDENTIFIER.match(text)
    name = name_match.group() if name_match else ""
    position = _skip_spaces(text, name_match.end() if name_match else 0)
    matchers: list[tuple[str, str, str]] = []
    if text.startswith("{", position):
        position = _skip_spaces(text, position + 1)
        while not text.startswith("}", position):
            found = _PROMETHEUS_MATCHER.match(text, position)
            if found is None or not text.startswith((",", "}"), found.end()):
                raise PrometheusQueryError(f"cannot read the label matchers at {text[position:]!r}")
            matchers.append((found.group(1), found.group(2), _unquote(found.group(3))))
            position = _skip_spaces(text, found.end() + text.startswith(",", found.end()))
        position += 1
    rest = text[position:].strip()
    range_match = _PROMETHEUS_RANGE.match(rest)
    if range_match is not None:
        rest = rest[range_match.end() :].strip()
    if rest:
        raise PrometheusQueryError(
            f"{rest!r} follows the selector: binary operators, offsets and several selectors cannot be mapped"
        )
    names = [value for label, op, value in matchers if label == "__name__" and op == "="]
    if not name and len(names) == 1:
        name = names[0]
        matchers = [matcher for matcher in matchers if matcher[0] != "__name__"]
    if not name:
        raise PrometheusQueryError("it names no metric")
    if any(label == "__name__" for label, _, _ in matchers):
        raise PrometheusQueryError("__name__ matchers other than one equality cannot be mapped")
    return Selector(name, tuple(matchers)), range_match is not None


def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _unquote(quoted: str) -> str:
    body = quoted[1:-1]
    if quoted[0] == "`":
        return body
    return re.sub(r"\\(.)", lambda match: _PROMETHEUS_ESCAPES.get(match.group(1), match.group(1)), body)


# -- helpers


def _name(document: object) -> str | None:
    metadata = document.get("metadata") if isinstance(document, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return str(name) if isinstance(name, str | int) and str(name) else None


def _unknown_fields(value: object, schema: object, path: str) -> Iterator[str]:
    if isinstance(schema, dict) and isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in schema:
                yield where
            else:
                yield from _unknown_fields(item, schema[key], where)
    elif isinstance(schema, list) and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unknown_fields(item, schema[0], f"{path}[{index}]")


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _rolling_days(duration: str) -> int | None:
    match = _DURATION.fullmatch(duration)
    if match is None or match.group(2) not in "dw":
        return None
    return int(match.group(1)) * (7 if match.group(2) == "w" else 1)


def _shorthand(raw: object) -> timedelta | None:
    """A duration shorthand in minutes, hours, days or weeks ("5m", "1h", "3d"); None for others (1M, 1Q, 1Y)."""
    match = _DURATION.fullmatch(str(raw).strip()) if raw is not None else None
    if match is None or match.group(2) not in _DURATION_UNIT:
        return None
    return int(match.group(1)) * _DURATION_UNIT[match.group(2)]


def _slice_minutes(raw: object) -> int | None:
    # A bare number is minutes, as OpenSLO reads it.
    if _is_number(raw):
        return int(raw) if float(raw).is_integer() else None
    duration = _shorthand(raw)
    if duration is None or duration % timedelta(minutes=1):
        return None
    return duration // timedelta(minutes=1)


def _nearest_bounds(value: float) -> str:
    below = [bound for bound in HISTOGRAM_BOUNDS if bound < value]
    above = [bound for bound in HISTOGRAM_BOUNDS if bound > value]
    if below and above:
        return f"nearest bounds are {max(below):g} and {min(above):g}"
    return f"nearest bound is {(max(below) if below else min(above)):g}"


def _reproduced(condition: _Named, action: str, window: Mapping[str, Any] | None) -> bool:
    """Whether one of vigil's rows for a rolling window is this condition: same lookback, factor and action."""
    body = condition.spec.get("condition")
    if not isinstance(body, dict) or window is None or window["window"]["kind"] != "rolling":
        return False
    lookback, threshold = _shorthand(body.get("lookbackWindow")), body.get("threshold")
    if lookback is None or not _is_number(threshold):
        return False
    return any(
        rule.action == action and rule.long_window == lookback and math.isclose(threshold, rule.factor, rel_tol=1e-3)
        for rule in burn_rate_rules(timedelta(days=window["window"]["days"]))
    )


def _condition_text(condition: _Named) -> str:
    body = condition.spec.get("condition")
    body = body if isinstance(body, dict) else {}
    text = f"burn rate {body.get('threshold')} over {body.get('lookbackWindow')}"
    after = body.get("alertAfter")
    return f"{text}, after {after}" if after else text


def _rows_text(window: Mapping[str, Any] | None) -> str:
    if window is None:
        return "pages over 1h and 6h, a ticket over 3d"
    if window["window"]["kind"] != "rolling":
        kind = window["window"]["kind"]
        return f"pages over 1h and 6h, a ticket over 3d, at burn rates that follow the calendar {kind}'s length"
    fast, slow, ticket = burn_rate_rules(timedelta(days=window["window"]["days"]))
    return (
        f"pages at burn rate {fast.factor:g} over 1h and {slow.factor:g} over 6h, a ticket at {ticket.factor:g} over 3d"
    )


def _matcher_dicts(matchers: Sequence[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"label": label, "op": op, "value": value} for label, op, value in matchers]


def _matcher_text(matcher: tuple[str, str, str]) -> str:
    label, op, value = matcher
    return f'{label}{op}"{value}"'


def _error_text(error: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"]) or "value"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{location}: {message}"
