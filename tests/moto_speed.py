"""Patches of moto (never of stitchpress) that keep its answers and cut most of its CPU time per
call: the fault tests (tests/functional/test_faults.py) and the site benchmark (bench/sitebench.py)
run thousands of publishes on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

BACKUP_MODES = ("per-item", "once", "none")


def moto_one_call_at_a_time() -> None:
    """Make each in-process moto call atomic, as every AWS call is. moto's backends are not
    thread-safe: a DynamoDB transaction deep-copies the table while another thread's write changes
    it ("dictionary changed size during iteration", seen when a rebuild chunk wrote search texts
    in parallel). The local stack's server takes the same lock (stitchpress.local.runtime)."""
    import threading

    from moto.core.botocore_stubber import BotocoreStubber

    original = BotocoreStubber.process_request
    if getattr(original, "one_at_a_time", False):
        return
    lock = threading.RLock()

    def process_request(self: Any, request: Any) -> Any:
        with lock:
            return original(self, request)

    process_request.one_at_a_time = True  # type: ignore[attr-defined]
    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]


@contextmanager
def moto_transaction_backup(mode: str) -> Iterator[None]:
    """moto's transact_write_items deep-copies the whole table once per item of the transaction,
    to roll back on failure; on a big index that copy, not our calls, is most of a publish's
    time. "per-item" leaves moto as it is; "once" copies each table once per transaction
    (rollback still works); "none" copies nothing (no rollback; these transactions never fail)."""
    if mode == "per-item":
        yield
        return
    if mode not in BACKUP_MODES:
        raise ValueError(mode)
    import copy as real_copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items

    def patched(self: Any, transact_items: list[dict[str, Any]]) -> None:
        copies: dict[int, Any] = {}

        class OnceCopy:
            @staticmethod
            def deepcopy(x: Any, memo: Any = None) -> Any:
                if not isinstance(x, Table):
                    return real_copy.deepcopy(x, memo)
                if mode == "none":
                    return x
                if id(x) not in copies:
                    copies[id(x)] = real_copy.deepcopy(x)
                return copies[id(x)]

        setattr(models, "copy", OnceCopy)  # noqa: B010 - the module's global `copy`
        try:
            original(self, transact_items)
        finally:
            setattr(models, "copy", real_copy)  # noqa: B010

    models.DynamoDBBackend.transact_write_items = patched  # type: ignore[method-assign]
    try:
        yield
    finally:
        models.DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


_UNPATCHED: dict[str, Any] = {}  # moto's own methods while a patch replaces them


@contextmanager
def moto_plain_json(enabled: bool = True) -> Iterator[None]:
    """moto 5's response serializer walks botocore's output shape for every attribute of every
    item it returns (~1 ms per index item here: most of a publish's time on a big site), where
    DynamoDB's wire format is the items' JSON as they are. This patch answers DynamoDB results
    that are plain JSON with json.dumps (errors and anything else go to moto's serializer);
    `check_partition_query` compares the answers of both."""
    if not enabled:
        yield
        return
    from moto.dynamodb.responses import DynamoResult

    original = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        try:
            body = json.dumps(self.result)
        except TypeError:  # binary attributes and the like: moto's own way
            return original(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]
    _UNPATCHED["execute_result"] = original
    try:
        yield
    finally:
        del _UNPATCHED["execute_result"]
        DynamoResult.execute_result = original  # type: ignore[method-assign]
