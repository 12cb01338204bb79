"""``LocalCloud``: the template provisioned into a backend, with its functions and triggers running.

    with LocalCloud(Path("cdk.out/Vigil.template.json")) as cloud:
        httpx.post(f"{cloud.api_url}/v1/metrics", ...)
        cloud.invoke("ingest", event)

Without ``backend_url`` an embedded moto server is started (one per process: moto's state is
process-global); with one (e.g. LocalStack at http://127.0.0.1:4566) nothing is started.

By default the template's resources are provisioned directly through the backend's service APIs. With
``cloudformation="deploy"`` the synthesized assembly is deployed through the backend's own
CloudFormation (closer to AWS), with ``"attach"`` a stack already deployed there is used; either way the
runtime then attaches to the stack's physical resources (attach.py). A deployed stack is never deleted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from vigil_cli.local.apigateway import ApiGateway, ApiGatewayServer, RequestHook, RestApi, build_rest_api
from vigil_cli.local.attach import attach_stack
from vigil_cli.local.aws import DEFAULT_REGION, DUMMY_ACCESS_KEY_ID, DUMMY_SECRET_ACCESS_KEY, AwsClients
from vigil_cli.local.backend import EmbeddedMoto
from vigil_cli.local.cfn_deploy import deploy_assembly, describe_deployed_stack
from vigil_cli.local.errors import BackendError, LocalCloudError, TemplateError
from vigil_cli.local.functions import FunctionRegistry
from vigil_cli.local.output import install_stdout_router
from vigil_cli.local.provision import provision_stack
from vigil_cli.local.records import InvocationHook, InvocationRecord
from vigil_cli.local.schedules import Clock, Scheduler, clock_for
from vigil_cli.local.sqs_pollers import SqsPoller, mappings_from_stack
from vigil_cli.local.template import DEFAULT_STACK_NAME, Provisioned, Resolver, StackTemplate
from vigil_cli.local.ttl_sweeper import TtlSweeper, ttl_tables_from_stack

CloudFormationMode = Literal["deploy", "attach"]
_THREAD_JOIN_S = 5.0
_embedded_in_use = False  # moto's backends are process-global: one embedded moto per process


def _boto_environment(backend_url: str, region: str) -> dict[str, str | None]:
    """What boto3 in this process needs to reach the backend; None removes a variable."""
    return {
        "AWS_ENDPOINT_URL": backend_url,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_ACCESS_KEY,
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": None,
    }


class LocalCloud:
    def __init__(
        self,
        template: Path | str | Mapping[str, Any],
        assembly_dir: Path | str | None = None,
        *,
        backend_url: str | None = None,
        api_port: int = 0,
        state_dir: Path | str = Path(".vigil"),
        start_api: bool = True,
        start_schedules: bool = True,
        start_pollers: bool = True,
        start_sweeper: bool = True,
        time_factor: float = 1.0,
        escalation_time_factor: float = 1.0,
        clock: Clock | None = None,
        on_request: RequestHook | None = None,
        on_invocation: InvocationHook | None = None,
        stack_name: str = DEFAULT_STACK_NAME,
        parameters: Mapping[str, str] | None = None,
        region: str = DEFAULT_REGION,
        sqs_wait_time_s: int = 1,
        ttl_interval_s: float = 10.0,
        cloudformation: CloudFormationMode | None = None,
        cloudformation_timeout_s: float = 300,
    ) -> None:
        _check_cloudformation_mode(cloudformation, backend_url, template)
        if isinstance(template, Mapping):
            if assembly_dir is None:
                raise TemplateError("a template given as a dict needs the assembly_dir its asset paths are relative to")
            self._template_body: Mapping[str, Any] = template
            self.template_path: Path | None = None
            self.assembly_dir = Path(assembly_dir)
        else:
            self.template_path = Path(template)
            self._template_body = StackTemplate.load(self.template_path).body
            self.assembly_dir = Path(assembly_dir) if assembly_dir is not None else self.template_path.parent
        self.state_dir = Path(state_dir)
        self._external_backend_url = backend_url
        self._api_port = api_port
        self._start_api = start_api
        self._start_schedules = start_schedules
        self._start_pollers = start_pollers
        self._start_sweeper = start_sweeper
        self.clock = clock or clock_for(time_factor)
        if escalation_time_factor <= 0:
            raise ValueError("escalation time factor must be positive")
        self._escalation_time_factor = escalation_time_factor
        self._on_request = on_request
        self._on_invocation = on_invocation
        self._stack_name = stack_name
        self._parameters = parameters
        self.region = region
        self._sqs_wait_time_s = sqs_wait_time_s
        self._ttl_interval_s = ttl_interval_s
        self._cloudformation = cloudformation
        self._cloudformation_timeout_s = cloudformation_timeout_s

        self.backend_url = ""
        self.account_id = ""
        self.template: StackTemplate | None = None
        self.stack: dict[str, Provisioned] = {}
        self._functions: FunctionRegistry | None = None
        self.rest_api: RestApi | None = None
        self._api_server: ApiGatewayServer | None = None
        self._scheduler: Scheduler | None = None
        self.pollers: list[SqsPoller] = []
        self._sweeper: TtlSweeper | None = None
        self._embedded: EmbeddedMoto | None = None
        self._saved_environment: dict[str, str | None] = {}
        self._started = False

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> LocalCloud:
        if self._started:
            return self
        self._started = True
        install_stdout_router()  # before any handler (or its loggers) captures sys.stdout
        try:
            self._start_backend()
            self._set_process_environment()
            clients = AwsClients(self.backend_url, self.region)
            self.account_id = self._account_id(clients)
            if self._cloudformation is None:
                self.template = self._stack_template()
                self.stack = provision_stack(self.template, clients, self.assembly_dir)
            else:
                self.stack = self._attach(clients)
            self._functions = FunctionRegistry.from_stack(
                self.stack,
                assembly_dir=self.assembly_dir,
                account_id=self.account_id,
                backend_url=self.backend_url,
                log_dir=self.state_dir / "logs",
                region=self.region,
                extra_environment=self._local_environment(),
            )
            self._start_triggers(clients, self._functions)
        except BaseException:
            self.stop()
            raise
        return self

    def _local_environment(self) -> dict[str, str]:
        """Settings only local runs give functions: deployed stacks never set them."""
        if self._escalation_time_factor == 1:
            return {}
        return {"ESCALATION_TIME_FACTOR": str(self._escalation_time_factor)}

    def _start_backend(self) -> None:
        global _embedded_in_use  # noqa: PLW0603 - guards a process-wide resource
        if self._external_backend_url:
            self.backend_url = self._external_backend_url.rstrip("/")
            return
        if _embedded_in_use:
            raise BackendError("an embedded moto already runs in this process; pass its backend_url to share it")
        self._embedded = EmbeddedMoto()
        self.backend_url = self._embedded.start()
        _embedded_in_use = True

    def _stack_template(
        self, parameters: Mapping[str, str] | None = None, stack_id: str | None = None
    ) -> StackTemplate:
        return StackTemplate(
            self._template_body,
            stack_name=self._stack_name,
            region=self.region,
            account_id=self.account_id,
            parameters=parameters if parameters is not None else self._parameters,
            stack_id=stack_id,
        )

    def _attach(self, clients: AwsClients) -> dict[str, Provisioned]:
        """Deploy through the backend's CloudFormation if asked, then take the stack's physical resources."""
        if self._cloudformation == "deploy":
            assert self.template_path is not None  # checked in __init__
            deploy_assembly(
                self.assembly_dir,
                self.template_path,
                self._stack_name,
                clients,
                parameters=self._parameters,
                timeout_s=self._cloudformation_timeout_s,
            )
        deployed = describe_deployed_stack(self._stack_name, clients)
        # The stack's own parameter values resolve the template's Refs, as in AWS.
        self.template = self._stack_template({**deployed.parameters, **(self._parameters or {})}, deployed.stack_id)
        return attach_stack(self.template, clients, self.assembly_dir, deployed.resources)

    def _account_id(self, clients: AwsClients) -> str:
        try:
            return clients.account_id()
        except (BotoCoreError, ClientError) as exc:
            raise BackendError(f"cannot reach the AWS API backend at {self.backend_url}: {exc}") from exc

    def _start_triggers(self, clients: AwsClients, functions: FunctionRegistry) -> None:
        self.rest_api = build_rest_api(self.stack, functions)
        self._scheduler = Scheduler.from_stack(
            self.stack,
            functions,
            clock=self.clock,
            account_id=self.account_id,
            region=self.region,
            on_invocation=self._on_invocation,
        )
        self.pollers = [
            SqsPoller(mapping, functions, clients, wait_time_s=self._sqs_wait_time_s, on_invocation=self._on_invocation)
            for mapping in mappings_from_stack(self.stack, functions)
        ]
        self._sweeper = TtlSweeper(
            ttl_tables_from_stack(self.stack), clients, clock=self.clock, interval_s=self._ttl_interval_s
        )
        if self._start_api and self.rest_api is not None:
            gateway = ApiGateway(self.rest_api, functions, account_id=self.account_id)
            try:
                self._api_server = ApiGatewayServer(gateway, port=self._api_port, on_request=self._on_request)
            except OSError as exc:
                raise LocalCloudError(
                    f"cannot serve the API on 127.0.0.1:{self._api_port}: {exc.strerror or exc}"
                ) from exc
            self._api_server.start()
        if self._start_schedules:
            self._scheduler.start()
        if self._start_pollers:
            for poller in self.pollers:
                poller.start()
        if self._start_sweeper:
            self._sweeper.start()

    def stop(self) -> None:
        """Stop every thread (bounded joins), then the embedded moto; restores the environment."""
        global _embedded_in_use  # noqa: PLW0603 - guards a process-wide resource
        if not self._started:
            return
        self._started = False
        if self._api_server is not None:
            self._api_server.stop(_THREAD_JOIN_S)
            self._api_server = None
        if self._scheduler is not None:
            self._scheduler.stop(_THREAD_JOIN_S)
        for poller in self.pollers:
            poller.stop_async()
        for poller in self.pollers:
            poller.join(_THREAD_JOIN_S)
        if self._sweeper is not None:
            self._sweeper.stop(_THREAD_JOIN_S)
        if self._functions is not None:
            self._functions.close()
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None
            _embedded_in_use = False
        self._restore_process_environment()

    def _set_process_environment(self) -> None:
        for key, value in _boto_environment(self.backend_url, self.region).items():
            self._saved_environment[key] = os.environ.get(key)
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def _restore_process_environment(self) -> None:
        for key, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environment.clear()

    # --- what a running cloud exposes --------------------------------------------------------

    def _require_started(self) -> None:
        if not self._started:
            raise LocalCloudError("the local cloud is not started")

    @property
    def uses_embedded_moto(self) -> bool:
        return self._external_backend_url is None

    @property
    def cloudformation_stack_name(self) -> str | None:
        """The CloudFormation stack the runtime is attached to; None when it provisioned directly."""
        return self._stack_name if self._cloudformation is not None else None

    @property
    def api_url(self) -> str | None:
        """http://127.0.0.1:PORT (paths without the stage prefix), or None when no API is served."""
        return self._api_server.url if self._api_server is not None else None

    @property
    def functions(self) -> FunctionRegistry:
        self._require_started()
        assert self._functions is not None
        return self._functions

    @property
    def scheduler(self) -> Scheduler:
        self._require_started()
        assert self._scheduler is not None
        return self._scheduler

    @property
    def sweeper(self) -> TtlSweeper:
        self._require_started()
        assert self._sweeper is not None
        return self._sweeper

    @property
    def resources(self) -> dict[str, str]:
        """Logical id -> physical id (what Ref returns)."""
        return {logical_id: item.physical_id for logical_id, item in self.stack.items()}

    def physical_id(self, logical_id: str) -> str:
        try:
            return self.stack[logical_id].physical_id
        except KeyError:
            raise LocalCloudError(f"no provisioned resource {logical_id!r}") from None

    def attribute(self, logical_id: str, name: str) -> Any:
        """What Fn::GetAtt returns for the resource."""
        self.physical_id(logical_id)
        return Resolver(self._require_template(), self.stack).get_att(logical_id, name)

    def outputs(self) -> dict[str, Any]:
        return Resolver(self._require_template(), self.stack).outputs()

    def _require_template(self) -> StackTemplate:
        self._require_started()
        assert self.template is not None
        return self.template

    def invoke(self, name: str, event: Any) -> Any:
        """Invoke a function by short name, logical id, name or ARN; raises FunctionError if it fails."""
        return self.functions.invoke(name, event)

    def poll_all_once(self) -> list[InvocationRecord]:
        """One receive-invoke-delete round on every enabled mapping (for tests with pollers stopped)."""
        return [record for poller in self.pollers if poller.mapping.enabled if (record := poller.poll_once())]

    def write_stack_state(self, path: Path) -> None:
        """Save what ``vigil local invoke`` needs to attach to this running cloud."""
        state = {
            "backend_url": self.backend_url,
            "account_id": self.account_id,
            "region": self.region,
            "assembly_dir": str(self.assembly_dir.resolve()),
            "cloudformation_stack": self.cloudformation_stack_name,
            "resources": {logical_id: item.to_json() for logical_id, item in self.stack.items()},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(state, indent=1), encoding="utf-8")


def _check_cloudformation_mode(
    mode: CloudFormationMode | None, backend_url: str | None, template: Path | str | Mapping[str, Any]
) -> None:
    if mode is None:
        return
    if mode not in ("deploy", "attach"):
        raise LocalCloudError(f"cloudformation must be 'deploy' or 'attach', not {mode!r}")
    if not backend_url:
        raise LocalCloudError(f"cloudformation={mode!r} needs a backend_url whose CloudFormation holds the stack")
    if mode == "deploy" and isinstance(template, Mapping):
        raise LocalCloudError("cloudformation='deploy' needs the template's path in its cloud assembly (for assets)")


def registry_from_stack_state(path: Path, *, log_dir: Path) -> FunctionRegistry:
    """The function registry of a cloud running in another process, from its saved stack state."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LocalCloudError(f"cannot read the running cloud's state {path}: {exc}") from exc
    stack = {logical_id: Provisioned.from_json(item) for logical_id, item in state["resources"].items()}
    return FunctionRegistry.from_stack(
        stack,
        assembly_dir=Path(state["assembly_dir"]),
        account_id=state["account_id"],
        backend_url=state["backend_url"],
        log_dir=log_dir,
        region=state["region"],
    )
