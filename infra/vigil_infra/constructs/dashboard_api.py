"""What people look at and manage for themselves: the `dashboard` function (status pages, the platform overview,
the Prometheus export; it only reads) and the `account` function (API keys and status page settings)."""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigateway
from constructs import Construct

from vigil_infra.config import StackConfig
from vigil_infra.constructs.function import VigilFunction
from vigil_infra.constructs.ingest_api import AUTHENTICATED_IN_FUNCTION, IngestApi
from vigil_infra.constructs.layers import VigilLayers
from vigil_infra.constructs.storage import VigilStorage
from vigil_infra.nag import acknowledge_nag_finding
from vigil_infra.paths import ProjectPaths

# The platform overview reads every tenant; API Gateway gives up on an integration after 29 s.
DASHBOARD_TIMEOUT: Final = Duration.seconds(29)
_PUBLIC_STATUS_PAGE: Final = (
    "A tenant's public status page is meant to be read by anyone; the function serves it only to tenants who "
    "switched it on, and it shows no targets, labels or alert details."
)


class DashboardApi(Construct):
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

        def function(construct_id: str, name: str, environment: dict[str, str], timeout: Duration) -> VigilFunction:
            return VigilFunction(
                self,
                construct_id,
                name=name,
                code_dir=paths.function_code(name),
                layers=layers.all_layers,
                log_retention=config.log_retention,
                removal_policy=config.removal_policy,
                environment=environment,
                timeout=timeout,
            )

        self.dashboard_function = function(
            "DashboardFunction",
            "dashboard",
            {
                "CONFIG_TABLE_NAME": storage.config_table.table_name,
                "PROBES_TABLE_NAME": storage.probes_table.table_name,
                "ALERTS_TABLE_NAME": storage.alerts_table.table_name,
                "SLA_WINDOWS_TABLE_NAME": storage.sla_windows_table.table_name,
                "METRICS_TABLE_NAME": storage.metrics_table.table_name,
                "OPERATOR_TENANTS": ",".join(config.sla.operator_tenants),
            },
            DASHBOARD_TIMEOUT,
        )
        reader = self.dashboard_function.function
        storage.grant_config_access(reader, write=False, rules_index=True)  # tenants through the by-kind index
        storage.probes_table.grant_read_data(reader)
        storage.grant_alerts_access(reader, write=False)
        storage.sla_windows_table.grant_read_data(reader)
        storage.metrics_table.grant_read_data(reader)

        self.account_function = function(
            "AccountFunction", "account", {"CONFIG_TABLE_NAME": storage.config_table.table_name}, Duration.seconds(10)
        )
        storage.grant_config_access(self.account_function.function, write=True)

        self.methods = self._routes(api)

    def _routes(self, api: IngestApi) -> list[apigateway.Method]:
        dashboard = apigateway.LambdaIntegration(self.dashboard_function.function, allow_test_invoke=False)
        account = apigateway.LambdaIntegration(self.account_function.function, allow_test_invoke=False)
        root = api.rest_api.root
        v1 = root.get_resource("v1") or root.add_resource("v1")
        metrics = v1.get_resource("metrics") or v1.add_resource("metrics")
        status = root.add_resource("status").add_resource("{tenant}")
        public_status = root.add_resource("public").add_resource("status").add_resource("{tenant}")
        keys = v1.add_resource("keys")
        status_page = v1.add_resource("status-page")
        authenticated = [
            status.add_method("GET", dashboard),
            status.add_method("POST", dashboard),  # the browser's sign-in form
            v1.add_resource("dashboard").add_resource("health").add_method("GET", dashboard),
            metrics.add_resource("export").add_resource("prometheus").add_method("GET", dashboard),
            keys.add_method("GET", account),
            keys.add_method("POST", account),
            keys.add_resource("{id}").add_method("DELETE", account),
            status_page.add_method("GET", account),
            status_page.add_method("PUT", account),
        ]
        for method in authenticated:
            acknowledge_nag_finding(method, rule="APIG4", reason=AUTHENTICATED_IN_FUNCTION)
            acknowledge_nag_finding(method, rule="COG4", reason=AUTHENTICATED_IN_FUNCTION)
        public = public_status.add_method("GET", dashboard)
        acknowledge_nag_finding(public, rule="APIG4", reason=_PUBLIC_STATUS_PAGE)
        acknowledge_nag_finding(public, rule="COG4", reason=_PUBLIC_STATUS_PAGE)
        return [*authenticated, public]
