"""``vigil local up`` and ``vigil local invoke``.

Heavy imports (boto3, moto, the runtime) happen inside the commands so ``vigil --help`` stays quick.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigil_cli import CliError

if TYPE_CHECKING:
    from vigil_cli.demo_channel import DemoChannel
    from vigil_cli.local.cloud import LocalCloud
    from vigil_cli.local.functions import FunctionRegistry
    from vigil_cli.local.view import TerminalView

DEFAULT_DEMO_TARGET_PORT = 8081
DEFAULT_DEMO_CHANNEL_PORT = 8082
STATE_FILE = "local.json"
STACK_STATE_FILE = "stack.json"
DEFAULT_STATE_DIR = ".vigil"
DEMO_POINT = '{"points":[{"name":"demo.cpu","type":"gauge","value":42.5,"unit":"percent","labels":{"host":"web-1"}}]}'


def register(subparsers: Any) -> None:
    local = subparsers.add_parser(
        "local", help="run vigil on this machine: real handlers on an emulated cloud (moto or LocalStack)"
    )
    commands = local.add_subparsers(dest="local_command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="synthesize the CDK app, start the local cloud and serve the API")
    up.add_argument("--port", type=int, default=8080, help="API port on 127.0.0.1 (default 8080; 0 picks a free one)")
    _add_common_options(up)
    up.add_argument(
        "--time-factor",
        type=_positive_float,
        default=1.0,
        help="run schedules and TTL faster than real time (60: a minute per second)",
    )
    up.add_argument(
        "--escalation-time-factor",
        type=_positive_float,
        default=1.0,
        help="replay escalation schedules faster than real time (60: a level due after a minute pages after a "
        "second); local runs only, a deployed stack always waits as planned",
    )
    up.add_argument(
        "--cloudformation",
        choices=("deploy", "attach"),
        help="with --backend-url: deploy = deploy the synthesized template through the backend's CloudFormation "
        "(e.g. LocalStack) and run the handlers against it; attach = use a stack already deployed there, "
        "e.g. by `cdklocal deploy`, and run the handlers against it",
    )
    up.add_argument(
        "--stack-name", metavar="NAME", help="with --cloudformation: the stack to deploy or attach to (default: Vigil)"
    )
    up.add_argument(
        "--monitors",
        type=Path,
        metavar="FILE",
        help="deploy these monitors as code (default: the demo monitors, which check the local demo target)",
    )
    up.add_argument(
        "--demo-target-port",
        type=int,
        default=DEFAULT_DEMO_TARGET_PORT,
        help=f"port of the flapping demo service on 127.0.0.1 (default {DEFAULT_DEMO_TARGET_PORT}; 0 picks one)",
    )
    up.add_argument("--no-demo-target", action="store_true", help="do not start the demo service")
    up.add_argument(
        "--demo-channel-port",
        type=int,
        default=DEFAULT_DEMO_CHANNEL_PORT,
        help="port of the demo notification channel (a stand-in Slack webhook printing what it receives) on "
        f"127.0.0.1 (default {DEFAULT_DEMO_CHANNEL_PORT}; 0 picks one)",
    )
    up.add_argument("--no-demo-channel", action="store_true", help="do not start the demo notification channel")
    up.set_defaults(func=command_up, usage_error=up.error)

    invoke = commands.add_parser("invoke", help="invoke one function once with an event file; prints its result")
    invoke.add_argument("function", metavar="FUNCTION", help="short name (e.g. ingest), logical id or name")
    invoke.add_argument("event_file", metavar="EVENT_FILE", type=Path, help="JSON event")
    _add_common_options(invoke)
    invoke.set_defaults(func=command_invoke)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend-url", help="use this AWS endpoint (e.g. LocalStack at http://127.0.0.1:4566) instead of moto"
    )
    parser.add_argument(
        "--state-dir", type=Path, default=Path(DEFAULT_STATE_DIR), help="state, logs and cdk.out (default: .vigil)"
    )
    # For tests and tooling: a ready template instead of synthesizing the CDK app.
    parser.add_argument("--template", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--assembly-dir", type=Path, help=argparse.SUPPRESS)


# --- state file ------------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_running_state(state_dir: Path) -> dict[str, Any] | None:
    """The state of a local cloud whose process is alive, or None."""
    try:
        state = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pid = state.get("pid") if isinstance(state, dict) else None
    return state if isinstance(pid, int) and _pid_alive(pid) else None


def _template_source(args: argparse.Namespace, context: dict[str, Any] | None = None) -> tuple[Path, Path]:
    if args.template is not None:
        return args.template, args.assembly_dir or args.template.parent
    from vigil_cli.local.synth import synthesize

    outdir = args.state_dir / "cdk.out"
    print(f"vigil local: synthesizing the CDK app into {outdir} ...", file=sys.stderr, flush=True)
    return synthesize(outdir, context=context), outdir


def _probe_context(args: argparse.Namespace, demo_target_url: str | None) -> dict[str, Any]:
    """Context for the local synth: which monitors to deploy, and a canary on 127.0.0.1 (never the internet)."""
    from vigil_cli.bootstrap import DEMO_TENANT_ID
    from vigil_cli.demo_target import demo_monitors
    from vigil_cli.local.synth import find_repo_root, synth_context

    probes = dict(synth_context(find_repo_root())["vigil:probes"])
    probes["canaryUrl"] = f"{demo_target_url}/canary" if demo_target_url else ""
    if args.monitors is not None:
        if not args.monitors.is_file():
            raise CliError(f"--monitors: no such file: {args.monitors}")
        monitors_file = args.monitors.resolve()
    elif demo_target_url is not None:
        import yaml

        monitors_file = (args.state_dir / "demo-monitors.yaml").resolve()
        monitors_file.parent.mkdir(parents=True, exist_ok=True)
        monitors_file.write_text(yaml.safe_dump(demo_monitors(demo_target_url, DEMO_TENANT_ID), sort_keys=False))
    else:
        monitors_file = None
    return {"vigil:probes": probes, **({"vigil:monitorsFile": str(monitors_file)} if monitors_file else {})}


# --- vigil local up --------------------------------------------------------------------------------


def _check_cloudformation_options(args: argparse.Namespace) -> None:
    """Usage errors (exit 2) for option combinations argparse cannot express."""
    if args.cloudformation is not None and not args.backend_url:
        args.usage_error(
            "--cloudformation needs --backend-url: the embedded moto starts empty and its CloudFormation "
            "is not used (e.g. --backend-url http://127.0.0.1:4566 for LocalStack)"
        )
    if args.stack_name is not None and args.cloudformation is None:
        args.usage_error("--stack-name needs --cloudformation deploy or attach")


def command_up(args: argparse.Namespace) -> int:
    _check_cloudformation_options(args)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    return run_up(args, stop)


def run_up(args: argparse.Namespace, stop: threading.Event) -> int:
    """Start the demo service, the demo channel and the cloud, bootstrap the demo tenant, serve until ``stop`` is
    set, clean up."""
    from vigil_cli.local.view import TerminalView

    state_dir: Path = args.state_dir
    running = read_running_state(state_dir)
    if running is not None:
        raise CliError(
            f"a local cloud is already running (pid {running['pid']}, {running.get('url')}); "
            f"stop it first or use another --state-dir"
        )
    # A ready template (tests, tooling) deploys no monitors, so it gets no demo service either.
    synthesizing = args.template is None
    view = TerminalView()
    demo_target = _start_demo_target(args.demo_target_port) if synthesizing and not args.no_demo_target else None
    demo_channel = None
    try:
        # Like the demo service, the demo channel is for the synthesized stack (a ready template is tooling's).
        if synthesizing and not args.no_demo_channel:
            demo_channel = _start_demo_channel(args.demo_channel_port, view)
        context = _probe_context(args, demo_target.url if demo_target else None) if synthesizing else None
        template, assembly_dir = _template_source(args, context)
        return _serve(args, stop, view, template, assembly_dir, demo_target.url if demo_target else None, demo_channel)
    finally:
        if demo_channel is not None:
            demo_channel.stop()
        if demo_target is not None:
            demo_target.stop()


def _start_demo_target(port: int) -> Any:
    from vigil_cli.demo_target import DemoTarget

    try:
        return DemoTarget(port).start()
    except OSError as exc:
        raise CliError(
            f"the demo service cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
            "pass --demo-target-port 0, another port, or --no-demo-target"
        ) from None


def _start_demo_channel(port: int, view: TerminalView) -> DemoChannel:
    from vigil_cli.demo_channel import DemoChannel

    try:
        return DemoChannel(port, output=view.line).start()
    except OSError as exc:
        raise CliError(
            f"the demo notification channel cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
            "pass --demo-channel-port 0, another port, or --no-demo-channel"
        ) from None


def _serve(
    args: argparse.Namespace,
    stop: threading.Event,
    view: TerminalView,
    template: Path,
    assembly_dir: Path,
    demo_target_url: str | None,
    demo_channel: DemoChannel | None,
) -> int:
    from vigil_cli.local.cloud import LocalCloud
    from vigil_cli.local.template import DEFAULT_STACK_NAME

    state_dir: Path = args.state_dir
    cloud = LocalCloud(
        template,
        assembly_dir,
        backend_url=args.backend_url,
        api_port=args.port,
        state_dir=state_dir,
        time_factor=args.time_factor,
        escalation_time_factor=args.escalation_time_factor,
        on_request=view.request,
        on_invocation=view.invocation,
        cloudformation=args.cloudformation,
        stack_name=args.stack_name or DEFAULT_STACK_NAME,
    )
    state_path = state_dir / STATE_FILE
    cloud.start()
    try:
        if cloud.api_url is None:
            raise CliError("the template has no API Gateway RestApi to serve")
        tenant = _create_demo_tenant(cloud)
        _enable_default_rule_pack(cloud, tenant.tenant_id)
        if "sla" in cloud.functions.names():
            importlib.import_module("vigil_cli.bootstrap").create_demo_slos(cloud, tenant.tenant_id)
        demo_channel_used = _enable_demo_channel(cloud, tenant.tenant_id, demo_channel)
        has_dashboard = "dashboard" in cloud.functions.names()
        operator = _prepare_dashboard(cloud, tenant.tenant_id) if has_dashboard else None
        cloud.write_stack_state(state_dir / STACK_STATE_FILE)
        state = {
            "url": cloud.api_url,
            "backend_url": cloud.backend_url,
            "api_key": tenant.api_key,
            "tenant_id": tenant.tenant_id,
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "template": str(Path(template).resolve()),
            "assembly_dir": str(Path(assembly_dir).resolve()),
            "cloudformation_stack": cloud.cloudformation_stack_name,
            "demo_target_url": demo_target_url,
            "demo_channel_url": demo_channel.webhook_url if demo_channel is not None else None,
            "status_page_url": f"{cloud.api_url}/public/status/{tenant.tenant_id}" if has_dashboard else None,
            "operator_tenant_id": operator.tenant_id if operator else None,
            "operator_api_key": operator.api_key if operator else None,
        }
        state_path.write_text(json.dumps(state, indent=2), encoding="utf-8")
        view.line(_banner(cloud, state, demo_channel_used))
        while not stop.wait(0.5):
            pass
        view.line("vigil local: stopping ...")
    finally:
        for path in (state_path, state_dir / STACK_STATE_FILE):
            path.unlink(missing_ok=True)
        cloud.stop()
    return 0


def _prepare_dashboard(cloud: LocalCloud, tenant_id: str) -> Any:
    """The demo tenant's public status page and an operator's key for the platform overview."""
    bootstrap = importlib.import_module("vigil_cli.bootstrap")
    bootstrap.enable_demo_status_page(cloud, tenant_id)
    return bootstrap.create_operator_key(cloud)


def _create_demo_tenant(cloud: LocalCloud) -> Any:
    try:
        bootstrap = importlib.import_module("vigil_cli.bootstrap")
    except ModuleNotFoundError as exc:
        if exc.name != "vigil_cli.bootstrap":
            raise
        raise CliError("vigil_cli.bootstrap is missing, so no demo tenant can be created") from exc
    return bootstrap.create_demo_tenant(cloud)


def _enable_default_rule_pack(cloud: LocalCloud, tenant_id: str) -> None:
    """The demo tenant gets the default rule pack when the stack has alerting (a --template may not)."""
    if "alerts" in cloud.functions.names():
        importlib.import_module("vigil_cli.bootstrap").enable_default_rule_pack(cloud, tenant_id)


def _enable_demo_channel(cloud: LocalCloud, tenant_id: str, demo_channel: DemoChannel | None) -> bool | None:
    """Point the demo tenant's Slack notifications at the demo channel when the stack has notifiers. None when
    there is nothing to point (no channel, or no Slack notifier); else whether the tenant's policy uses it."""
    if demo_channel is None or "notifier-slack" not in cloud.functions.names():
        return None
    used: bool = importlib.import_module("vigil_cli.bootstrap").enable_demo_channel(
        cloud, demo_channel.webhook_url, tenant_id
    )
    return used


def _notification_lines(state: dict[str, Any], demo_channel_used: bool | None) -> list[str]:
    if demo_channel_used is None:
        return []
    url, key, channel_url = state["url"], state["api_key"], state["demo_channel_url"]
    if demo_channel_used:
        heading = (
            f"Notifications go to Slack channel demo-slack: the demo channel at {channel_url}, a stand-in for a "
            "Slack webhook,\nprints each one below (`notification  [FIRING] ...`). An alert's delivery log is "
            "its `notifications`:"
        )
    else:
        heading = (
            f"The demo channel listens at {channel_url}, but the tenant's notification policy (kept from an earlier "
            "run)\nhas no Slack channel reading secret vigil/notify/demo-slack. An alert's delivery log is its "
            "`notifications`:"
        )
    lines = [
        heading,
        f'  curl -sS "{url}/v1/alerts/<id>" -H "x-api-key: {key}"',
        f'  curl -sS "{url}/v1/notification-policy" -H "x-api-key: {key}"',
    ]
    if demo_channel_used:
        lines += [
            "A critical alert nobody acknowledges escalates to the channel after a minute "
            "(`notification  [FIRING] ...`, level 1):",
            f'  curl -sS "{url}/v1/alerts/<id>/escalation" -H "x-api-key: {key}"',
        ]
    return lines


def _banner(cloud: LocalCloud, state: dict[str, Any], demo_channel_used: bool | None = None) -> str:
    url, key = state["url"], state["api_key"]
    stage = cloud.rest_api.stage if cloud.rest_api else ""
    backend = "embedded moto" if cloud.uses_embedded_moto else "external"
    stack = cloud.cloudformation_stack_name
    return "\n".join(
        [
            "",
            "vigil local cloud is up",
            f"  API      {url}   (the /{stage} prefix works too)",
            f"  backend  {cloud.backend_url} ({backend})",
            *([f"  stack    {stack} (CloudFormation, left in place on exit)"] if stack else []),
            f"  tenant   {state['tenant_id']}",
            f"  API key  {key}",
            f"  logs     {cloud.state_dir / 'logs'}/<function>.log",
            "",
            "Send a point:",
            f'  curl -sS -X POST {url}/v1/metrics -H "x-api-key: {key}" '
            f"-H \"content-type: application/json\" -d '{DEMO_POINT}'",
            "Query it:",
            f'  curl -sS "{url}/v1/metrics/demo.cpu?from=-15m" -H "x-api-key: {key}"',
            "Watch the demo monitors (UP, DEGRADED, PENDING, DOWN and back within 5 minutes):",
            f'  curl -sS "{url}/v1/monitors" -H "x-api-key: {key}"',
            f'  curl -sS "{url}/v1/monitors/demo-shop/results?hours=1" -H "x-api-key: {key}"',
            "Alerts (the default rule pack is on: a demo monitor down for a minute fires `service-down`):",
            f'  curl -sS "{url}/v1/alerts" -H "x-api-key: {key}"',
            f'  curl -sS "{url}/v1/alert-rules" -H "x-api-key: {key}"',
            "SLOs and the SLA report (availability, latency, error budget, burn rate; json, csv or html):",
            f'  curl -sS "{url}/v1/slos/demo-shop-availability/status" -H "x-api-key: {key}"',
            f'  curl -sS "{url}/v1/sla/{state["tenant_id"]}?period=daily" -H "x-api-key: {key}"',
            f'  curl -sS "{url}/v1/reports/sla?tenant={state["tenant_id"]}&period=monthly&format=html" '
            f'-H "x-api-key: {key}" -o sla.html',
            *_dashboard_lines(state),
            *_notification_lines(state, demo_channel_used),
            "",
            "Ctrl-C stops it. Requests and invocations:",
        ]
    )


def _dashboard_lines(state: dict[str, Any]) -> list[str]:
    if not state.get("status_page_url"):
        return []  # a --template without the dashboard
    url, key, tenant = state["url"], state["api_key"], state["tenant_id"]
    lines = [
        "Status page (open in a browser; the private page asks for the API key once):",
        f"  {state['status_page_url']}",
        f"  {url}/status/{tenant}",
        "Prometheus scrape and the platform overview (an operator's key):",
        f'  curl -sS "{url}/v1/metrics/export/prometheus" -H "x-api-key: {key}"',
    ]
    if state.get("operator_api_key"):
        lines.append(f'  curl -sS "{url}/v1/dashboard/health" -H "x-api-key: {state["operator_api_key"]}"')
    return lines


# --- vigil local invoke ----------------------------------------------------------------------------


def _read_event(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read event file {path}: {exc.strerror or exc}") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CliError(f"event file {path} is not valid JSON: {exc}") from exc


def command_invoke(args: argparse.Namespace) -> int:
    from vigil_cli.local.cloud import LocalCloud, registry_from_stack_state

    event = _read_event(args.event_file)
    state_dir: Path = args.state_dir
    if args.template is None and read_running_state(state_dir) is not None:
        registry = registry_from_stack_state(state_dir / STACK_STATE_FILE, log_dir=state_dir / "logs")
        try:
            return _invoke_and_print(registry, args.function, event)
        finally:
            registry.close()
    template, assembly_dir = _template_source(args)
    with LocalCloud(
        template,
        assembly_dir,
        backend_url=args.backend_url,
        state_dir=state_dir,
        start_api=False,
        start_schedules=False,
        start_pollers=False,
        start_sweeper=False,
    ) as cloud:
        if "ingest" in cloud.functions.names():  # vigil's own stack (a --template may be another)
            importlib.import_module("vigil_cli.bootstrap").register_sample_events_key(cloud)
        return _invoke_and_print(cloud.functions, args.function, event)


def _invoke_and_print(registry: FunctionRegistry, name: str, event: Any) -> int:
    from vigil_cli.local.errors import FunctionError

    spec = registry.get(name)
    try:
        result = registry.invoke(name, event)
    except FunctionError as exc:
        print(f"vigil: {spec.short_name} raised {exc.error_type}: {exc.error_message}", file=sys.stderr)
        if exc.stack_trace:
            print(exc.stack_trace.rstrip(), file=sys.stderr)
        print(f"(log: {registry.log_path(name)})", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=str))
    print(f"(log: {registry.log_path(name)})", file=sys.stderr)
    return 0
