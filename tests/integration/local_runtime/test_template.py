"""Template reading: intrinsic functions, conditions, dependency order, generated names."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from vigil_cli.local.errors import TemplateError
from vigil_cli.local.template import Provisioned, Resolver, StackTemplate, generated_name

pytestmark = pytest.mark.integration


def _stack(body: dict[str, Any], **kwargs: Any) -> StackTemplate:
    return StackTemplate(body, account_id="123456789012", region="us-east-1", **kwargs)


def _resolver(body: dict[str, Any], provisioned: dict[str, Provisioned], **kwargs: Any) -> Resolver:
    return Resolver(_stack(body, **kwargs), provisioned)


QUEUE = Provisioned(
    "AWS::SQS::Queue",
    "http://127.0.0.1:5000/123456789012/jobs",
    {"Arn": "arn:aws:sqs:us-east-1:123456789012:jobs", "QueueName": "jobs"},
)
BODY = {
    "Parameters": {
        "Stage": {"Type": "String", "Default": "dev"},
        "Zones": {"Type": "CommaDelimitedList", "Default": "a,b"},
    },
    "Mappings": {"Sizes": {"dev": {"Memory": 256}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        "DevInUsEast": {"Fn::And": [{"Condition": "IsDev"}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}]},
    },
    "Resources": {
        "Jobs": {"Type": "AWS::SQS::Queue"},
        "ProdOnly": {"Type": "AWS::SQS::Queue", "Condition": "IsProd"},
    },
}


def test_ref_resolves_parameters_pseudo_parameters_and_physical_ids() -> None:
    # Given a template with a parameter, a list parameter and a provisioned queue
    resolver = _resolver(BODY, {"Jobs": QUEUE})

    # When references are resolved
    resolved = resolver.resolve(
        {
            "stage": {"Ref": "Stage"},
            "zones": {"Ref": "Zones"},
            "queue": {"Ref": "Jobs"},
            "region": {"Ref": "AWS::Region"},
            "account": {"Ref": "AWS::AccountId"},
            "partition": {"Ref": "AWS::Partition"},
            "suffix": {"Ref": "AWS::URLSuffix"},
            "stack": {"Ref": "AWS::StackName"},
        }
    )

    # Then each is what CloudFormation would return
    assert resolved == {
        "stage": "dev",
        "zones": ["a", "b"],
        "queue": QUEUE.physical_id,
        "region": "us-east-1",
        "account": "123456789012",
        "partition": "aws",
        "suffix": "amazonaws.com",
        "stack": "Vigil",
    }


def test_explicit_parameter_values_override_defaults() -> None:
    resolver = _resolver(BODY, {}, parameters={"Stage": "prod"})
    assert resolver.resolve({"Ref": "Stage"}) == "prod"
    assert resolver.condition("IsProd") is True


def test_get_att_join_and_both_forms_of_sub() -> None:
    resolver = _resolver(BODY, {"Jobs": QUEUE})

    resolved = resolver.resolve(
        [
            {"Fn::GetAtt": ["Jobs", "Arn"]},
            {"Fn::GetAtt": "Jobs.QueueName"},
            {"Fn::Join": ["-", ["vigil", {"Ref": "Stage"}, {"Fn::GetAtt": ["Jobs", "QueueName"]}]]},
            {"Fn::Sub": "${AWS::StackName}-${Stage}-${Jobs.QueueName}-${!Literal}"},
            {"Fn::Sub": ["${Prefix}/${Jobs}", {"Prefix": {"Fn::Join": ["", ["q", "s"]]}}]},
        ]
    )

    assert resolved == [
        "arn:aws:sqs:us-east-1:123456789012:jobs",
        "jobs",
        "vigil-dev-jobs",
        "Vigil-dev-jobs-${Literal}",
        f"qs/{QUEUE.physical_id}",
    ]


def test_select_split_get_azs_find_in_map_and_base64() -> None:
    resolver = _resolver(BODY, {"Jobs": QUEUE})

    resolved = resolver.resolve(
        {
            "last": {"Fn::Select": [2, {"Fn::Split": [":", {"Fn::GetAtt": ["Jobs", "Arn"]}]}]},
            "zone": {"Fn::Select": ["0", {"Fn::GetAZs": ""}]},
            "memory": {"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]},
            "encoded": {"Fn::Base64": {"Fn::Sub": "stage=${Stage}"}},
        }
    )

    assert resolved == {
        "last": "sqs",
        "zone": "us-east-1a",
        "memory": 256,
        "encoded": base64.b64encode(b"stage=dev").decode(),
    }


def test_if_conditions_and_no_value_drop_properties_and_list_items() -> None:
    resolver = _resolver(BODY, {})

    resolved = resolver.resolve(
        {
            "size": {"Fn::If": ["IsProd", 10, 1]},
            "dropped": {"Fn::If": ["IsProd", "kept", {"Ref": "AWS::NoValue"}]},
            "items": ["a", {"Fn::If": ["DevInUsEast", "dev-east", {"Ref": "AWS::NoValue"}]}, {"Ref": "AWS::NoValue"}],
        }
    )

    assert resolved == {"size": 1, "items": ["a", "dev-east"]}


def test_resources_whose_condition_is_false_are_not_provisioned() -> None:
    assert _stack(BODY).provisioning_order() == ["Jobs"]


def test_import_value_is_an_error_naming_the_export() -> None:
    with pytest.raises(TemplateError, match=r"Fn::ImportValue 'SharedVpcId'"):
        _resolver(BODY, {}).resolve({"Fn::ImportValue": "SharedVpcId"})


def test_unknown_intrinsic_and_unknown_attribute_are_errors() -> None:
    resolver = _resolver(BODY, {"Jobs": QUEUE})
    with pytest.raises(TemplateError, match="Fn::Cidr"):
        resolver.resolve({"Fn::Cidr": ["10.0.0.0/16", 2, 8]})
    with pytest.raises(TemplateError, match=r"Jobs\.DeadLetterArn.*AWS::SQS::Queue"):
        resolver.resolve({"Fn::GetAtt": ["Jobs", "DeadLetterArn"]})


def test_ssm_typed_parameter_is_not_resolved_silently() -> None:
    body = {"Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/x"}}}
    with pytest.raises(TemplateError, match="BootstrapVersion"):
        _resolver(body, {}).resolve({"Ref": "BootstrapVersion"})


def test_provisioning_order_follows_refs_get_atts_subs_and_depends_on() -> None:
    # Given resources listed before the ones they depend on
    body = {
        "Resources": {
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {"EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]}, "FunctionName": {"Ref": "Fn"}},
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Role": {"Fn::Sub": "${Role.Arn}"}},
                "DependsOn": "Policy",
            },
            "Policy": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "Role"}]}},
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Role": {"Type": "AWS::IAM::Role"},
        }
    }

    # When ordered
    order = _stack(body).provisioning_order()

    # Then every resource comes after what it needs
    assert order.index("Role") < order.index("Policy") < order.index("Fn") < order.index("Mapping")
    assert order.index("Queue") < order.index("Mapping")


def test_circular_dependencies_are_an_error_naming_the_resources() -> None:
    body = {
        "Resources": {
            "A": {"Type": "AWS::SQS::Queue", "Properties": {"X": {"Ref": "B"}}},
            "B": {"Type": "AWS::SQS::Queue", "DependsOn": ["A"]},
            "C": {"Type": "AWS::SQS::Queue"},
        }
    }
    with pytest.raises(TemplateError, match=r"circular dependency between resources: \['A', 'B'\]"):
        _stack(body).provisioning_order()


def test_reference_to_an_unknown_resource_is_an_error() -> None:
    body = {"Resources": {"A": {"Type": "AWS::SQS::Queue", "Properties": {"X": {"Fn::GetAtt": ["Nope", "Arn"]}}}}}
    with pytest.raises(TemplateError, match="'Nope'"):
        _stack(body).provisioning_order()


def test_generated_names_are_deterministic_bounded_and_cloudformation_like() -> None:
    name = generated_name("Vigil", "IngestApiIngestFunction07DAA0BB", max_length=64)
    assert name == generated_name("Vigil", "IngestApiIngestFunction07DAA0BB", max_length=64)
    assert name.startswith("Vigil-IngestApiIngestFunction07DAA0BB-")
    assert generated_name("Vigil", "Other") != generated_name("Vigil", "Another")
    long_name = generated_name("Vigil", "X" * 200, max_length=80, suffix=".fifo")
    assert len(long_name) == 80
    assert long_name.endswith(".fifo")
    assert generated_name("Vigil", "Bucket", max_length=63, lowercase=True).islower()
