"""Errors of the local cloud. All are ``CliError``s, so the CLI prints them without a traceback."""

from __future__ import annotations

from vigil_cli import CliError


class LocalCloudError(CliError):
    """Base class of every error raised by the local cloud."""


class TemplateError(LocalCloudError):
    """The CloudFormation template cannot be read or resolved."""


class UnsupportedResourceError(LocalCloudError):
    """The template uses something the local cloud cannot emulate; never skipped in silence."""

    def __init__(self, resource_type: str, logical_id: str, reason: str = "") -> None:
        detail = f": {reason}" if reason else ""
        super().__init__(f"{resource_type} ({logical_id}) is not supported by the local cloud{detail}")
        self.resource_type = resource_type
        self.logical_id = logical_id


class ProvisioningError(LocalCloudError):
    """The backend refused to create a resource."""


class CloudFormationError(LocalCloudError):
    """The backend's CloudFormation did not deploy the stack, or the stack to attach to is not usable."""


class BackendError(LocalCloudError):
    """The AWS API backend (embedded moto or an endpoint URL) cannot be started or reached."""


class SynthError(LocalCloudError):
    """The CDK app failed to synthesize."""


class ScheduleError(LocalCloudError):
    """A schedule expression the local scheduler cannot run."""


class FunctionNotFoundError(LocalCloudError):
    """No function in the template answers to the name."""


class FunctionError(LocalCloudError):
    """A handler raised, could not be imported, or ran past its timeout (the invocation failed)."""

    def __init__(self, function: str, error_type: str, message: str, stack_trace: str = "") -> None:
        super().__init__(f"function {function} failed: {error_type}: {message}")
        self.function = function
        self.error_type = error_type
        self.error_message = message
        self.stack_trace = stack_trace
