"""Network checks: one attempt against a target, reported as an Observation and never judged here.

Each adapter bounds its own sockets by the definition's timeout; the caller still wraps the call in
asyncio.wait_for, and decides from the Observation whether the target is UP, DEGRADED or DOWN.
"""

from vigil_core.adapters.checks.network import NetworkChecks

__all__ = ["NetworkChecks"]
