"""What the typed models of the configuration files (config/*.yml) share: pydantic's validation
errors as the one-line sentences the loaders raise (where in the file, then why), and the JSON
Schemas committed for editors (config/*.schema.json).

    python -m dagster_project.lib.config_models      # rewrite config/*.schema.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ValidationError


def key_path(loc: tuple) -> str:
    """`('sources', 'events', 'files', 0)` -> `sources.events.files[0]`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text


# Errors that only say "not this kind of value": for a union (a name or a list of names, a
# name or a mapping) pydantic reports one per alternative; a more specific one is preferred.
_KIND_ERRORS = {
    "string_type",
    "list_type",
    "dict_type",
    "model_type",
    "model_attributes_type",
    "int_type",
    "float_type",
    "bool_type",
    "date_type",
}
_BRANCH_NAMES = {"str", "int", "float", "bool", "constrained-str"}


def _reason(error: dict) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "too_short":
        return "must not be empty"
    if kind in _KIND_ERRORS and error.get("_kinds"):
        return "must be " + " or ".join(error["_kinds"])
    msg = msg.replace("Input should be", "must be").replace("Value error, ", "")
    msg = msg[0].lower() + msg[1:]
    got = error.get("input")
    if not isinstance(got, (dict, list)) and kind not in ("too_short",):
        msg += f", got {got!r}"
    return msg


def _model_names(cls) -> set[str]:
    """The names of every model class: pydantic puts a union's model branch in the key path."""
    names = set()
    for sub in cls.__subclasses__():
        names |= {sub.__name__} | _model_names(sub)
    return names


def friendly_errors(exc: ValidationError, where: Callable[[tuple], str] | None = None) -> str:
    """A validation's most specific error as one sentence: `<place>: <reason>`. `where` names a
    place (a key path without pydantic's union branches) the way the file's own messages do
    (`source 'x' field arr`); the dotted key path otherwise."""
    branches = _BRANCH_NAMES | _model_names(BaseModel)
    errors = []
    for error in exc.errors():
        loc = tuple(
            p for p in error["loc"] if not (isinstance(p, str) and ("[" in p or p in branches))
        )
        errors.append({**error, "loc": loc})
    # the deepest error that is more than "wrong kind"; a value no alternative takes says which
    # kinds would do
    error = min(errors, key=lambda e: (e["type"] in _KIND_ERRORS, -len(e["loc"])))
    if error["type"] in _KIND_ERRORS:
        kinds = {
            "string_type": "a name",
            "list_type": "a list",
            "dict_type": "a mapping",
            "model_type": "a mapping",
            "model_attributes_type": "a mapping",
            "int_type": "a whole number",
            "float_type": "a number",
            "bool_type": "true or false",
            "date_type": "a date",
        }
        error["_kinds"] = list(
            dict.fromkeys(
                kinds[e["type"]] for e in errors if e["loc"] == error["loc"] and e["type"] in kinds
            )
        )
    loc = error["loc"]

    def name(place: tuple) -> str:
        return (where(place) if where else "") or key_path(place) or "the file"

    if error["type"] == "extra_forbidden":
        return f"{name(loc[:-1])}: unknown key {loc[-1]}"
    if error["type"] == "missing":
        if isinstance(loc[-1], int):  # a fixed-length list such as [low, high]
            return f"{name(loc[:-1])}: needs {loc[-1] + 1} items, got {loc[-1]}"
        return f"{name(loc[:-1])}: missing {loc[-1]}"
    return f"{name(loc)}: {_reason(error)}"


def schemas() -> dict[Path, type[BaseModel]]:
    """Each configuration file's JSON Schema file, and the model it is generated from."""
    from dagster_project import paths
    from dagster_project.lib.catalogue import CatalogueFile
    from dagster_project.lib.schema import SchemaFile
    from dagster_project.lib.sources import RegistryFile

    config = paths.PROJECT_DIR / "config"
    return {
        config / "ttv.schema.json": CatalogueFile,
        config / "sources.schema.json": RegistryFile,
        config / "schema.schema.json": SchemaFile,
    }


def json_schema_text(model: type[BaseModel]) -> str:
    """A model's JSON Schema as committed: sorted keys, two-space indent, a final newline."""
    return (
        json.dumps(model.model_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


def main() -> int:
    for path, model in schemas().items():
        path.write_text(json_schema_text(model))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
