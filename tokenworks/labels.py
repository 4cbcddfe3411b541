"""Who a call is for: the labels a `with tokenworks.labels(...)` block gives the calls inside it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# A ContextVar follows each thread and each asyncio task, so a server handling several
# projects' requests at once labels each call with its own request's labels.
_current: ContextVar[dict[str, str]] = ContextVar("tokenworks_labels", default={})  # noqa: B039


@contextmanager
def labels(*, project: str | None = None, user: str | None = None,
           api_key_id: str | None = None) -> Iterator[None]:
    """Calls made inside the block carry these labels; they override `wrap`'s, and a nested
    block overrides its outer one label by label (None keeps the outer label)."""
    given = checked_labels("tokenworks.labels", project=project, user=user,
                           api_key_id=api_key_id)
    token = _current.set({**_current.get(), **given})
    try:
        yield
    finally:
        _current.reset(token)


def checked_labels(caller: str, **labels: str | None) -> dict[str, str]:
    """The labels given (None left out); a label that is not a string is the caller's error."""
    for name, value in labels.items():
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{caller}: {name} must be a string, not {type(value).__name__}")
    return {name: value for name, value in labels.items() if value is not None}


def current_labels() -> dict[str, str]:
    return _current.get()
