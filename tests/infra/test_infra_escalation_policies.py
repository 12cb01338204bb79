"""Escalation policies as code: escalation-policies.yaml validated once at synth and shipped, normalized, beside
both the alerts API's handler and the escalator's, each told where it is (ESCALATION_POLICIES_FILE).

The shipping tests read the session's one synthesis; a bad file is refused while the app is built (before any
synthesis), and the loader is also called directly on temporary files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest
from aws_cdk import CfnElement
from aws_cdk.assertions import Template

from tests.infra.synthesized import PROJECT_ROOT, JsonObject, SynthesizedVigil, make_fake_dependencies_layer
from vigil_core.adapters.escalation_wiring import load_code_escalation_policies
from vigil_core.models.escalation import EscalationPolicy
from vigil_core.settings import AlertApiSettings, EscalatorSettings
from vigil_infra.application import build_app
from vigil_infra.config import DEPENDENCIES_LAYER_PATH_KEY, ESCALATION_POLICIES_FILE_KEY
from vigil_infra.constructs.escalation import InvalidEscalationPoliciesFileError, load_escalation_policies_file
from vigil_infra.constructs.function import VigilFunction
from vigil_infra.stack import VigilStack

pytestmark = pytest.mark.infra

# The two functions that read the policies, and the folder each handler comes from.
READERS = {"alerts": "alerts", "escalator": "escalator"}
ACME_POLICY = (
    "policies:\n"
    "  - tenant: acme\n"
    "    levels:\n"
    "      critical:\n"
    "        - {targets: [pagerduty], after: 1m}\n"
    "        - {targets: [sms, lead-mail], after: 10m, when: outside_business_hours}\n"
    "    repeat: 1\n"
    "    business_hours: {timezone: Europe/Berlin, start: '08:00'}\n"
)


def _reader(stack: VigilStack, name: str) -> VigilFunction:
    return {"alerts": stack.alerting.api_function, "escalator": stack.escalation.escalator}[name]


def _staged(assembly_dir: Path, function: VigilFunction) -> Path:
    resource = function.function.node.default_child
    return assembly_dir / str(resource.get_metadata("aws:asset:path"))  # type: ignore[union-attr]


def _variables(stack: VigilStack, function: VigilFunction) -> dict[str, Any]:
    """The function's environment as the synthesized template has it."""
    resources = Template.from_stack(stack).to_json()["Resources"]
    cfn = cast(CfnElement, function.function.node.default_child)
    return cast(
        dict[str, Any], resources[stack.resolve(stack.get_logical_id(cfn))]["Properties"]["Environment"]["Variables"]
    )


def _files(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir() if path.name != "__pycache__"}


# --- shipped with the stack --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(READERS))
def test_escalation_policies_yaml_is_shipped_normalized_beside_the_handler(vigil: SynthesizedVigil, name: str) -> None:
    # Given the function's staged code asset, and escalation-policies.yaml (vigil:escalationPoliciesFile in cdk.json)
    assert vigil.stack.config.escalation_policies_file == "escalation-policies.yaml"
    resource = vigil.resource(_reader(vigil.stack, name).function)
    staged = vigil.assembly_dir / resource["Metadata"]["aws:asset:path"]
    # Then it is the handler folder plus escalation-policies.json
    source = PROJECT_ROOT / "functions" / READERS[name]
    assert _files(staged) == _files(source) | {"escalation-policies.json"}
    assert (staged / "handler.py").read_bytes() == (source / "handler.py").read_bytes()
    # And escalation-policies.json is the file's policies as the loader normalizes them, loaded once by the stack
    shipped = json.loads((staged / "escalation-policies.json").read_text())
    assert shipped == load_escalation_policies_file(PROJECT_ROOT / "escalation-policies.yaml")
    assert shipped == vigil.stack.escalation_policies


@pytest.mark.parametrize(("name", "settings_model"), [("alerts", AlertApiSettings), ("escalator", EscalatorSettings)])
def test_both_readers_are_told_the_shipped_file_and_their_settings_read_it(
    vigil: SynthesizedVigil, name: str, settings_model: type[AlertApiSettings] | type[EscalatorSettings]
) -> None:
    # Given the function's environment
    variables = vigil.properties(_reader(vigil.stack, name).function)["Environment"]["Variables"]
    # Then it names the file beside the handler, and its settings model reads that variable
    assert variables["ESCALATION_POLICIES_FILE"] == "escalation-policies.json"
    assert "escalation_policies_file" in settings_model.model_fields


# --- a file of one's own -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fake_dependencies_layer(tmp_path_factory.mktemp("escalation-policies-layer"))


def _build(fake_layer: Path, outdir: Path, **context: Any) -> VigilStack:
    overrides = {DEPENDENCIES_LAYER_PATH_KEY: str(fake_layer), "aws:cdk:enable-asset-metadata": True, **context}
    return build_app(PROJECT_ROOT, context_overrides=overrides, outdir=str(outdir)).stack


def test_a_policy_file_reaches_both_handlers_where_their_wiring_reads_the_tenants_policy(
    fake_layer: Path, tmp_path: Path
) -> None:
    # Given vigil:escalationPoliciesFile naming a file with acme's policy (only some fields written)
    policies_file = tmp_path / "escalation-policies.yaml"
    policies_file.write_text(ACME_POLICY)
    # When the app is built
    stack = _build(fake_layer, tmp_path / "cdk.out", **{ESCALATION_POLICIES_FILE_KEY: str(policies_file)})
    expected = EscalationPolicy.model_validate(
        {
            "levels": {
                "critical": [
                    {"targets": ["pagerduty"], "after": 60},
                    {"targets": ["sms", "lead-mail"], "after": 600, "when": "outside_business_hours"},
                ]
            },
            "repeat": 1,
            "business_hours": {"timezone": "Europe/Berlin", "start": "08:00"},
        }
    )
    for name in READERS:
        function = _reader(stack, name)
        staged = _staged(tmp_path / "cdk.out", function)
        variable = _variables(stack, function)
        # Then each handler's wiring, reading the file its variable names beside the handler, gets acme's policy
        assert load_code_escalation_policies(variable["ESCALATION_POLICIES_FILE"], staged) == {"acme": expected}
        # And the shipped file is normalized: every default written out, durations in seconds
        [acme] = cast(list[JsonObject], json.loads((staged / "escalation-policies.json").read_text())["policies"])
        assert acme["tenant"] == "acme"
        assert acme["levels"]["critical"][0] == {"targets": ["pagerduty"], "after": 60, "when": "always"}
        assert acme["business_hours"] == {
            "timezone": "Europe/Berlin",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "start": "08:00:00",
            "end": "17:00:00",
        }


def test_an_empty_escalation_policies_setting_ships_no_file_and_tells_both_handlers_so(
    fake_layer: Path, tmp_path: Path
) -> None:
    # Given vigil:escalationPoliciesFile set to "" (no escalation policies as code)
    stack = _build(fake_layer, tmp_path / "cdk.out", **{ESCALATION_POLICIES_FILE_KEY: ""})
    assert stack.escalation_policies is None
    for name, folder in READERS.items():
        function = _reader(stack, name)
        # When its code asset is staged
        staged = _staged(tmp_path / "cdk.out", function)
        # Then it is the handler folder alone, and the variable is empty: the wiring reads no policies
        assert sorted(p.name for p in staged.iterdir()) == sorted(
            p.name for p in (PROJECT_ROOT / "functions" / folder).glob("*.py")
        )
        variable = _variables(stack, function)
        assert variable["ESCALATION_POLICIES_FILE"] == ""
        assert load_code_escalation_policies("", staged) == {}


# --- refused at synth --------------------------------------------------------------------------------

BAD_POLICIES = {
    "a level paging sooner than a minute": (
        "policies:\n  - tenant: acme\n    levels:\n      critical:\n        - {targets: [pagerduty], after: 10s}\n",
        "policies[0].levels.critical.0.after: must be a whole number of seconds between 60 (1m) and 86400 (24h)",
    ),
    "a policy without a tenant": (
        "policies:\n  - {repeat: 1}\n",
        "policies[0].tenant: is required: the id of the tenant the escalation policy belongs to",
    ),
    "a second policy for a tenant": (
        "policies:\n  - {tenant: acme, repeat: 1}\n  - {tenant: globex}\n  - {tenant: acme, repeat: 2}\n",
        "policies[2].tenant: 'acme' already has its escalation policy in policies[0] (one per tenant)",
    ),
    "a repeat above five": ("policies:\n  - {tenant: acme, repeat: 9}\n", "policies[0].repeat: Input should be"),
    "an unknown field": ("policies:\n  - {tenant: acme, escalate: true}\n", "policies[0].escalate: unknown field"),
    "an unquoted time (a number in YAML)": (
        "policies:\n  - tenant: acme\n    business_hours: {start: '08:00', end: 17:00}\n",
        'policies[0].business_hours.end: must be a time of day as text, e.g. "17:00" (quoted in YAML)',
    ),
    "an unknown time zone": (
        "policies:\n  - {tenant: acme, business_hours: {timezone: Mars/Olympus}}\n",
        "policies[0].business_hours.timezone: unknown time zone 'Mars/Olympus'",
    ),
    "an unknown top-level key": ("policy: []\n", "policy: unknown top-level key"),
    "policies that are not a list": (
        "policies: {tenant: acme}\n",
        "policies: the document must be a mapping with a list `policies`",
    ),
    "broken YAML": ("policies: [\n", "not valid YAML"),
}


@pytest.mark.parametrize("case", sorted(BAD_POLICIES))
def test_a_bad_escalation_policies_file_is_refused_naming_the_file_the_field_and_the_problem(
    tmp_path: Path, case: str
) -> None:
    # Given an escalation policies file with one mistake
    text, problem = BAD_POLICIES[case]
    policies_file = tmp_path / "escalation-policies.yaml"
    policies_file.write_text(text)
    # When it is loaded
    with pytest.raises(InvalidEscalationPoliciesFileError) as raised:
        load_escalation_policies_file(policies_file)
    # Then the message names the file, the field and what is wrong
    assert str(raised.value).startswith(f"{policies_file}: ")
    assert problem in str(raised.value)


def test_every_problem_of_a_bad_file_is_in_the_one_message(tmp_path: Path) -> None:
    # Given a file with a bad delay in acme's policy and an unknown field in globex's
    policies_file = tmp_path / "escalation-policies.yaml"
    policies_file.write_text(
        "policies:\n"
        "  - {tenant: acme, levels: {error: [{targets: [slack], after: 2d}]}}\n"
        "  - {tenant: globex, repeats: 2}\n"
    )
    # When it is loaded / Then both are named, in order, separated by "; "
    with pytest.raises(InvalidEscalationPoliciesFileError) as raised:
        load_escalation_policies_file(policies_file)
    assert str(raised.value) == (
        f"{policies_file}: policies[0].levels.error.0.after: must be a whole number of seconds between 60 (1m) and "
        "86400 (24h); policies[1].repeats: unknown field"
    )


def test_a_bad_escalation_policies_file_fails_the_build(fake_layer: Path, tmp_path: Path) -> None:
    # Given vigil:escalationPoliciesFile naming a file whose first policy pages after 10 seconds
    policies_file = tmp_path / "escalation-policies.yaml"
    policies_file.write_text(BAD_POLICIES["a level paging sooner than a minute"][0])
    # When the app is built / Then nothing is synthesized, and the error names the file and the field
    with pytest.raises(
        InvalidEscalationPoliciesFileError, match=r"policies\[0\]\.levels\.critical\.0\.after: "
    ) as raised:
        _build(fake_layer, tmp_path / "cdk.out", **{ESCALATION_POLICIES_FILE_KEY: str(policies_file)})
    assert str(raised.value).startswith(f"{policies_file}: ")


def test_a_missing_escalation_policies_file_fails_the_build_naming_it(fake_layer: Path, tmp_path: Path) -> None:
    # Given vigil:escalationPoliciesFile naming a file that does not exist (relative to the repository root)
    # When the app is built / Then the error names the file it looked for and why it could not read it
    with pytest.raises(
        InvalidEscalationPoliciesFileError, match=r"/no-such-escalation-policies\.yaml: cannot be read: No such file"
    ):
        _build(fake_layer, tmp_path / "cdk.out", **{ESCALATION_POLICIES_FILE_KEY: "no-such-escalation-policies.yaml"})
