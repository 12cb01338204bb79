"""The monitors API on the shared REST API: `/v1/monitors[/{id}[/results]]` (API key) and
`/v1/heartbeats/{token}` (the token is the credential, so cron jobs can beat with a bare curl)."""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigateway
from constructs import Construct

from vigil_infra.config import StackConfig
from vigil_infra.constructs.function import VigilFunction
from vigil_infra.constructs.ingest_api import AUTHENTICATED_IN_FUNCTION, IngestApi
from vigil_infra.constructs.layers import VigilLayers
from vigil_infra.constructs.storage import VigilStorage
from vigil_infra.nag import acknowledge_nag_finding
from vigil_infra.paths import ProjectPaths

_PUSH_URLS_NEED_NO_KEY = (
    "A heartbeat URL carries a random 192-bit token that identifies one push monitor; like Uptime Kuma's and "
    "healthchecks.io's push URLs it is the credential, so a cron job can beat with a bare curl and no key."
)


class MonitorsApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        storage: VigilStorage,
        layers: VigilLayers,
        paths: ProjectPaths,
        api: IngestApi,
    ) -> None:
        super().__init__(scope, construct_id)
        environment = {
            "CONFIG_TABLE_NAME": storage.config_table.table_name,
            "PROBES_TABLE_NAME": storage.probes_table.table_name,
            "SLA_WINDOWS_TABLE_NAME": storage.sla_windows_table.table_name,
        }

        def function(construct_id: str, name: str) -> VigilFunction:
            return VigilFunction(
                self,
                construct_id,
                name=name,
                code_dir=paths.function_code(name),
                layers=layers.all_layers,
                log_retention=config.log_retention,
                removal_policy=config.removal_policy,
                environment=environment,
            )

        self.monitors_function = function("MonitorsFunction", "monitors")
        storage.grant_config_access(self.monitors_function.function, write=True)
        storage.probes_table.grant_read_write_data(self.monitors_function.function)  # states; delete on removal
        storage.sla_windows_table.grant_read_data(self.monitors_function.function)
        self.heartbeat_function = function("HeartbeatFunction", "heartbeat")
        storage.grant_config_access(self.heartbeat_function.function, write=False)
        storage.probes_table.grant_read_write_data(self.heartbeat_function.function)

        v1 = api.rest_api.root.get_resource("v1") or api.rest_api.root.add_resource("v1")
        monitors_integration = apigateway.LambdaIntegration(self.monitors_function.function, allow_test_invoke=False)
        monitors = v1.add_resource("monitors")
        monitor = monitors.add_resource("{id}")
        results = monitor.add_resource("results")
        self.monitor_methods = [
            monitors.add_method("GET", monitors_integration),
            monitors.add_method("POST", monitors_integration),
            monitor.add_method("GET", monitors_integration),
            monitor.add_method("PUT", monitors_integration),
            monitor.add_method("DELETE", monitors_integration),
            results.add_method("GET", monitors_integration),
        ]
        for method in self.monitor_methods:
            acknowledge_nag_finding(method, rule="APIG4", reason=AUTHENTICATED_IN_FUNCTION)
            acknowledge_nag_finding(method, rule="COG4", reason=AUTHENTICATED_IN_FUNCTION)
        heartbeat_integration = apigateway.LambdaIntegration(self.heartbeat_function.function, allow_test_invoke=False)
        heartbeat = v1.add_resource("heartbeats").add_resource("{token}")
        self.heartbeat_methods = [heartbeat.add_method(verb, heartbeat_integration) for verb in ("POST", "GET")]
        for method in self.heartbeat_methods:
            acknowledge_nag_finding(method, rule="APIG4", reason=_PUSH_URLS_NEED_NO_KEY)
            acknowledge_nag_finding(method, rule="COG4", reason=_PUSH_URLS_NEED_NO_KEY)
