"""The client checks points with the API's own rules: the limits it copies must stay those of vigil_core."""

from __future__ import annotations

from vigil_client import points
from vigil_core.models import metrics
from vigil_core.services import ingest


def test_the_clients_limits_are_the_apis() -> None:
    assert points.MAX_POINTS_PER_BATCH == metrics.MAX_POINTS_PER_BATCH
    assert points.MAX_BODY_BYTES == ingest.MAX_BODY_BYTES
    assert points.MAX_LABELS == metrics.MAX_LABELS
    assert points.MAX_LABEL_KEY_LENGTH == metrics.MAX_LABEL_KEY_LENGTH
    assert points.MAX_LABEL_VALUE_LENGTH == metrics.MAX_LABEL_VALUE_LENGTH
    assert points.MAX_NAME_LENGTH == metrics.MAX_NAME_LENGTH
    assert (points.MAX_MAGNITUDE, points.MIN_MAGNITUDE) == (metrics.MAX_MAGNITUDE, metrics.MIN_MAGNITUDE)
    assert metrics.MetricPoint.model_fields["source"].metadata[0].max_length == points.MAX_SOURCE_LENGTH
    assert {unit.value for unit in metrics.Unit} == points.UNITS
    assert {t.value for t in points.MetricType} == {t.value for t in metrics.MetricType}
    assert "^" + points.METRIC_NAME_PATTERN.pattern + "$" == metrics.METRIC_NAME_PATTERN
    assert "^" + points.LABEL_KEY_PATTERN.pattern + "$" == metrics.LABEL_KEY_PATTERN
