"""Escalation policies as code (escalation-policies.yaml): `policies: [{tenant: <id>, <policy>...}]`, at most
one per tenant.

The stack validates the file at synth and ships it, normalized, beside the alerts API and the escalator. A
tenant's policy from the file wins over one stored through the API (PUT /v1/escalation-policy), and the API
cannot change it; every other tenant keeps its stored policy, or the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from vigil_core.errors import FieldProblem, VigilError, conflict, validation_error
from vigil_core.models.escalation import EscalationPolicy
from vigil_core.services.code_documents import parse_tenant_document
from vigil_core.validation import parse_body

ESCALATION_POLICIES_YAML: Final = "escalation-policies.yaml"

# Where a tenant's effective policy comes from: the file deployed with the stack, the API, or neither.
EscalationPolicySource = Literal["code", "api", "default"]


@dataclass(frozen=True, slots=True)
class SourcedEscalationPolicy:
    policy: EscalationPolicy
    source: EscalationPolicySource

    def to_public(self) -> dict[str, Any]:
        return {**self.policy.model_dump(mode="json"), "source": self.source}


def parse_escalation_policy(body: Any, *, field_prefix: str = "") -> EscalationPolicy:
    """A policy from JSON/YAML data, or a 400 naming each bad field under `field_prefix`."""
    try:
        return parse_body(EscalationPolicy, body)
    except VigilError as exc:
        if not field_prefix:
            raise
        whole = field_prefix.rstrip(".")
        raise validation_error(
            [FieldProblem(whole if p.field == "body" else f"{field_prefix}{p.field}", p.problem) for p in exc.problems]
        ) from None


def parse_escalation_policies_document(data: Any) -> dict[str, EscalationPolicy]:
    """escalation-policies.yaml: each tenant's policy, or one error listing every bad field as policies[i].field
    (a second policy for a tenant is a problem on its policies[i].tenant)."""
    entries = parse_tenant_document(
        data,
        "policies",
        "escalation policy",
        lambda entry, prefix: parse_escalation_policy(entry, field_prefix=prefix),
    )
    return dict(entries)


def escalation_policies_to_document(policies: Mapping[str, EscalationPolicy]) -> dict[str, Any]:
    """The normalized document (defaults filled in, durations in seconds), as the stack ships it."""
    return {"policies": [{"tenant": tenant, **policy.model_dump(mode="json")} for tenant, policy in policies.items()]}


def defined_as_code(tenant_id: str) -> VigilError:
    """The 409 for changing a policy that escalation-policies.yaml defines."""
    return conflict(
        f"the escalation policy of tenant {tenant_id!r} is defined in {ESCALATION_POLICIES_YAML}, deployed with the "
        "stack; change it there"
    )
