"""/v1/alerts, /v1/silences, /v1/alert-rules, /v1/alerting-policy, /v1/notification-policy and
/v1/escalation-policy: the caller's tenant's alerting."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigil_core.adapters.alert_wiring import build_alert_desk
from vigil_core.adapters.dynamodb_deliveries import DynamoDbDeliveryLog
from vigil_core.adapters.dynamodb_escalations import DynamoDbEscalationStore
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.adapters.escalation_wiring import load_code_escalation_policies
from vigil_core.api import DependencySlot, json_response, register_error_handlers, request_from, utc_now
from vigil_core.models.alerts import AlertRule
from vigil_core.services.alert_api import AlertApi
from vigil_core.services.alert_rules import AlertRuleService
from vigil_core.services.auth import Authenticator, Caller
from vigil_core.services.escalation import escalation_of
from vigil_core.services.monitors import json_body
from vigil_core.settings import AlertApiSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()
register_error_handlers(app, logger, metrics)


@dataclass(frozen=True)
class AlertsApi:
    authenticator: Authenticator
    alerts: AlertApi
    rules: AlertRuleService
    deliveries: DynamoDbDeliveryLog
    escalations: DynamoDbEscalationStore


def build_dependencies() -> AlertsApi:
    settings = load_settings(AlertApiSettings)
    desk = build_alert_desk(settings)
    return AlertsApi(
        authenticator=Authenticator(DynamoDBTenantDirectory(settings.config_table_name)),
        alerts=AlertApi(desk),
        rules=AlertRuleService(
            desk.rules,
            utc_now,
            # escalation-policies.json, when the stack ships it, is beside this file.
            code_escalation_policies=load_code_escalation_policies(
                settings.escalation_policies_file, Path(__file__).parent
            ),
        ),
        deliveries=DynamoDbDeliveryLog(settings.alerts_table_name),
        escalations=DynamoDbEscalationStore(settings.alerts_table_name),
    )


dependencies = DependencySlot(build_dependencies)


def _caller() -> Caller:
    return dependencies.get().authenticator.caller_for(request_from(app.current_event).headers)


def _body() -> Any:
    return json_body(request_from(app.current_event))


def _optional_body() -> Any:
    """Acknowledge and resolve take an optional body: none at all is the same as {}."""
    request = request_from(app.current_event)
    return json_body(request) if request.body and request.body.strip() else {}


# -- alerts -------------------------------------------------------------------------------------------


@app.get("/v1/alerts")
@tracer.capture_method
def list_alerts() -> Response[str]:
    page = dependencies.get().alerts.list_alerts(_caller().tenant_id, request_from(app.current_event).query)
    metrics.add_metric(name="AlertsListed", unit=MetricUnit.Count, value=len(page.alerts))
    body: dict[str, Any] = {"alerts": [alert.to_public() for alert in page.alerts]}
    if page.cursor:
        body["next_cursor"] = page.cursor
    return json_response(200, body)


@app.post("/v1/alerts")
@tracer.capture_method
def raise_alert() -> Response[str]:
    alert = dependencies.get().alerts.raise_custom(_caller().tenant_id, _body())
    metrics.add_metric(name="CustomAlertsReported", unit=MetricUnit.Count, value=1)
    return json_response(
        201 if alert.occurrences == 1 else 200, alert.to_public(), {"Location": f"/v1/alerts/{alert.id}"}
    )


@app.get("/v1/alerts/<alert_id>")
@tracer.capture_method
def get_alert(alert_id: str) -> Response[str]:
    deps, tenant_id = dependencies.get(), _caller().tenant_id
    alert = deps.alerts.get(tenant_id, alert_id)
    metrics.add_metric(name="AlertsRead", unit=MetricUnit.Count, value=1)
    # The delivery log: who was told, when, and how each delivery went.
    notifications = deps.deliveries.summary(tenant_id, alert.fingerprint).to_public()
    return json_response(200, {**alert.to_public(), "notifications": notifications})


@app.get("/v1/alerts/<alert_id>/escalation")
@tracer.capture_method
def get_alert_escalation(alert_id: str) -> Response[str]:
    """Who has been paged, at which level, and when the next level is due."""
    deps, tenant_id = dependencies.get(), _caller().tenant_id
    alert = deps.alerts.get(tenant_id, alert_id)
    escalation = escalation_of(deps.escalations, tenant_id, alert.fingerprint)
    return json_response(200, escalation.to_public())


@app.post("/v1/alerts/<alert_id>/acknowledge")
@tracer.capture_method
def acknowledge_alert(alert_id: str) -> Response[str]:
    caller = _caller()
    alert = dependencies.get().alerts.acknowledge(caller.tenant_id, alert_id, _optional_body(), caller.name)
    metrics.add_metric(name="AlertsAcknowledged", unit=MetricUnit.Count, value=1)
    return json_response(200, alert.to_public())


@app.post("/v1/alerts/<alert_id>/resolve")
@tracer.capture_method
def resolve_alert(alert_id: str) -> Response[str]:
    caller = _caller()
    alert = dependencies.get().alerts.resolve(caller.tenant_id, alert_id, _optional_body(), caller.name)
    metrics.add_metric(name="AlertsResolvedByHand", unit=MetricUnit.Count, value=1)
    return json_response(200, alert.to_public())


# -- silences -----------------------------------------------------------------------------------------


@app.get("/v1/silences")
@tracer.capture_method
def list_silences() -> Response[str]:
    now = utc_now()
    silences = dependencies.get().alerts.list_silences(_caller().tenant_id)
    metrics.add_metric(name="SilencesListed", unit=MetricUnit.Count, value=len(silences))
    return json_response(200, {"silences": [silence.to_public(now) for silence in silences]})


@app.post("/v1/silences")
@tracer.capture_method
def create_silence() -> Response[str]:
    silence = dependencies.get().alerts.create_silence(_caller().tenant_id, _body())
    metrics.add_metric(name="SilencesCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, silence.to_public(utc_now()), {"Location": f"/v1/silences/{silence.id}"})


@app.delete("/v1/silences/<silence_id>")
@tracer.capture_method
def expire_silence(silence_id: str) -> Response[str]:
    silence = dependencies.get().alerts.expire_silence(_caller().tenant_id, silence_id)
    metrics.add_metric(name="SilencesExpired", unit=MetricUnit.Count, value=1)
    return json_response(200, silence.to_public(utc_now()))


# -- rules and policy ---------------------------------------------------------------------------------


def _rule(rule: AlertRule) -> dict[str, Any]:
    return rule.to_public()


@app.get("/v1/alert-rules")
@tracer.capture_method
def list_rules() -> Response[str]:
    rules = dependencies.get().rules.list(_caller().tenant_id)
    metrics.add_metric(name="AlertRulesListed", unit=MetricUnit.Count, value=len(rules))
    return json_response(200, {"rules": [_rule(rule) for rule in rules]})


@app.post("/v1/alert-rules")
@tracer.capture_method
def create_rule() -> Response[str]:
    rule = dependencies.get().rules.create(_caller().tenant_id, _body())
    metrics.add_metric(name="AlertRulesCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, _rule(rule), {"Location": f"/v1/alert-rules/{rule.id}"})


@app.get("/v1/alert-rules/<rule_id>")
@tracer.capture_method
def get_rule(rule_id: str) -> Response[str]:
    rule = dependencies.get().rules.get(_caller().tenant_id, rule_id)
    metrics.add_metric(name="AlertRulesRead", unit=MetricUnit.Count, value=1)
    return json_response(200, _rule(rule))


@app.put("/v1/alert-rules/<rule_id>")
@tracer.capture_method
def replace_rule(rule_id: str) -> Response[str]:
    rule = dependencies.get().rules.replace(_caller().tenant_id, rule_id, _body())
    metrics.add_metric(name="AlertRulesReplaced", unit=MetricUnit.Count, value=1)
    return json_response(200, _rule(rule))


@app.delete("/v1/alert-rules/<rule_id>")
@tracer.capture_method
def delete_rule(rule_id: str) -> Response[str]:
    dependencies.get().rules.delete(_caller().tenant_id, rule_id)
    metrics.add_metric(name="AlertRulesDeleted", unit=MetricUnit.Count, value=1)
    return Response(status_code=204)


@app.get("/v1/alerting-policy")
@tracer.capture_method
def get_policy() -> Response[str]:
    policy = dependencies.get().rules.policy(_caller().tenant_id)
    metrics.add_metric(name="AlertingPoliciesRead", unit=MetricUnit.Count, value=1)
    return json_response(200, policy.model_dump(mode="json"))


@app.put("/v1/alerting-policy")
@tracer.capture_method
def put_policy() -> Response[str]:
    policy = dependencies.get().rules.put_policy(_caller().tenant_id, _body())
    metrics.add_metric(name="AlertingPoliciesSet", unit=MetricUnit.Count, value=1)
    return json_response(200, policy.model_dump(mode="json"))


@app.get("/v1/notification-policy")
@tracer.capture_method
def get_notification_policy() -> Response[str]:
    policy = dependencies.get().rules.notification_policy(_caller().tenant_id)
    metrics.add_metric(name="NotificationPoliciesRead", unit=MetricUnit.Count, value=1)
    return json_response(200, policy.model_dump(mode="json"))


@app.put("/v1/notification-policy")
@tracer.capture_method
def put_notification_policy() -> Response[str]:
    policy = dependencies.get().rules.put_notification_policy(_caller().tenant_id, _body())
    metrics.add_metric(name="NotificationPoliciesSet", unit=MetricUnit.Count, value=1)
    return json_response(200, policy.model_dump(mode="json"))


@app.get("/v1/escalation-policy")
@tracer.capture_method
def get_escalation_policy() -> Response[str]:
    """The policy in effect, and where it comes from: code (escalation-policies.yaml), api or default."""
    policy = dependencies.get().rules.escalation_policy(_caller().tenant_id)
    metrics.add_metric(name="EscalationPoliciesRead", unit=MetricUnit.Count, value=1)
    return json_response(200, policy.to_public())


@app.put("/v1/escalation-policy")
@tracer.capture_method
def put_escalation_policy() -> Response[str]:
    """409 when escalation-policies.yaml defines the tenant's policy."""
    policy = dependencies.get().rules.put_escalation_policy(_caller().tenant_id, _body())
    metrics.add_metric(name="EscalationPoliciesSet", unit=MetricUnit.Count, value=1)
    return json_response(200, policy.to_public())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    dependencies.get()  # validates the settings at start: a missing variable fails here, by name
    return app.resolve(event, context)
