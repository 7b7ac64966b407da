"""What the close's tests share: a step of the close made to fail."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from postloan import cob


@contextmanager
def step_failing(step_name: str, error: Exception) -> Iterator[None]:
    """The close's step ``step_name`` raises ``error`` inside the block, and the close is expected to raise it."""
    index = next(i for i, step in enumerate(cob.STEPS) if step.name == step_name)
    real = cob.STEPS[index]

    def fails(*args: object) -> None:
        raise error

    cob.STEPS[index] = dataclasses.replace(real, run=fails)
    try:
        with pytest.raises(type(error)):
            yield
    finally:
        cob.STEPS[index] = real
