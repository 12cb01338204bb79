"""The synthesized vigil app as the infra tests see it, plus small readers for the template's shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from aws_cdk import CfnElement
from aws_cdk.assertions import Annotations, Template
from constructs import IConstruct

from vigil_infra.stack import VigilStack

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ACKNOWLEDGED_RULES_METADATA = "aws:cdk:acknowledged-rules"

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class RecordedAcknowledgment:
    """One `Validations.of(construct).acknowledge(...)` call, as recorded in the cloud assembly."""

    construct_path: str
    rule_id: str
    reason: str


@dataclass(frozen=True)
class SynthesizedVigil:
    stack: VigilStack
    template: Template
    annotations: Annotations
    assembly_dir: Path
    # The AwsSolutions entry of cdk.out/validation-report.json (cdk-nag 3 is a validation plugin).
    nag_report: JsonObject
    acknowledgments: list[RecordedAcknowledgment]

    @cached_property
    def resources(self) -> dict[str, JsonObject]:
        resources: dict[str, JsonObject] = self.template.to_json()["Resources"]
        return resources

    def logical_id(self, construct: IConstruct) -> str:
        """The logical id of an L1 resource, or of the resource behind an L2 construct."""
        element = construct.node.default_child or construct
        return str(self.stack.resolve(self.stack.get_logical_id(cast(CfnElement, element))))

    def resource(self, construct: IConstruct) -> JsonObject:
        return self.resources[self.logical_id(construct)]

    def properties(self, construct: IConstruct) -> JsonObject:
        properties: JsonObject = self.resource(construct)["Properties"]
        return properties

    def of_type(self, resource_type: str) -> dict[str, JsonObject]:
        return {lid: res for lid, res in self.resources.items() if res["Type"] == resource_type}


def make_fake_dependencies_layer(parent: Path) -> Path:
    """A stand-in for `make layer-deps` output: the layer only has to be a folder with python/ in it."""
    layer = parent / "layer-deps"
    (layer / "python").mkdir(parents=True)
    (layer / "python" / "fake_dependency.py").write_text("# stands in for the third-party wheels\n")
    return layer


def referenced_logical_id(value: Any) -> str | None:
    """`{"Ref": X}` or `{"Fn::GetAtt": [X, ...]}` -> X; otherwise None."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def getatt_targets(value: Any) -> Iterator[str]:
    """Every logical id referenced through Fn::GetAtt anywhere inside `value`."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            yield str(value["Fn::GetAtt"][0])
        for inner in value.values():
            yield from getatt_targets(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from getatt_targets(inner)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements_of_role(resources: dict[str, JsonObject], role_logical_id: str) -> list[JsonObject]:
    """Every Allow/Deny statement that applies to a role: its inline policies and attached AWS::IAM::Policy."""
    role = resources[role_logical_id]["Properties"]
    documents = [policy["PolicyDocument"] for policy in role.get("Policies", [])]
    for resource in resources.values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        attached_roles = {referenced_logical_id(ref) for ref in resource["Properties"].get("Roles", [])}
        if role_logical_id in attached_roles:
            documents.append(resource["Properties"]["PolicyDocument"])
    return [statement for document in documents for statement in document["Statement"]]


def grants_of_role(
    resources: dict[str, JsonObject], role_logical_id: str, effect: str = "Allow"
) -> set[tuple[str, str]]:
    """(action, target) pairs of the role's statements with `effect`; target is the referenced resource's
    logical id, or the literal ARN / "*"."""
    grants: set[tuple[str, str]] = set()
    for statement in statements_of_role(resources, role_logical_id):
        assert statement["Effect"] in ("Allow", "Deny"), statement
        if statement["Effect"] != effect:
            continue
        for action in _as_list(statement["Action"]):
            for target in _as_list(statement["Resource"]):
                grants.add((action, referenced_logical_id(target) or json.dumps(target)))
    return grants


def api_resource_paths(resources: dict[str, JsonObject]) -> dict[str, str]:
    """AWS::ApiGateway::Resource logical id -> its full path, e.g. "/v1/metrics/{name}"."""

    def path_of(logical_id: str) -> str:
        properties = resources[logical_id]["Properties"]
        parent = properties["ParentId"]
        parent_path = "" if "Fn::GetAtt" in parent else path_of(parent["Ref"])
        return f"{parent_path}/{properties['PathPart']}"

    return {
        logical_id: path_of(logical_id)
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::ApiGateway::Resource"
    }
