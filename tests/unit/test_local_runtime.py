"""`local up --workers N` gives each worker its own copy of a function's handler module (a Lambda
execution environment of its own): every handler module must load as such a copy."""

from __future__ import annotations

import pytest

from stitchpress.local.runtime import handler_module


@pytest.mark.parametrize("name", ["handler", "image_handler", "rebuild_handler"])
def test_every_handler_module_loads_as_a_second_environment(name: str) -> None:
    first, second = handler_module(0, name), handler_module(1, name)
    assert second is not first and callable(second.handler)
