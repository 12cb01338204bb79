"""cdk-nag (AwsSolutions): no open finding, and every acknowledgment is narrow, used and explained.

cdk-nag 3 runs as a CDK validation plugin: an open finding fails the synth itself, and the report
(cdk.out/validation-report.json) lists each suppressed finding with the acknowledgment that covered it.
"""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from tests.infra.synthesized import SynthesizedVigil
from vigil_infra.nag import MIN_REASON_WORDS

pytestmark = pytest.mark.infra

FUNCTION_PATHS = (
    "Vigil/IngestApi/IngestFunction",
    "Vigil/IngestApi/QueryFunction",
    "Vigil/MonitorsApi/MonitorsFunction",
    "Vigil/MonitorsApi/HeartbeatFunction",
    "Vigil/Probes/SchedulerFunction",
    "Vigil/Probes/WorkerFunction",
    "Vigil/Alerting/EvaluatorFunction",
    "Vigil/Alerting/AlertsFunction",
    "Vigil/Notifications/Slack/Function",
    "Vigil/Notifications/Webhook/Function",
    "Vigil/Notifications/Pagerduty/Function",
    "Vigil/Notifications/Email/Function",
    "Vigil/Notifications/Sms/Function",
    "Vigil/Escalation/Function",
    "Vigil/Sla/SlaFunction",
    "Vigil/Sla/ReportFunction",
    "Vigil/DashboardApi/DashboardFunction",
    "Vigil/DashboardApi/AccountFunction",
)
# The escalator may stop any execution of the escalation state machine (an execution's name is not known up front).
ESCALATION_EXECUTIONS = (
    "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
    '{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"EscalationStateMachine26D21A9F"}]}]}:*'
)
METHOD_PATHS = tuple(
    f"Vigil/IngestApi/RestApi/Default/v1/{method}"
    for method in (
        "metrics/POST",
        "metrics/{name}/GET",
        "monitors/GET",
        "monitors/POST",
        "monitors/{id}/GET",
        "monitors/{id}/PUT",
        "monitors/{id}/DELETE",
        "monitors/{id}/results/GET",
        "heartbeats/{token}/POST",
        "heartbeats/{token}/GET",
        "alerts/GET",
        "alerts/POST",
        "alerts/{id}/GET",
        "alerts/{id}/escalation/GET",
        "alerts/{id}/acknowledge/POST",
        "alerts/{id}/resolve/POST",
        "silences/GET",
        "silences/POST",
        "silences/{id}/DELETE",
        "alert-rules/GET",
        "alert-rules/POST",
        "alert-rules/{id}/GET",
        "alert-rules/{id}/PUT",
        "alert-rules/{id}/DELETE",
        "alerting-policy/GET",
        "alerting-policy/PUT",
        "notification-policy/GET",
        "notification-policy/PUT",
        "escalation-policy/GET",
        "escalation-policy/PUT",
        "slos/GET",
        "slos/POST",
        "slos/{id}/GET",
        "slos/{id}/PUT",
        "slos/{id}/DELETE",
        "slos/{id}/status/GET",
        "sla-policy/GET",
        "sla-policy/PUT",
        "sla/{tenant}/GET",
        "reports/sla/GET",
        "dashboard/health/GET",
        "metrics/export/prometheus/GET",
        "keys/GET",
        "keys/POST",
        "keys/{id}/DELETE",
        "status-page/GET",
        "status-page/PUT",
    )
) + tuple(
    f"Vigil/IngestApi/RestApi/Default/{method}"
    for method in ("status/{tenant}/GET", "status/{tenant}/POST", "public/status/{tenant}/GET")
)

# The reviewed list. Adding one means writing its reason in the construct and adding it here.
# Per function: L1 (python3.13 pinned with the layer) and IAM5 (X-Ray's Resource *); per method: APIG4 and
# COG4 (the functions authenticate API keys; a heartbeat's token is its own credential; a public status page is
# for anyone, once its tenant switches it on). Per notifier's
# ChannelAccess policy: IAM5 on the vigil/notify/ secret and parameter prefixes (Slack, webhook, PagerDuty) or on
# "*" (SMS: SNS authorizes publishing to a phone number on *); email's SES identities need none. The SLA report
# job: IAM5 on its reports bucket's reports/ prefix only (one object per tenant and month, named at run time); its
# bucket: S1 (no server access logs).
# Not on it: an SNS2 (topic without KMS) acknowledgment on the alerts topic. The AwsSolutions pack of cdk-nag 3
# has no SNS2 rule (its SNS rule is SNS3, publishing without TLS, which enforce_ssl satisfies), so such an
# acknowledgment suppresses nothing and test_every_acknowledgment_suppresses_a_real_finding reports it as stale.
EXPECTED_ACKNOWLEDGMENTS = {
    *{("AwsSolutions-L1", f"{function}/Resource/Resource") for function in FUNCTION_PATHS},
    *{("AwsSolutions-IAM5[Resource::*]", f"{function}/Role/DefaultPolicy/Resource") for function in FUNCTION_PATHS},
    *{(rule, method) for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4") for method in METHOD_PATHS},
    ("AwsSolutions-APIG2", "Vigil/IngestApi/RestApi/Resource"),
    ("AwsSolutions-APIG3", "Vigil/IngestApi/RestApi/DeploymentStage.api/Resource"),
    (
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
        "Vigil/IngestApi/RestApi/CloudWatchRole/Resource",
    ),
    *{
        (f"AwsSolutions-IAM5[Resource::{arn}]", f"Vigil/Notifications/{channel}/ChannelAccess/Resource")
        for channel in ("Slack", "Webhook", "Pagerduty")
        for arn in (
            "arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:vigil/notify/*",
            "arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/vigil/notify/*",
        )
    },
    ("AwsSolutions-IAM5[Resource::*]", "Vigil/Notifications/Sms/ChannelAccess/Resource"),
    ("AwsSolutions-IAM5[Resource::*]", "Vigil/Escalation/StateMachine/Role/DefaultPolicy/Resource"),
    (f"AwsSolutions-IAM5[Resource::{ESCALATION_EXECUTIONS}]", "Vigil/Escalation/Function/Role/DefaultPolicy/Resource"),
    (
        "AwsSolutions-IAM5[Resource::<SlaReportsBucket0C954C80.Arn>/reports/*]",
        "Vigil/Sla/ReportFunction/Role/DefaultPolicy/Resource",
    ),
    ("AwsSolutions-S1", "Vigil/Sla/ReportsBucket/Resource"),
}


def _rule(acknowledged_id: str) -> str:
    # Acknowledgment ids carry the plugin prefix: "AwsSolutions::AwsSolutions-L1" -> "AwsSolutions-L1".
    return acknowledged_id.split("::", 1)[1] if acknowledged_id.startswith("AwsSolutions::") else acknowledged_id


def test_no_open_aws_solutions_finding(vigil: SynthesizedVigil) -> None:
    # Given the AwsSolutions report from the one synthesis
    report = vigil.nag_report
    # Then it passed with no open violation, error or warning
    assert report["conclusion"] == "success"
    assert [(v["ruleName"], v["severity"]) for v in report["violations"]] == []


def test_no_error_or_warning_annotations(vigil: SynthesizedVigil) -> None:
    # Given the construct annotations (CDK warnings such as deprecated APIs, and any nag message)
    # Then none is an AwsSolutions error or warning, and there is no other warning or error either
    nag_pattern = Match.string_like_regexp("AwsSolutions-.*")
    assert vigil.annotations.find_error("*", nag_pattern) == []
    assert vigil.annotations.find_warning("*", nag_pattern) == []
    assert vigil.annotations.find_error("*", Match.any_value()) == []
    assert vigil.annotations.find_warning("*", Match.any_value()) == []


def test_acknowledgments_are_exactly_the_reviewed_list(vigil: SynthesizedVigil) -> None:
    # Given every acknowledgment recorded in the cloud assembly
    recorded = {(_rule(a.rule_id), a.construct_path) for a in vigil.acknowledgments}
    # Then it is the reviewed list: each on the narrowest construct, none added silently
    assert recorded == EXPECTED_ACKNOWLEDGMENTS


def test_every_acknowledgment_has_a_written_reason(vigil: SynthesizedVigil) -> None:
    # Given every acknowledgment
    assert vigil.acknowledgments
    for acknowledgment in vigil.acknowledgments:
        # Then its reason is at least a sentence
        reason = acknowledgment.reason.strip()
        assert len(reason.split()) >= MIN_REASON_WORDS, acknowledgment
        assert reason.endswith("."), acknowledgment


def test_every_acknowledgment_suppresses_a_real_finding(vigil: SynthesizedVigil) -> None:
    # Given the findings the report says were suppressed, and where
    suppressed = {(_rule(s["acknowledgedId"]), s["acknowledgedAt"]) for s in vigil.nag_report["suppressedViolations"]}
    # Then no acknowledgment is stale (left behind after the finding went away)
    stale = {(_rule(a.rule_id), a.construct_path) for a in vigil.acknowledgments} - suppressed
    assert stale == set()
