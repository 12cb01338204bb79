"""cdk-nag wiring: the AwsSolutions pack and the one way this app acknowledges a finding.

cdk-nag 3 is a CDK validation plugin: an unacknowledged finding (error or warning) fails the synth, and
`cdk.out/validation-report.json` lists every finding with the acknowledgment and reason that covered it.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

NAG_PACK_NAME: Final = "AwsSolutions"

# A reason must explain itself: at least a sentence, not a ticket number or "n/a".
MIN_REASON_WORDS: Final = 8


def add_nag_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))


def acknowledge_nag_finding(construct: IConstruct, *, rule: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding on `construct` and the resources beneath it.

    `rule` is the id without the pack prefix, e.g. "L1" or "IAM5[Resource::*]" (a single finding of a
    multi-finding rule). Call it on the narrowest construct that holds the finding.
    """
    words = reason.split()
    if len(words) < MIN_REASON_WORDS or not reason.rstrip().endswith("."):
        raise ValueError(
            f"nag acknowledgment {rule} on {construct.node.path} needs a written reason "
            f"(a sentence of at least {MIN_REASON_WORDS} words), got {reason!r}"
        )
    rule_id = f"{NAG_PACK_NAME}::{NAG_PACK_NAME}-{rule}"
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def cfn_resource_of(construct: IConstruct) -> IConstruct:
    """The L1 resource behind an L2 construct: the narrowest place for an acknowledgment."""
    resource = construct.node.default_child
    if resource is None:
        raise ValueError(f"{construct.node.path} has no default child resource to acknowledge a finding on")
    return resource
