"""Shared by the typed models of the configuration files (config/*.yml): pydantic's validation
errors as the one-line sentences the loaders raise (file, key path, reason)."""

from __future__ import annotations

from pydantic import ValidationError


def key_path(loc: tuple) -> str:
    """`('sources', 'events', 'files', 0)` -> `sources.events.files[0]`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def friendly_errors(exc: ValidationError) -> str:
    """The first error of a validation as `key.path: reason` (an unknown key says so)."""
    error = exc.errors()[0]
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
    if error["type"] == "extra_forbidden":
        return f"{key_path(loc[:-1]) or 'the file'}: unknown key {loc[-1]}"
    if error["type"] == "missing":
        return f"{key_path(loc[:-1]) or 'the file'}: missing {loc[-1]}"
    reason = error["msg"]
    if error["type"].startswith("literal_error"):
        reason = "must be " + reason.removeprefix("Input should be ")
    return f"{key_path(loc) or 'the file'}: {reason[0].lower() + reason[1:]}"
