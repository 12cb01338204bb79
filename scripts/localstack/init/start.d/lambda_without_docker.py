# Lambda functions are created but never executed here: vigil's local runtime runs the handlers itself.
# Without Docker, LocalStack's only executor cannot prepare a function version (it pulls a runtime image),
# so CloudFormation could not create any function. Preparation becomes a no-op.
from localstack.services.lambda_.invocation.docker_runtime_executor import DockerRuntimeExecutor

DockerRuntimeExecutor.prepare_version = classmethod(lambda cls, function_version: None)
DockerRuntimeExecutor.validate_environment = classmethod(lambda cls: True)
