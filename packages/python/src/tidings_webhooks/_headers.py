"""Header lookup that works for a plain dict, Flask's and Starlette's header objects and WSGI-style mappings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Union

Headers = Union[Mapping[str, Any], Iterable[tuple]]


def get_header(headers: Headers, name: str) -> str | None:
    """Case-insensitive lookup of ``name`` (lower case). A repeated header (a list) is joined with a space, which is
    what a repeated ``webhook-signature`` means: more signature entries."""
    value: Any = None
    if isinstance(headers, Mapping):
        value = headers.get(name)
        if value is None:
            for key, candidate in headers.items():
                if isinstance(key, str) and key.lower() == name:
                    value = candidate
                    break
    else:
        found = [v for k, v in headers if isinstance(k, str) and k.lower() == name]
        value = found or None
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, (list, tuple)):
        value = " ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in value)
    text = str(value).strip()
    return text or None
