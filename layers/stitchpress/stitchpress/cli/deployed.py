"""The settings of a deployed stack, read where template.yaml publishes them: the stack's Outputs
and the publish function's environment (exactly what the function renders pages with).

`stitchpress rebuild` uses this against AWS (`--stack NAME`) and against a running
`stitchpress local up` (`--endpoint URL`), which registers the same Outputs and function in moto.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..service.config import Config

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_lambda import LambdaClient

FUNCTION_LOGICAL_ID = "PublishFunction"
# template.yaml Output -> the function's variable holding the same value.
OUTPUT_VARS: dict[str, str] = {
    "DraftsBucketName": "DRAFTS_BUCKET",
    "SiteBucketName": "SITE_BUCKET",
    "IndexTableName": "INDEX_TABLE",
    "DistributionId": "DISTRIBUTION_ID",
    "SiteUrl": "SITE_URL",
}
REQUIRED_VARS = ("DRAFTS_BUCKET", "SITE_BUCKET", "INDEX_TABLE", "DISTRIBUTION_ID", "SITE_URL")


class StackSettingsError(Exception):
    """The stack (or the environment) does not say where or what the site is."""


def merged_environment(outputs: Mapping[str, str], function_env: Mapping[str, str]) -> dict[str, str]:
    """The function's variables, completed from the stack's Outputs where it lacks one."""
    env = {var: outputs[name] for name, var in OUTPUT_VARS.items() if outputs.get(name)}
    env.update({k: v for k, v in function_env.items() if v})
    return env


def require(env: Mapping[str, str], source: str) -> Config:
    """A Config only when every name and the site URL are known: never a default site URL, which
    would put localhost into every canonical link, the feed and the sitemaps of a live site."""
    missing = [var for var in REQUIRED_VARS if not env.get(var)]
    if missing:
        output_of = {var: name for name, var in OUTPUT_VARS.items()}
        named = ", ".join(f"{var} (template.yaml Output {output_of[var]})" for var in missing)
        raise StackSettingsError(f"{source} does not give {named}")
    return Config.from_env(env)


def stack_output(cloudformation: CloudFormationClient, stack_name: str, name: str) -> str | None:
    """One of the stack's Outputs (None when the stack has none of that name: deployed before it)."""
    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except cloudformation.exceptions.ClientError as e:
        raise StackSettingsError(f"stack {stack_name}: {e.response['Error'].get('Message', e)}") from e
    return next((o["OutputValue"] for o in stack.get("Outputs", []) if o["OutputKey"] == name), None)


def stack_config(
    cloudformation: CloudFormationClient, lambda_client: LambdaClient, stack_name: str
) -> Config:
    """Read a stack's Outputs and its PublishFunction's environment."""
    error = cloudformation.exceptions.ClientError
    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        function = cloudformation.describe_stack_resource(
            StackName=stack_name, LogicalResourceId=FUNCTION_LOGICAL_ID
        )["StackResourceDetail"]["PhysicalResourceId"]
        configuration = lambda_client.get_function_configuration(FunctionName=function)
    except error as e:
        raise StackSettingsError(f"stack {stack_name}: {e.response['Error'].get('Message', e)}") from e
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    function_env = configuration.get("Environment", {}).get("Variables", {})
    return require(merged_environment(outputs, function_env), f"stack {stack_name}")
