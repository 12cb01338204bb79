"""A CloudFormation template as the local cloud reads it: resources, dependency order, intrinsics.

Covers what CDK output uses: Ref (parameters, resources, pseudo parameters), Fn::GetAtt, Fn::Join,
Fn::Sub (both forms), Fn::Select, Fn::Split, Fn::GetAZs, Fn::FindInMap, Fn::Base64, Fn::If with
Conditions (Fn::Equals/And/Or/Not). Fn::ImportValue and anything else is an error. The ``Rules``
section (CDK's bootstrap-version check) and ``Outputs`` need no provisioning; outputs are resolved
on demand.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigil_cli.local.errors import TemplateError

DEFAULT_STACK_NAME = "Vigil"
PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::Region",
        "AWS::AccountId",
        "AWS::Partition",
        "AWS::URLSuffix",
        "AWS::StackName",
        "AWS::StackId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
    }
)
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class _NoValue:
    """Marker for ``Ref: AWS::NoValue``: the enclosing property or list item disappears."""


NO_VALUE = _NoValue()


@dataclass(frozen=True)
class ResourceSpec:
    """One resource as written in the template (properties unresolved)."""

    logical_id: str
    type: str
    properties: Mapping[str, Any]
    metadata: Mapping[str, Any]
    depends_on: tuple[str, ...]
    condition: str | None


@dataclass
class Provisioned:
    """A resource after provisioning: what Ref returns, what Fn::GetAtt can read, resolved properties."""

    type: str
    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "physical_id": self.physical_id,
            "attributes": self.attributes,
            "properties": self.properties,
            "metadata": self.metadata,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Provisioned:
        return cls(
            type=data["type"],
            physical_id=data["physical_id"],
            attributes=dict(data.get("attributes", {})),
            properties=dict(data.get("properties", {})),
            metadata=dict(data.get("metadata", {})),
        )


def generated_name(
    stack_name: str, logical_id: str, *, max_length: int = 64, lowercase: bool = False, suffix: str = ""
) -> str:
    """A CloudFormation-like physical name, ``<stack>-<LogicalId>-<hash>``, deterministic per stack."""
    digest = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).hexdigest()[:12].upper()
    room = max(1, max_length - len(stack_name) - len(digest) - len(suffix) - 2)
    name = f"{stack_name}-{logical_id[:room]}-{digest}{suffix}"
    return name.lower() if lowercase else name


class StackTemplate:
    """A parsed template plus the stack facts its pseudo parameters resolve to."""

    def __init__(
        self,
        body: Mapping[str, Any],
        *,
        stack_name: str = DEFAULT_STACK_NAME,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        parameters: Mapping[str, str] | None = None,
        stack_id: str | None = None,
    ) -> None:
        if "Transform" in body:
            raise TemplateError(f"template transforms are not supported: {body['Transform']!r}")
        self.body = body
        self.stack_name = stack_name
        self.region = region
        self.account_id = account_id
        self.parameter_values = dict(parameters or {})
        self._stack_id = stack_id  # a deployed stack's real id; otherwise one is derived from the name
        self.resources = self._parse_resources(body.get("Resources", {}))
        self.conditions: Mapping[str, Any] = body.get("Conditions", {})
        self.mappings: Mapping[str, Any] = body.get("Mappings", {})
        self.parameters: Mapping[str, Any] = body.get("Parameters", {})
        self.outputs: Mapping[str, Any] = body.get("Outputs", {})

    @classmethod
    def load(cls, path: Path, **kwargs: Any) -> StackTemplate:
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise TemplateError(f"cannot read template {path}: {exc}") from exc
        return cls(body, **kwargs)

    @staticmethod
    def _parse_resources(raw: Mapping[str, Any]) -> dict[str, ResourceSpec]:
        resources: dict[str, ResourceSpec] = {}
        for logical_id, resource in raw.items():
            if not isinstance(resource, Mapping) or "Type" not in resource:
                raise TemplateError(f"resource {logical_id} has no Type")
            depends_on = resource.get("DependsOn", [])
            resources[logical_id] = ResourceSpec(
                logical_id=logical_id,
                type=resource["Type"],
                properties=resource.get("Properties", {}),
                metadata=resource.get("Metadata", {}),
                depends_on=(depends_on,) if isinstance(depends_on, str) else tuple(depends_on),
                condition=resource.get("Condition"),
            )
        return resources

    @property
    def stack_id(self) -> str:
        if self._stack_id is not None:
            return self._stack_id
        digest = hashlib.sha256(self.stack_name.encode()).hexdigest()
        uuid_like = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        return f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/{uuid_like}"

    def physical_name(self, logical_id: str, *, max_length: int = 64, lowercase: bool = False, suffix: str = "") -> str:
        return generated_name(self.stack_name, logical_id, max_length=max_length, lowercase=lowercase, suffix=suffix)

    def parameter_value(self, name: str) -> Any:
        declaration = self.parameters[name]
        if name in self.parameter_values:
            value: Any = self.parameter_values[name]
        elif "Default" in declaration:
            value = declaration["Default"]
        else:
            raise TemplateError(f"parameter {name} has no value and no default")
        if str(declaration.get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
            raise TemplateError(f"parameter {name} is read from SSM at deploy time; not resolved locally")
        if str(declaration.get("Type", "")).startswith("List<") or declaration.get("Type") == ("CommaDelimitedList"):
            return [item.strip() for item in str(value).split(",")]
        return value

    def is_active(self, logical_id: str) -> bool:
        """False when the resource's Condition evaluates to false (it is then not created)."""
        condition = self.resources[logical_id].condition
        return condition is None or Resolver(self, {}).condition(condition)

    def provisioning_order(self) -> list[str]:
        """Active resources, each after everything it references or depends on (template order otherwise)."""
        active = [logical_id for logical_id in self.resources if self.is_active(logical_id)]
        dependencies: dict[str, set[str]] = {}
        for logical_id in active:
            spec = self.resources[logical_id]
            referenced = resource_references(spec.properties, self)
            for dependency in spec.depends_on:
                if dependency not in self.resources:
                    raise TemplateError(f"{logical_id} DependsOn unknown resource {dependency}")
                referenced.add(dependency)
            inactive = sorted(ref for ref in referenced if ref not in active)
            if inactive:
                raise TemplateError(f"{logical_id} references resources that are not created: {inactive}")
            dependencies[logical_id] = referenced - {logical_id}
        order: list[str] = []
        placed: set[str] = set()
        while len(order) < len(active):
            ready = [lid for lid in active if lid not in placed and dependencies[lid] <= placed]
            if not ready:
                cycle = sorted(lid for lid in active if lid not in placed)
                raise TemplateError(f"circular dependency between resources: {cycle}")
            order.extend(ready)
            placed.update(ready)
        return order


def resource_references(value: Any, template: StackTemplate) -> set[str]:
    """Logical ids of resources that ``value`` refers to through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()

    def note(name: str) -> None:
        if name in PSEUDO_PARAMETERS or name in template.parameters:
            return
        if name not in template.resources:
            raise TemplateError(f"reference to unknown resource or parameter {name!r}")
        found.add(name)

    def sub_names(text: str, local: Iterable[str]) -> None:
        for match in _SUB_VARIABLE.finditer(text):
            expression = match.group(1)
            if expression.startswith("!"):
                continue
            name = expression.split(".", 1)[0]
            if name not in local:
                note(name)

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if len(node) == 1 and "Ref" in node and isinstance(node["Ref"], str):
                note(node["Ref"])
                return
            if len(node) == 1 and "Fn::GetAtt" in node:
                target = node["Fn::GetAtt"]
                note(target.split(".", 1)[0] if isinstance(target, str) else target[0])
                return
            if len(node) == 1 and "Fn::Sub" in node:
                argument = node["Fn::Sub"]
                if isinstance(argument, str):
                    sub_names(argument, ())
                else:
                    text, variables = argument
                    sub_names(text, variables.keys())
                    walk(variables)
                return
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(value)
    return found


class Resolver:
    """Resolves intrinsic functions against the template and the resources provisioned so far."""

    def __init__(self, template: StackTemplate, provisioned: Mapping[str, Provisioned]) -> None:
        self.template = template
        self.provisioned = provisioned

    def resolve(self, value: Any) -> Any:
        resolved = self._resolve(value)
        return None if resolved is NO_VALUE else resolved

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            if len(value) == 1:
                (key, argument), *_ = value.items()
                if key == "Ref":
                    return self.ref(argument)
                if key.startswith("Fn::"):
                    return self._intrinsic(key, argument)
            result = {}
            for key, item in value.items():
                resolved = self._resolve(item)
                if resolved is not NO_VALUE:
                    result[key] = resolved
            return result
        if isinstance(value, list):
            return [resolved for item in value if (resolved := self._resolve(item)) is not NO_VALUE]
        return value

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.template.region,
            "AWS::AccountId": self.template.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.template.stack_name,
            "AWS::StackId": self.template.stack_id,
            "AWS::NotificationARNs": [],
        }
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in self.template.parameters:
            return self.template.parameter_value(name)
        return self._provisioned(name).physical_id

    def get_att(self, logical_id: str, attribute: str) -> Any:
        resource = self._provisioned(logical_id)
        if attribute not in resource.attributes:
            raise TemplateError(
                f"Fn::GetAtt {logical_id}.{attribute}: {resource.type} has no attribute {attribute!r} "
                f"locally (known: {sorted(resource.attributes)})"
            )
        return resource.attributes[attribute]

    def _provisioned(self, logical_id: str) -> Provisioned:
        if logical_id not in self.template.resources:
            raise TemplateError(f"reference to unknown resource or parameter {logical_id!r}")
        if logical_id not in self.provisioned:
            raise TemplateError(f"{logical_id} is referenced before it is provisioned (or it is not created)")
        return self.provisioned[logical_id]

    def _intrinsic(self, name: str, argument: Any) -> Any:  # noqa: PLR0911 - one branch per function
        if name == "Fn::GetAtt":
            logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            return self.get_att(logical_id, self.resolve(attribute))
        if name == "Fn::Join":
            delimiter, items = argument
            return str(delimiter).join(_text(item) for item in self._list(items))
        if name == "Fn::Sub":
            return self._sub(argument)
        if name == "Fn::Select":
            index, items = argument
            items = self._list(items)
            position = int(self.resolve(index))
            if not 0 <= position < len(items):
                raise TemplateError(f"Fn::Select index {position} out of range for {items!r}")
            return items[position]
        if name == "Fn::Split":
            delimiter, text = argument
            return str(self.resolve(text)).split(delimiter)
        if name == "Fn::GetAZs":
            region = self.resolve(argument) or self.template.region
            return [f"{region}{zone}" for zone in "abc"]
        if name == "Fn::FindInMap":
            map_name, top_key, second_key = (self.resolve(part) for part in argument)
            try:
                return self._resolve(self.template.mappings[map_name][top_key][second_key])
            except KeyError as exc:
                raise TemplateError(f"Fn::FindInMap {map_name}/{top_key}/{second_key}: no such key") from exc
        if name == "Fn::Base64":
            return base64.b64encode(_text(self.resolve(argument)).encode()).decode()
        if name == "Fn::If":
            condition, when_true, when_false = argument
            return self._resolve(when_true if self.condition(condition) else when_false)
        if name == "Fn::ImportValue":
            raise TemplateError(
                f"Fn::ImportValue {argument!r}: cross-stack imports are not supported by the local cloud"
            )
        raise TemplateError(f"intrinsic function {name} is not supported by the local cloud")

    def _list(self, value: Any) -> list[Any]:
        resolved = self._resolve(value)
        if not isinstance(resolved, list):
            raise TemplateError(f"expected a list, got {resolved!r}")
        return resolved

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        else:
            text, raw_variables = argument
            variables = {key: self.resolve(item) for key, item in raw_variables.items()}

        def substitute(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in variables:
                return _text(variables[expression])
            if "." in expression and expression.split(".", 1)[0] not in self.template.parameters:
                logical_id, attribute = expression.split(".", 1)
                return _text(self.get_att(logical_id, attribute))
            return _text(self.ref(expression))

        return _SUB_VARIABLE.sub(substitute, text)

    def condition(self, name: str) -> bool:
        if name not in self.template.conditions:
            raise TemplateError(f"unknown condition {name!r}")
        return self._condition_value(self.template.conditions[name])

    def _condition_value(self, expression: Any) -> bool:
        if isinstance(expression, Mapping) and len(expression) == 1:
            (key, argument), *_ = expression.items()
            if key == "Condition":
                return self.condition(argument)
            if key == "Fn::Equals":
                left, right = (self.resolve(item) for item in argument)
                return _text(left) == _text(right)
            if key == "Fn::Not":
                return not self._condition_value(argument[0])
            if key == "Fn::And":
                return all(self._condition_value(item) for item in argument)
            if key == "Fn::Or":
                return any(self._condition_value(item) for item in argument)
        raise TemplateError(f"unsupported condition expression {expression!r}")

    def outputs(self) -> dict[str, Any]:
        """Resolved stack outputs (those whose Condition holds)."""
        values: dict[str, Any] = {}
        for name, output in self.template.outputs.items():
            if "Condition" in output and not self.condition(output["Condition"]):
                continue
            values[name] = self.resolve(output["Value"])
        return values


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
