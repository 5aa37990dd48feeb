"""`make invoke EVENT=events/<name>.json`: the built function run as Lambda runs it, without a container.

scripts/sam.sh first builds the function and its layer for this machine (`sam build` into
.aws-sam/invoke) and installs the runtime interface client (awslambdaric) beside them, where
Lambda's python3.13 runtime keeps its own (/var/runtime). Then this module starts an embedded
stack (moto's server, the resources of template.yaml), uploads the drafts the event names, runs
the function under the Lambda Runtime Interface Emulator (the aws-lambda-rie binary of the
aws-sam-cli wheel), sends the event through the emulator's invocations URL, and prints the
response and the site objects the invocation wrote. `sam local invoke` does the same in Docker.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from ..core.events import DraftChange, read_s3_event
from ..core.keys import report_key
from .runtime import FAKE_CREDENTIALS, REGION

EXAMPLE_DRAFT = "2025-09-21-meta-ai-investment.md"  # seeds a key with no example of its own name
START_SECONDS = 10  # for the emulator to listen
INIT_SECONDS = 10  # Lambda's limit for a function's init (its imports), on top of the Timeout
STOP_SECONDS = 5  # for the emulator to stop its runtime after SIGTERM, before SIGKILL


class UserError(Exception):
    """A mistake in the command line or the event file: one line for the user, exit 2."""


@dataclass(frozen=True)
class Function:
    """A function of the built template (sam build's output), as Lambda would be configured."""

    name: str
    handler: str
    code: Path
    layers: tuple[Path, ...]
    memory: int
    timeout: int
    variables: dict[str, Any]  # template values: a string, or an intrinsic ({"Ref": ...})


def load_event(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(
            f"{path}: cannot read the event ({e}); pass EVENT=events/s3-put.json or another"
        ) from e
    try:
        event = json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"{path}:{e.lineno}:{e.colno}: not JSON: {e.msg}") from e
    if not isinstance(event, dict):
        raise UserError(f"{path}: an event is a JSON object ({{...}}), like the files in events/")
    return event


def draft_changes(event: Mapping[str, Any]) -> list[DraftChange]:
    """The draft changes an event carries: a raw S3 event, or SQS records whose bodies are S3
    events (the production path), as the handler reads them."""
    records = event.get("Records")
    if not (isinstance(records, list) and records and isinstance(records[0], dict)):
        return read_s3_event(event)[0]
    if records[0].get("eventSource") != "aws:sqs":
        return read_s3_event(event)[0]
    out: list[DraftChange] = []
    for record in records:
        try:
            body = json.loads(record.get("body", ""))
        except (TypeError, ValueError, AttributeError):
            continue  # the function skips it too, with a warning in its log
        out += read_s3_event(body)[0]
    return out


def seed_record(change: DraftChange, version_id: str | None, etag: str) -> dict[str, Any]:
    """An S3 put record for the draft a removal event deletes: it publishes the draft first, and
    sorts before the removal (a lower sequencer, or an earlier time), so the removal is newer."""
    obj: dict[str, Any] = {"key": quote_plus(change.key, safe="/"), "eTag": etag}
    if version_id:
        obj["versionId"] = version_id
    if change.sequencer:
        obj["sequencer"] = "0" * len(change.sequencer)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": "1970-01-01T00:00:00.000Z" if not change.sequencer else change.event_time,
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": change.bucket}, "object": obj},
    }


def _cfn_loader() -> Any:
    """PyYAML's safe loader, reading CloudFormation's short tags (!Ref x) as their long forms."""
    import yaml

    class Loader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types here
        pass

    def tag(loader: Any, suffix: str, node: Any) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}

    Loader.add_multi_constructor("!", tag)
    return Loader


def read_function(built_template: Path, name: str) -> Function:
    """The function's configuration from sam build's template (paths relative to it)."""
    import yaml

    if not built_template.is_file():
        raise UserError(f"{built_template}: no built template; run `make invoke`, which builds it first")
    template = yaml.load(built_template.read_text(encoding="utf-8"), Loader=_cfn_loader())  # noqa: S506 - a SafeLoader
    resources = template.get("Resources", {})
    if name not in resources:
        raise UserError(f"{built_template}: no resource {name}")
    props = {**template.get("Globals", {}).get("Function", {}), **resources[name]["Properties"]}
    variables = {
        **template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}),
        **resources[name]["Properties"].get("Environment", {}).get("Variables", {}),
    }
    base = built_template.parent.resolve()  # absolute: the runtime runs in the code's folder
    layers = tuple(
        base / resources[ref["Ref"]]["Properties"]["ContentUri"] for ref in props.get("Layers", [])
    )
    return Function(
        name=name,
        handler=str(props["Handler"]),
        code=base / str(props["CodeUri"]),
        layers=layers,
        memory=int(props.get("MemorySize", 128)),
        timeout=int(props.get("Timeout", 3)),
        variables=variables,
    )


def environment(
    function: Function, stack_env: Mapping[str, str], runtime: Path, endpoint: str
) -> dict[str, str]:
    """What Lambda sets for the function: its template variables (values from the local stack,
    as the deployed stack would resolve them), Lambda's own, and the embedded AWS endpoint."""
    env: dict[str, str] = {}
    for name, value in function.variables.items():
        if isinstance(value, str | int | float):
            env[name] = str(value)
        elif name in stack_env:
            env[name] = stack_env[name]
        else:
            raise UserError(
                f"template.yaml sets {name} on {function.name}; the local stack has no value for it"
            )
    # Lambda's python3.13 runtime: /var/task, then the layers (/opt/python), then /var/runtime.
    path = [str(function.code)]
    for layer in function.layers:
        path += [str(layer / "python" / "lib" / "python3.13" / "site-packages"), str(layer / "python")]
    path.append(str(runtime))
    return {
        **env,
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "LAMBDA_TASK_ROOT": str(function.code),
        "LAMBDA_RUNTIME_DIR": str(runtime),
        "_HANDLER": function.handler,
        "PYTHONPATH": os.pathsep.join(path),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        # No ~/.aws files of this machine: the function has only what Lambda would give it.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def emulator(rie: Path, python: Path, function: Function, env: dict[str, str]) -> Iterator[str]:
    """Run the function under the Runtime Interface Emulator; yields its invocations URL.

    `python -S`: the runtime's interpreter sees only the function, its layers and the runtime
    interface client (PYTHONPATH), not this machine's site-packages."""
    port, api_port = free_port(), free_port()
    command = [
        str(rie),
        "--runtime-interface-emulator-address",
        f"127.0.0.1:{port}",
        "--runtime-api-address",
        f"127.0.0.1:{api_port}",
        "--log-level",
        "error",
        str(python),
        "-S",
        "-m",
        "awslambdaric",
        function.handler,
    ]
    # Its own session: Ctrl-C reaches this process, which then stops the emulator in order.
    # The emulator's output (the function's log, START/END/REPORT) goes to stderr, as sam's does.
    proc = subprocess.Popen(  # noqa: S603 - our own command line
        command, cwd=function.code, env=env, stdout=sys.stderr, stderr=sys.stderr, start_new_session=True
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the emulator exited with status {proc.returncode} before listening")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the emulator did not listen on 127.0.0.1:{port} in {START_SECONDS} s"
                    ) from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"
    finally:
        proc.terminate()  # the emulator then kills the runtime
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def post(url: str, event: Mapping[str, Any], timeout: float) -> Any:
    request = urllib.request.Request(  # noqa: S310 - http to the emulator on 127.0.0.1
        url,
        data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
            body = resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:  # e.g. 502 when the runtime died: Lambda's error object
        body = e.read().decode("utf-8", "replace")
        try:
            error = json.loads(body)
        except ValueError:
            error = {"errorMessage": body}
        return {"errorType": f"HTTP {e.code}", **error} if isinstance(error, dict) else error
    try:
        return json.loads(body)
    except ValueError:
        return body


def failed(response: Any) -> str | None:
    """Why the invocation failed, or None: the function raised (the emulator returns Lambda's
    error object), or it reported records as failed (SQS would deliver those again)."""
    if isinstance(response, dict):
        if "errorType" in response or "errorMessage" in response:
            return f"the function failed: {response.get('errorType', 'error')}: {response.get('errorMessage', '')}"
        failures = response.get("batchItemFailures") or []
        if failures:
            return f"{len(failures)} record(s) failed and would be delivered again: {failures}"
    return None


def _site_objects(s3: Any, bucket: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            out[obj["Key"]] = obj["ETag"]
    return out


def _seed_body(key: str, draft: Path | None, drafts: Path) -> tuple[Path, bytes]:
    candidates = [draft] if draft else [drafts / key.rsplit("/", 1)[-1], drafts / EXAMPLE_DRAFT]
    for path in candidates:
        if path is not None and path.is_file():
            return path, path.read_bytes()
    raise UserError(f"no draft to upload as {key}: {candidates[0]} does not exist (DRAFT=path/to/post.md)")


def run(args: argparse.Namespace) -> int:
    import boto3

    from .runtime import embedded_aws
    from .stack import FUNCTION_GLOBALS, create_stack

    event = load_event(args.event)
    function = read_function(args.build_dir / "template.yaml", args.function)
    changes = draft_changes(event)
    out = sys.stdout
    with embedded_aws(0) as endpoint:
        session = boto3.session.Session()
        stack = create_stack(session)
        s3 = session.client("s3")
        drafts = stack.config.drafts_bucket
        env = environment(
            function, {**FUNCTION_GLOBALS, **stack.config.to_env()}, args.runtime.resolve(), endpoint
        )
        print(f"# embedded AWS at {endpoint}; drafts bucket s3://{drafts}", file=sys.stderr)
        seeds: list[dict[str, Any]] = []
        for change in changes:
            if change.bucket != drafts:
                print(
                    f"# {args.event} names bucket {change.bucket}; the function reads {drafts}",
                    file=sys.stderr,
                )
            source, body = _seed_body(change.key, args.draft, args.drafts)
            put = s3.put_object(Bucket=drafts, Key=change.key, Body=body)
            print(f"# uploaded {source} as s3://{drafts}/{change.key}", file=sys.stderr)
            if change.kind == "delete":
                seeds.append(seed_record(change, put.get("VersionId"), put["ETag"].strip('"')))
        print(
            f"# {function.name}: {function.handler}, {function.memory} MB, {function.timeout} s; "
            f"{args.rie.name} {args.python} -m awslambdaric",
            file=sys.stderr,
        )
        timeout = function.timeout + INIT_SECONDS
        with emulator(args.rie, args.python, function, env) as url:
            if seeds:
                # A removal needs a published draft: a first invocation publishes it.
                seeded = post(url, {"Records": seeds}, timeout)
                if failed(seeded):
                    print(
                        f"stitchpress invoke: publishing the draft to remove: {failed(seeded)}",
                        file=sys.stderr,
                    )
                    return 1
                for change in changes:
                    if change.kind == "delete":
                        s3.delete_object(Bucket=drafts, Key=change.key)
                        print(f"# published, then deleted s3://{drafts}/{change.key}", file=sys.stderr)
            before = _site_objects(s3, stack.config.site_bucket)
            print(f"# POST {args.event} to {url}", file=sys.stderr, flush=True)
            started = time.monotonic()
            response = post(url, event, timeout)
            took = time.monotonic() - started
        after = _site_objects(s3, stack.config.site_bucket)
        reports = []
        for change in changes:
            try:
                body = s3.get_object(Bucket=drafts, Key=report_key(change.key))["Body"].read()
                reports.append((change.key, json.loads(body)))
            except s3.exceptions.NoSuchKey:
                reports.append((change.key, None))
    written = sorted(k for k, etag in after.items() if before.get(k) != etag)
    deleted = sorted(set(before) - set(after))
    print(f"response ({took:.2f} s):", file=out)
    print(json.dumps(response, indent=2, ensure_ascii=False), file=out)
    for key, report in reports:
        if report is None:
            print(f"report {key}: none", file=out)
        else:
            parts = [str(report.get("status")), report.get("url"), *(report.get("errors") or [])[:1]]
            print(f"report {key}: {' '.join(p for p in parts if p)}", file=out)
    print(f"site objects written ({len(written)}):", file=out)
    for key in written:
        print(f"  {key}", file=out)
    print(f"site objects deleted ({len(deleted)}):", file=out)
    for key in deleted:
        print(f"  {key}", file=out)
    reason = failed(response)
    if reason:
        print(f"stitchpress invoke: {reason}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make invoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("event", type=Path, help="an event file, e.g. events/s3-put.json")
    parser.add_argument("--build-dir", type=Path, default=Path(".aws-sam/invoke"), help="sam build's output")
    parser.add_argument("--runtime", type=Path, required=True, help="awslambdaric, installed for the runtime")
    parser.add_argument("--function", default="PublishFunction", help="logical id in template.yaml")
    parser.add_argument("--rie", type=Path, required=True, help="the aws-lambda-rie binary for this machine")
    parser.add_argument("--python", type=Path, required=True, help="the runtime's interpreter (python3.13)")
    parser.add_argument("--draft", type=Path, help="upload this file as every draft the event names")
    parser.add_argument(
        "--drafts", type=Path, default=Path("examples/drafts"), help="drafts to upload, found by file name"
    )
    args = parser.parse_args(argv)
    try:
        return run(args)
    except UserError as e:
        print(f"stitchpress invoke: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: the emulator and the stack are stopped on the way out
        print("stitchpress invoke: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Skips the interpreter's teardown of moto's objects (seconds), as `demo` does: all is stopped.
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
