"""The local cloud: vigil's real Lambda handlers run in-process against emulated AWS APIs.

The synthesized CloudFormation template is the single source of truth. ``LocalCloud`` (in ``cloud``)
provisions its resources into moto (embedded) or any endpoint such as LocalStack, then drives the
compute triggers neither emulator runs without Docker: API Gateway, schedules, SQS event sources, TTL.
"""
