"""The template's Lambda functions, imported from their CDK asset folders and invoked in-process.

The process environment is global, so invocations are serialized by one process-wide lock (a Lambda
execution environment runs one event at a time too). A handler cannot be killed in a thread: a call
that outruns its Timeout completes, is logged as "Task timed out" and then counts as failed.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from vigil_cli.local.aws import DEFAULT_REGION, DUMMY_ACCESS_KEY_ID, DUMMY_SECRET_ACCESS_KEY
from vigil_cli.local.errors import FunctionError, FunctionNotFoundError, UnsupportedResourceError
from vigil_cli.local.output import install_stdout_router, routed_to
from vigil_cli.local.template import Provisioned

FUNCTION_TYPE = "AWS::Lambda::Function"
LAYER_TYPE = "AWS::Lambda::LayerVersion"
# The host's own AWS and Powertools settings must not leak into a function's environment.
_SCRUBBED_PREFIXES = ("AWS_", "POWERTOOLS_", "_X_AMZN_", "LAMBDA_")

_INVOKE_LOCK = threading.RLock()
_module_numbers = itertools.count(1)

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    short_name: str
    handler: str
    runtime: str
    code_dir: Path
    module_file: Path
    timeout_s: float
    memory_mb: int
    environment: Mapping[str, str]
    layers: tuple[str, ...]
    has_siblings: bool  # other modules beside the handler's, which it may import

    @classmethod
    def from_resource(
        cls,
        logical_id: str,
        resource: Provisioned,
        *,
        assembly_dir: Path,
        account_id: str,
        layer_arns: set[str],
    ) -> FunctionSpec:
        props = resource.properties
        runtime = str(props.get("Runtime", ""))
        if not runtime.startswith("python"):
            raise UnsupportedResourceError(
                FUNCTION_TYPE, logical_id, f"runtime {runtime or 'none'}; only Python functions run in-process"
            )
        asset_path = resource.metadata.get("aws:asset:path")
        if not asset_path:
            reason = (
                "inline code (Code.ZipFile) is not supported"
                if "ZipFile" in props.get("Code", {})
                else "no aws:asset:path metadata; synthesize with aws:cdk:enable-asset-metadata=true"
            )
            raise UnsupportedResourceError(FUNCTION_TYPE, logical_id, reason)
        code_dir = (assembly_dir / asset_path).resolve()
        handler = str(props.get("Handler", ""))
        module_name, _, function_name = handler.rpartition(".")
        if not module_name or not function_name:
            raise UnsupportedResourceError(FUNCTION_TYPE, logical_id, f"handler {handler!r} is not module.function")
        module_file = code_dir / (module_name.replace(".", "/") + ".py")
        if not module_file.is_file():
            raise UnsupportedResourceError(FUNCTION_TYPE, logical_id, f"handler module not found: {module_file}")
        layers = tuple(str(arn) for arn in props.get("Layers", []))
        for layer in layers:
            if layer not in layer_arns and f":{account_id}:" in layer:
                raise UnsupportedResourceError(
                    FUNCTION_TYPE, logical_id, f"layer {layer} is not a LayerVersion of this stack"
                )
        # Layers from other accounts (e.g. the public Powertools layer) are served by the venv.
        environment = {
            key: _env_text(value) for key, value in props.get("Environment", {}).get("Variables", {}).items()
        }
        service = environment.get("POWERTOOLS_SERVICE_NAME", "")
        return cls(
            logical_id=logical_id,
            name=resource.physical_id,
            arn=str(resource.attributes["Arn"]),
            short_name=service.removeprefix("vigil-") if service else logical_id,
            handler=handler,
            runtime=runtime,
            code_dir=code_dir,
            module_file=module_file,
            timeout_s=float(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            environment=environment,
            layers=layers,
            has_siblings=any(
                path != module_file and (path.suffix == ".py" or (path / "__init__.py").is_file())
                for path in code_dir.iterdir()
            ),
        )

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.name}"


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class LocalLambdaContext:
    """The attributes and method of the Lambda runtime's context object."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float = field(repr=False)
    identity: Any = None
    client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass
class _Loaded:
    module_name: str
    handler: Handler
    log_stream_name: str


class FunctionRegistry:
    """Functions by short name (POWERTOOLS_SERVICE_NAME without ``vigil-``), logical id, name or ARN."""

    def __init__(
        self,
        specs: list[FunctionSpec],
        *,
        backend_url: str,
        log_dir: Path,
        region: str = DEFAULT_REGION,
        extra_environment: Mapping[str, str] | None = None,
    ) -> None:
        self.specs = specs
        self.backend_url = backend_url
        # Local-only settings every function sees on top of its own (e.g. a faster escalation clock).
        self.extra_environment = dict(extra_environment or {})
        self.region = region
        self.log_dir = log_dir
        self._loaded: dict[str, _Loaded] = {}
        self._log_files: dict[str, TextIO] = {}
        self._index: dict[str, FunctionSpec] = {}
        for spec in specs:
            for key in (spec.short_name, spec.logical_id, spec.name, spec.arn):
                self._index.setdefault(key, spec)

    @classmethod
    def from_stack(
        cls,
        stack: Mapping[str, Provisioned],
        *,
        assembly_dir: Path,
        account_id: str,
        backend_url: str,
        log_dir: Path,
        region: str = DEFAULT_REGION,
        extra_environment: Mapping[str, str] | None = None,
    ) -> FunctionRegistry:
        layer_arns = {resource.physical_id for resource in stack.values() if resource.type == LAYER_TYPE}
        specs = [
            FunctionSpec.from_resource(
                logical_id, resource, assembly_dir=assembly_dir, account_id=account_id, layer_arns=layer_arns
            )
            for logical_id, resource in stack.items()
            if resource.type == FUNCTION_TYPE
        ]
        return cls(specs, backend_url=backend_url, log_dir=log_dir, region=region, extra_environment=extra_environment)

    def names(self) -> list[str]:
        return sorted(spec.short_name for spec in self.specs)

    def get(self, name: str) -> FunctionSpec:
        try:
            return self._index[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise FunctionNotFoundError(f"unknown function {name!r}; known functions: {known}") from None

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{self.get(name).short_name}.log"

    def invoke(self, name: str, event: Any) -> Any:
        """Run the function's handler on ``event`` and return its result; raises ``FunctionError``."""
        spec = self.get(name)
        with _INVOKE_LOCK, self._environment(spec):
            install_stdout_router()
            log = self._log_file(spec)
            with routed_to(log):
                loaded = self._load(spec, log)
                return self._call(spec, loaded, event, log)

    def _call(self, spec: FunctionSpec, loaded: _Loaded, event: Any, log: TextIO) -> Any:
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        context = LocalLambdaContext(
            function_name=spec.name,
            function_version="$LATEST",
            invoked_function_arn=spec.arn,
            memory_limit_in_mb=spec.memory_mb,
            aws_request_id=request_id,
            log_group_name=spec.log_group_name,
            log_stream_name=loaded.log_stream_name,
            deadline=started + spec.timeout_s,
        )
        log.write(f"START RequestId: {request_id} Version: $LATEST\n")
        failure: FunctionError | None = None
        result: Any = None
        try:
            with self._code_dir_on_path(spec):
                result = loaded.handler(event, context)
        except (Exception, SystemExit) as exc:  # sys.exit() in a handler fails the invocation, as in Lambda
            failure = self._failure(spec, exc, request_id, log)
        elapsed_s = time.monotonic() - started
        if failure is None and elapsed_s > spec.timeout_s:
            message = f"Task timed out after {spec.timeout_s:.2f} seconds"
            log.write(f"{_now_iso()} {request_id} {message} (ran {elapsed_s:.2f} s; not interruptible locally)\n")
            failure = FunctionError(spec.short_name, "Sandbox.Timedout", message)
        log.write(f"END RequestId: {request_id}\n")
        log.write(
            f"REPORT RequestId: {request_id}\tDuration: {elapsed_s * 1000:.2f} ms\tMemory Size: {spec.memory_mb} MB\n"
        )
        if failure is not None:
            raise failure
        return result

    @staticmethod
    def _failure(spec: FunctionSpec, exc: BaseException, request_id: str, log: TextIO) -> FunctionError:
        stack = traceback.format_exception(exc)
        # The shape the Python runtime logs for an unhandled exception.
        log.write(f"[ERROR] {type(exc).__name__}: {exc}\t{request_id}\n{''.join(stack)}")
        error = FunctionError(spec.short_name, type(exc).__name__, str(exc), "".join(stack))
        error.__cause__ = exc
        return error

    def _load(self, spec: FunctionSpec, log: TextIO) -> _Loaded:
        if spec.logical_id in self._loaded:
            return self._loaded[spec.logical_id]
        # A unique module name per function and registry: two clouds never share handler module state.
        module_name = f"vigil_local_fn_{spec.logical_id}_{next(_module_numbers)}"
        import_spec = importlib.util.spec_from_file_location(module_name, spec.module_file)
        if import_spec is None or import_spec.loader is None:
            raise FunctionError(spec.short_name, "Runtime.ImportModuleError", f"cannot load {spec.module_file}")
        module = importlib.util.module_from_spec(import_spec)
        sys.modules[module_name] = module  # pydantic and dataclasses look their module up by name
        try:
            with self._code_dir_on_path(spec):
                import_spec.loader.exec_module(module)
            handler = _handler_attribute(spec, module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            failure = self._failure(spec, exc, "-", log)
            raise FunctionError(spec.short_name, "Runtime.ImportModuleError", str(exc), failure.stack_trace) from exc
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        loaded = _Loaded(module_name, handler, stream)
        self._loaded[spec.logical_id] = loaded
        return loaded

    @contextmanager
    def _code_dir_on_path(self, spec: FunctionSpec) -> Iterator[None]:
        """Put the asset folder on sys.path only when the handler module has siblings to import."""
        if not spec.has_siblings:
            yield
            return
        sys.path.insert(0, str(spec.code_dir))
        try:
            yield
        finally:
            with suppress(ValueError):
                sys.path.remove(str(spec.code_dir))

    def function_environment(self, spec: FunctionSpec) -> dict[str, str]:
        """The process environment a handler runs with: host env minus AWS settings, plus its own."""
        environment = {key: value for key, value in os.environ.items() if not key.startswith(_SCRUBBED_PREFIXES)}
        environment.update(spec.environment)
        environment.update(self.extra_environment)
        environment.update(
            {
                "AWS_ENDPOINT_URL": self.backend_url,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region,
                "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY_ID,
                "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_ACCESS_KEY,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group_name,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "LAMBDA_TASK_ROOT": str(spec.code_dir),
            }
        )
        return environment

    @contextmanager
    def _environment(self, spec: FunctionSpec) -> Iterator[None]:
        saved = dict(os.environ)
        _replace_environment(self.function_environment(spec))
        try:
            yield
        finally:
            _replace_environment(saved)

    def append_log(self, name: str, text: str) -> None:
        """Write a runtime message (e.g. a malformed proxy response) into the function's log."""
        spec = self.get(name)
        with _INVOKE_LOCK:
            self._log_file(spec).write(text)

    def _log_file(self, spec: FunctionSpec) -> TextIO:
        if spec.logical_id not in self._log_files:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            path = self.log_dir / f"{spec.short_name}.log"
            self._log_files[spec.logical_id] = path.open("a", encoding="utf-8", buffering=1)
        return self._log_files[spec.logical_id]

    def close(self) -> None:
        """Close log files and forget the imported handler modules."""
        with _INVOKE_LOCK:
            for log in self._log_files.values():
                log.close()
            self._log_files.clear()
            for loaded in self._loaded.values():
                sys.modules.pop(loaded.module_name, None)
            self._loaded.clear()


def _handler_attribute(spec: FunctionSpec, module: ModuleType) -> Handler:
    function_name = spec.handler.rpartition(".")[2]
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise AttributeError(f"handler {spec.handler!r}: {spec.module_file.name} has no function {function_name!r}")
    return handler  # type: ignore[no-any-return]


def _replace_environment(target: Mapping[str, str]) -> None:
    """Change os.environ key by key (never clear it: other threads, e.g. moto's, keep reading it)."""
    for key in [key for key in os.environ if key not in target]:
        del os.environ[key]
    for key, value in target.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
