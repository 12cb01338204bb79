"""Documents deployed as code (monitors.yaml, alert-rules.yaml, escalation-policies.yaml):
`<list key>: [{tenant: <id>, ...definition}]`, validated as a whole so one error lists every bad field as
`<list key>[i].field`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from vigil_core.errors import FieldProblem, VigilError, validation_error
from vigil_core.models.tenants import TENANT_ID_PATTERN

DefinitionT = TypeVar("DefinitionT")


def parse_tenant_document(
    data: Any,
    list_key: str,
    noun: str,
    parse_entry: Callable[[dict[str, Any], str], DefinitionT],
    id_of: Callable[[DefinitionT], str] | None = None,
) -> list[tuple[str, DefinitionT]]:
    """Each entry's tenant and definition. `parse_entry(entry, field_prefix)` raises a VigilError naming
    fields under the prefix; ids must be unique per tenant, or without `id_of` a tenant may have one entry."""
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get(list_key) or [], list):
        raise validation_error([FieldProblem(list_key, f"the document must be a mapping with a list `{list_key}`")])
    unknown = sorted(set(data) - {list_key})
    if unknown:
        raise validation_error([FieldProblem(key, "unknown top-level key") for key in unknown])
    entries: list[tuple[str, DefinitionT]] = []
    problems: list[FieldProblem] = []
    seen: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(data.get(list_key) or []):
        where = f"{list_key}[{index}]"
        if not isinstance(entry, dict):
            problems.append(FieldProblem(where, "must be a mapping"))
            continue
        tenant = entry.get("tenant")
        if not isinstance(tenant, str) or not re.fullmatch(TENANT_ID_PATTERN, tenant):
            problems.append(FieldProblem(f"{where}.tenant", f"is required: the id of the tenant the {noun} belongs to"))
            continue
        try:
            definition = parse_entry({k: v for k, v in entry.items() if k != "tenant"}, f"{where}.")
        except VigilError as exc:
            problems.extend(exc.problems)
            continue
        key = (tenant, id_of(definition) if id_of else "")
        if key in seen:
            earlier = f"{list_key}[{seen[key]}]"
            if id_of is None:
                problems.append(
                    FieldProblem(f"{where}.tenant", f"{tenant!r} already has its {noun} in {earlier} (one per tenant)")
                )
            else:
                problems.append(FieldProblem(f"{where}.id", f"{key[1]!r} is already used by {earlier}"))
            continue
        seen[key] = index
        entries.append((tenant, definition))
    if problems:
        plural = f"{noun[:-1]}ies" if noun.endswith("y") else f"{noun}s"
        raise validation_error(problems, message=f"{plural} document: {len(problems)} problem(s)")
    return entries
