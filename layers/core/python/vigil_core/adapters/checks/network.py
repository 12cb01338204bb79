"""One entry point for every network check, holding the SSL contexts the checks share."""

from __future__ import annotations

import ssl
from collections import OrderedDict
from typing import assert_never

from vigil_core.adapters.checks.dns import observe_dns
from vigil_core.adapters.checks.http import observe_http
from vigil_core.adapters.checks.tcp import observe_tcp
from vigil_core.adapters.checks.tls import describe_tls_error, non_verifying_context, observe_tls, verifying_context
from vigil_core.models.monitors import (
    DnsMonitor,
    HeartbeatMonitor,
    HttpMonitor,
    MonitorDefinition,
    TcpMonitor,
    TlsMonitor,
)
from vigil_core.probes.observations import Observation

# Contexts trusting a monitor's private CA, kept so a run of many checks does not reload the CA list for each.
_MAX_CACHED_CA_CONTEXTS = 64


class NetworkChecks:
    """Performs one check attempt and reports what it saw; retries, time limits and verdicts are the caller's.

    Cheap to create: SSL contexts are built on first use (loading the CA list costs tens of milliseconds)
    and then shared by every check this instance runs.
    """

    def __init__(self) -> None:
        self._verifying: ssl.SSLContext | None = None
        self._non_verifying: ssl.SSLContext | None = None
        self._verifying_with_ca: OrderedDict[str, ssl.SSLContext] = OrderedDict()

    async def observe(self, definition: MonitorDefinition) -> Observation:
        """One attempt; failures are reported in the Observation. Raises ValueError for a heartbeat monitor."""
        if isinstance(definition, HttpMonitor):
            context = self.verifying_context() if definition.verify_tls else self.non_verifying_context()
            return await observe_http(definition, context)
        if isinstance(definition, TcpMonitor):
            return await observe_tcp(definition)
        if isinstance(definition, DnsMonitor):
            return await observe_dns(definition)
        if isinstance(definition, TlsMonitor):
            try:
                verifying = self.verifying_context(definition.ca_pem)
            except ssl.SSLError as exc:
                error = f"ca_pem holds no usable certificate: {describe_tls_error(exc)}"
                return Observation(connected=False, error=error)
            return await observe_tls(definition, verifying, self.non_verifying_context())
        if isinstance(definition, HeartbeatMonitor):
            raise ValueError("heartbeats are not network checks: the monitored app reports to vigil")
        assert_never(definition)

    def verifying_context(self, ca_pem: str | None = None) -> ssl.SSLContext:
        """The context that verifies certificates, trusting `ca_pem` besides the usual CAs when given."""
        if not ca_pem:
            if self._verifying is None:
                self._verifying = verifying_context()
            return self._verifying
        context = self._verifying_with_ca.get(ca_pem)
        if context is None:
            context = verifying_context(ca_pem)
            self._verifying_with_ca[ca_pem] = context
            if len(self._verifying_with_ca) > _MAX_CACHED_CA_CONTEXTS:
                self._verifying_with_ca.popitem(last=False)
        else:
            self._verifying_with_ca.move_to_end(ca_pem)
        return context

    def non_verifying_context(self) -> ssl.SSLContext:
        """The context that accepts any certificate: for verify_tls=False, and to read one that failed to verify."""
        if self._non_verifying is None:
            self._non_verifying = non_verifying_context()
        return self._non_verifying
