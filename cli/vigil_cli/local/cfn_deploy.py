"""Deploys a synthesized cloud assembly through the backend's own CloudFormation (e.g. LocalStack's).

What ``cdk deploy`` does, without its roles and change sets: upload the stack's file assets to the
buckets its asset manifest names, record the bootstrap version the template's rule checks, create or
update the stack (a template over 51,200 bytes by URL, from the asset bucket) and wait for it. The stack is
deployed with its rules and event source mappings switched off, since the local runtime runs them.
``deployed_resources`` reads a stack that anyone deployed (e.g. ``cdklocal deploy``) so the local runtime
can attach to it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from botocore.exceptions import BotoCoreError, ClientError

from vigil_cli.local.aws import AwsClients
from vigil_cli.local.errors import CloudFormationError

CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")
# What a recent `cdk bootstrap` records; CDK's CheckBootstrapVersion rule only requires 6 or more.
BOOTSTRAP_VERSION = "30"
STACK_TYPE = "AWS::CloudFormation::Stack"
_SUCCEEDED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
# A stack whose first create failed holds nothing worth keeping, and AWS refuses to update it.
_NEVER_CREATED = frozenset({"ROLLBACK_COMPLETE", "CREATE_FAILED"})
_OPERATION_STARTS = frozenset({"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "IMPORT_IN_PROGRESS"})
_POLL_S = 0.5
_DELETE_FAILED_GRACE_S = 10.0
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: a folder always zips to the same bytes
MAX_TEMPLATE_BODY_BYTES = 51_200  # CloudFormation's TemplateBody limit; larger templates go by TemplateURL
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class FailedResource:
    logical_id: str
    type: str
    status: str
    reason: str

    def __str__(self) -> str:
        return f"{self.logical_id} ({self.type}) {self.status}: {self.reason or 'no reason given'}"


class StackDeployError(CloudFormationError):
    """The stack did not deploy; the message names its status, the reason and every failed resource."""

    def __init__(self, stack_name: str, status: str, reason: str, failures: list[FailedResource]) -> None:
        headline = f"CloudFormation stack {stack_name} did not deploy: {status}" + (f" ({reason})" if reason else "")
        details = [f"  {failure}" for failure in failures] or ["  (no resource reported a failure)"]
        super().__init__("\n".join([headline, *details]))
        self.stack_name = stack_name
        self.status = status
        self.failures = failures


@dataclass(frozen=True)
class DeployedStack:
    name: str
    stack_id: str
    status: str
    parameters: dict[str, str]
    resources: dict[str, str]  # logical id -> physical id


# --- deploy --------------------------------------------------------------------------------------


def deploy_assembly(
    assembly_dir: Path,
    template_path: Path,
    stack_name: str,
    clients: AwsClients,
    *,
    parameters: Mapping[str, str] | None = None,
    timeout_s: float = 300,
    triggers_off: bool = True,
) -> dict[str, str]:
    """Publish the assets, create or update the stack and wait for it; returns logical id -> physical id.

    With ``triggers_off`` (for the local runtime, which fires the schedules and polls the queues itself) the
    stack is deployed with its rules and event source mappings switched off (``without_backend_triggers``).
    """
    template_text = _read_text(template_path)
    template = _parse_json(template_text, template_path)
    deployed_text = json.dumps(without_backend_triggers(template), indent=1) if triggers_off else template_text
    try:
        publish_assets(assembly_dir, template_path, clients)
        if "BootstrapVersion" not in (parameters or {}):
            ensure_bootstrap_version(template, clients)
        cloudformation = clients.cloudformation()
        source = template_source(assembly_dir, template_path, deployed_text, clients)
        if _start_deployment(cloudformation, stack_name, source, parameters or {}, timeout_s):
            _wait_for_deployment(cloudformation, stack_name, timeout_s)
    except (ClientError, BotoCoreError) as exc:
        raise CloudFormationError(f"cannot deploy stack {stack_name} at {clients.endpoint_url}: {exc}") from exc
    return deployed_resources(stack_name, clients)


def _start_deployment(
    cloudformation: Any, stack_name: str, source: Mapping[str, str], parameters: Mapping[str, str], timeout_s: float
) -> bool:
    """Create the stack (replacing one whose first create failed) or update it; False when already up to date."""
    stack = _describe_stack(cloudformation, stack_name)
    if stack is not None and stack["StackStatus"] in _NEVER_CREATED:
        cloudformation.delete_stack(StackName=stack_name)
        _wait_until_deleted(cloudformation, stack_name, timeout_s)
        stack = None
    if stack is not None and stack["StackStatus"].endswith("_IN_PROGRESS"):
        raise CloudFormationError(f"stack {stack_name} is busy ({stack['StackStatus']}); deploy once it settles")
    request = {
        "StackName": stack_name,
        **source,
        "Capabilities": list(CAPABILITIES),
        "Parameters": [{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
    }
    if stack is None:
        cloudformation.create_stack(**request)
        return True
    try:
        cloudformation.update_stack(**request)
    except ClientError as exc:
        if "No updates are to be performed" in _message(exc):
            return False
        raise
    return True


def _wait_for_deployment(cloudformation: Any, stack_name: str, timeout_s: float) -> None:
    stack = _wait_until_settled(cloudformation, stack_name, timeout_s)
    failures = failed_resources(cloudformation, stack_name)
    # LocalStack ends an update whose resources failed in UPDATE_COMPLETE: the events tell the truth.
    blocking = [failure for failure in failures if failure.status in ("CREATE_FAILED", "UPDATE_FAILED")]
    status = stack["StackStatus"]
    if status not in _SUCCEEDED or blocking:
        reason = stack.get("StackStatusReason") or ("but resources failed" if status in _SUCCEEDED else "")
        raise StackDeployError(stack_name, status, reason, failures)


def _wait_until_settled(cloudformation: Any, stack_name: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        stack = _describe_stack(cloudformation, stack_name)
        if stack is None:
            raise CloudFormationError(f"stack {stack_name} disappeared while it was being deployed")
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack
        if time.monotonic() >= deadline:
            raise CloudFormationError(f"stack {stack_name} is still {stack['StackStatus']} after {timeout_s:.0f} s")
        time.sleep(_POLL_S)


def _wait_until_deleted(cloudformation: Any, stack_name: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    failed_at: float | None = None
    while (stack := _describe_stack(cloudformation, stack_name)) is not None:
        now = time.monotonic()
        # LocalStack passes through DELETE_FAILED on its way to deleting a stack whose create failed.
        failed_at = (failed_at or now) if stack["StackStatus"] == "DELETE_FAILED" else None
        if now >= deadline or (failed_at is not None and now - failed_at > _DELETE_FAILED_GRACE_S):
            raise CloudFormationError(
                f"stack {stack_name} failed before and cannot be deleted to start afresh ({stack['StackStatus']})"
            )
        time.sleep(_POLL_S)


def failed_resources(cloudformation: Any, stack_name: str) -> list[FailedResource]:
    """The resources that failed in the stack's latest create or update, oldest first, each status once."""
    failures: dict[tuple[str, str], FailedResource] = {}
    for event in reversed(list(_latest_operation_events(cloudformation, stack_name))):
        if not event["ResourceStatus"].endswith("_FAILED") or _is_stack_event(event, stack_name):
            continue
        failure = FailedResource(
            event["LogicalResourceId"],
            event.get("ResourceType", ""),
            event["ResourceStatus"],
            event.get("ResourceStatusReason") or "",
        )
        failures.setdefault((failure.logical_id, failure.status), failure)
    return list(failures.values())


def _latest_operation_events(cloudformation: Any, stack_name: str) -> Iterator[dict[str, Any]]:
    """Stack events, newest first, back to the one that started the latest create or update."""
    for page in cloudformation.get_paginator("describe_stack_events").paginate(StackName=stack_name):
        for event in page["StackEvents"]:
            yield event
            if _is_stack_event(event, stack_name) and event["ResourceStatus"] in _OPERATION_STARTS:
                return


def _is_stack_event(event: Mapping[str, Any], stack_name: str) -> bool:
    return event.get("ResourceType") == STACK_TYPE and event.get("LogicalResourceId") == stack_name


def without_backend_triggers(template: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the template whose rules are created DISABLED and event source mappings disabled.

    The local runtime fires the schedules and polls the queues. A backend that did so too would compete with
    it: LocalStack fires every enabled rule due within a minute at its scheduler's next tick (every 60 s), and
    its Lambda, which cannot run a function without Docker, fails and retries each invocation; its pollers would
    take messages the same way. Switching them off after the deployment (attach.py does, for stacks deployed
    by others) leaves a window of seconds in which they run.
    """
    copy: dict[str, Any] = json.loads(json.dumps(template))
    for resource in copy.get("Resources", {}).values():
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        if resource.get("Type") == "AWS::Events::Rule":
            properties["State"] = "DISABLED"
        elif resource.get("Type") == "AWS::Lambda::EventSourceMapping":
            properties["Enabled"] = False
    return copy


def template_source(assembly_dir: Path, template_path: Path, template_text: str, clients: AwsClients) -> dict[str, str]:
    """TemplateBody, or, for a template over CloudFormation's 51,200-byte body limit (LocalStack enforces it,
    as AWS does), a TemplateURL as `cdk deploy` uses: the text uploaded beside the stack's template asset."""
    body = template_text.encode("utf-8")
    if len(body) <= MAX_TEMPLATE_BODY_BYTES:
        return {"TemplateBody": template_text}
    location = _stack_artifact(assembly_dir, template_path)["properties"].get("stackTemplateAssetObjectUrl")
    if not location:
        raise CloudFormationError(
            f"{template_path} is over CloudFormation's {MAX_TEMPLATE_BODY_BYTES}-byte TemplateBody limit, and its "
            f"stack artifact names no asset bucket (stackTemplateAssetObjectUrl) to deploy it from by URL"
        )
    bucket = _substitute(str(location), clients.account_id(), clients.region).removeprefix("s3://").split("/")[0]
    key = f"{hashlib.sha256(body).hexdigest()}.json"  # by content, as CDK names its template asset
    s3 = clients.s3()
    try:
        _ensure_bucket(s3, bucket, clients.region)
        if not _object_exists(s3, bucket, key):
            s3.put_object(Bucket=bucket, Key=key, Body=body)
    except (ClientError, BotoCoreError) as exc:
        raise CloudFormationError(f"cannot upload the template to s3://{bucket}/{key}: {exc}") from exc
    return {"TemplateURL": backend_object_url(clients.endpoint_url, f"{bucket}/{key}")}


def backend_object_url(endpoint_url: str, object_path: str) -> str:
    """A path-style URL of "bucket/key" on the backend's own S3, never on AWS.

    A loopback host is spelled "localhost": LocalStack fetches the URL from itself, and moto's CloudFormation
    reads a "localhost" URL from its own S3 (any other host it takes for a virtual-hosted bucket name).
    """
    endpoint = urlsplit(endpoint_url)
    host = "localhost" if endpoint.hostname in _LOOPBACK_HOSTS else str(endpoint.hostname)
    netloc = f"{host}:{endpoint.port}" if endpoint.port else host
    return urlunsplit((endpoint.scheme, netloc, f"{endpoint.path.rstrip('/')}/{object_path}", "", ""))


# --- assets ----------------------------------------------------------------------------------------


def asset_manifests(assembly_dir: Path, template_path: Path) -> list[Path]:
    """The asset manifests the template's stack artifact depends on, as the assembly's manifest.json names them."""
    artifacts = _artifacts(assembly_dir)
    dependencies = [
        artifacts.get(name, {}) for name in _stack_artifact(assembly_dir, template_path).get("dependencies", [])
    ]
    return [
        assembly_dir / str(dependency["properties"]["file"])
        for dependency in dependencies
        if dependency.get("type") == "cdk:asset-manifest"
    ]


def _artifacts(assembly_dir: Path) -> Mapping[str, Any]:
    manifest_path = assembly_dir / "manifest.json"
    artifacts: Mapping[str, Any] = _parse_json(_read_text(manifest_path), manifest_path).get("artifacts", {})
    return artifacts


def _stack_artifact(assembly_dir: Path, template_path: Path) -> Mapping[str, Any]:
    """The assembly's stack artifact whose template is template_path."""
    target = template_path.resolve()
    for artifact in _artifacts(assembly_dir).values():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        if (assembly_dir / str(artifact["properties"]["templateFile"])).resolve() == target:
            return dict(artifact)
    raise CloudFormationError(f"{template_path} is not the template of a stack in {assembly_dir / 'manifest.json'}")


def publish_assets(assembly_dir: Path, template_path: Path, clients: AwsClients) -> list[str]:
    """Upload every file asset of the stack that is not in its bucket yet; returns the s3:// URLs uploaded.

    Object keys are content hashes, so an object that exists already holds these bytes.
    """
    account_id = clients.account_id()
    uploaded: list[str] = []
    for manifest_path in asset_manifests(assembly_dir, template_path):
        manifest = _parse_json(_read_text(manifest_path), manifest_path)
        if manifest.get("dockerImages"):
            raise CloudFormationError(f"container image assets are not supported: {sorted(manifest['dockerImages'])}")
        for asset_id, asset in manifest.get("files", {}).items():
            source = manifest_path.parent / str(asset["source"]["path"])
            for destination in asset["destinations"].values():
                bucket = _substitute(str(destination["bucketName"]), account_id, clients.region)
                key = _substitute(str(destination["objectKey"]), account_id, clients.region)
                if _publish(clients, source, asset["source"].get("packaging", "file"), bucket, key, asset_id):
                    uploaded.append(f"s3://{bucket}/{key}")
    return uploaded


def _publish(clients: AwsClients, source: Path, packaging: str, bucket: str, key: str, asset_id: str) -> bool:
    s3 = clients.s3()
    try:
        _ensure_bucket(s3, bucket, clients.region)
        if _object_exists(s3, bucket, key):
            return False
        body = zip_folder(source) if packaging == "zip" else source.read_bytes()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    except OSError as exc:
        raise CloudFormationError(f"asset {asset_id}: cannot read {source}: {exc.strerror or exc}") from exc
    except (ClientError, BotoCoreError) as exc:
        raise CloudFormationError(f"asset {asset_id}: cannot upload to s3://{bucket}/{key}: {exc}") from exc
    return True


def zip_folder(folder: Path) -> bytes:
    """The folder as a zip archive: sorted entries, fixed timestamps, so equal folders give equal bytes."""
    if not folder.is_dir():
        raise FileNotFoundError(f"not a folder: {folder}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            entry = zipfile.ZipInfo(path.relative_to(folder).as_posix(), _ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            archive.writestr(entry, path.read_bytes())
    return buffer.getvalue()


def _ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if _http_status(exc) != 404:
            raise
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **location)


def _object_exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _http_status(exc) != 404:
            raise
        return False
    return True


def ensure_bootstrap_version(template: Mapping[str, Any], clients: AwsClients) -> None:
    """Record the bootstrap version where the template's BootstrapVersion parameter reads it, if missing.

    An existing value (e.g. from ``cdklocal bootstrap``) is kept.
    """
    declaration = template.get("Parameters", {}).get("BootstrapVersion")
    if not isinstance(declaration, Mapping) or "Default" not in declaration:
        return
    ssm = clients.ssm()
    name = str(declaration["Default"])
    try:
        ssm.get_parameter(Name=name)
    except ClientError as exc:
        if _error_code(exc) != "ParameterNotFound":
            raise
        ssm.put_parameter(Name=name, Value=BOOTSTRAP_VERSION, Type="String")


def _substitute(text: str, account_id: str, region: str) -> str:
    for placeholder, value in (("${AWS::AccountId}", account_id), ("${AWS::Region}", region)):
        text = text.replace(placeholder, value)
    return text.replace("${AWS::Partition}", "aws")


# --- attach ----------------------------------------------------------------------------------------


def describe_deployed_stack(stack_name: str, clients: AwsClients) -> DeployedStack:
    """A successfully deployed stack: its id, parameters and resources; CloudFormationError otherwise."""
    cloudformation = clients.cloudformation()
    try:
        stack = _describe_stack(cloudformation, stack_name)
        if stack is None:
            raise CloudFormationError(
                f"there is no CloudFormation stack {stack_name} at {clients.endpoint_url}; deploy it first "
                f"(e.g. `cdklocal deploy`), or let the local cloud deploy it"
            )
        status = stack["StackStatus"]
        if status not in _SUCCEEDED:
            reason = f" ({stack['StackStatusReason']})" if stack.get("StackStatusReason") else ""
            raise CloudFormationError(
                f"stack {stack_name} is {status}{reason}; only a successfully deployed stack can be attached to"
            )
        summaries = [
            summary
            for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
            for summary in page["StackResourceSummaries"]
        ]
    except (ClientError, BotoCoreError) as exc:
        raise CloudFormationError(f"cannot read stack {stack_name} at {clients.endpoint_url}: {exc}") from exc
    failed = [_failed_summary(summary) for summary in summaries if summary["ResourceStatus"].endswith("_FAILED")]
    if failed:  # LocalStack reports a stack whose update failed as UPDATE_COMPLETE
        raise StackDeployError(stack_name, status, "but resources failed", failed)
    return DeployedStack(
        name=stack_name,
        stack_id=stack["StackId"],
        status=status,
        parameters={item["ParameterKey"]: item.get("ParameterValue", "") for item in stack.get("Parameters", [])},
        # moto lists the resources its CloudFormation cannot create without a logical id (they count as
        # missing), and some it creates (API Gateway methods and deployments) with an empty physical id.
        resources={
            summary["LogicalResourceId"]: summary.get("PhysicalResourceId", "")
            for summary in summaries
            if summary.get("LogicalResourceId")
        },
    )


def deployed_resources(stack_name: str, clients: AwsClients) -> dict[str, str]:
    """Logical id -> physical id of a successfully deployed stack (e.g. by ``cdklocal deploy``)."""
    return describe_deployed_stack(stack_name, clients).resources


def _failed_summary(summary: Mapping[str, Any]) -> FailedResource:
    return FailedResource(
        summary["LogicalResourceId"],
        summary.get("ResourceType", ""),
        summary["ResourceStatus"],
        summary.get("ResourceStatusReason") or "",
    )


# --- helpers ---------------------------------------------------------------------------------------


def _describe_stack(cloudformation: Any, stack_name: str) -> dict[str, Any] | None:
    """The live stack of that name, or None (deleted stacks do not count)."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in _message(exc):
            return None
        raise
    live = [stack for stack in stacks if stack["StackStatus"] != "DELETE_COMPLETE"]
    return live[0] if live else None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CloudFormationError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _parse_json(text: str, path: Path) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise CloudFormationError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise CloudFormationError(f"{path} is not a JSON object")
    return document


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def _http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
