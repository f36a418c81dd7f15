"""Compact JSON schemas for tools/list: every byte of the catalog sits in the assistant's context.

pydantic's schemas carry a `title` on every property and spell an optional argument as
`anyOf: [X, null]` with `default: null`. Clients need neither: an argument that is not `required`
may be left out, and letta-mcp leaves unset fields out of its results. Nor does a model need the
bounds that only protect the server (a maxLength on every string, a maxItems on every list): they are
enforced without being advertised, and the ones a model should know are in the descriptions. Nested
models are written in place (no `$defs`). Validation still runs on the full pydantic models, so a
compact schema never lets a wrong call through.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from letta_mcp.core.contract import NEEDS

_NULL = {"type": "null"}
BOUNDS = frozenset(
    {"maxLength", "minLength", "maxItems", "minItems", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"}
)
"""Enforced by the server's own validation; not what a model reads."""


GATE = NEEDS
"""An argument that belongs to another toolset (`contract.needs`)."""


def gated(schema: dict[str, Any]) -> dict[str, str]:
    """The arguments of a schema that belong to another toolset: name → toolset."""
    properties = schema.get("properties", {})
    return {name: str(sub[GATE]) for name, sub in properties.items() if isinstance(sub, dict) and GATE in sub}


def advertised(schema: dict[str, Any], toolsets: Collection[str] | None = None) -> dict[str, Any]:
    """The input schema a model reads: compact, without server-only bounds, nested models in place, and
    without the arguments of toolsets not served (all of them are kept when `toolsets` is None)."""
    defs = schema.get("$defs", {})
    top = {k: v for k, v in schema.items() if k != "$defs"}
    properties = {
        name: {k: v for k, v in sub.items() if k != GATE}
        for name, sub in top.get("properties", {}).items()
        if toolsets is None or not (isinstance(sub, dict) and GATE in sub and sub[GATE] not in toolsets)
    }
    if "properties" in top:
        top = {**top, "properties": properties}
    result: dict[str, Any] = _strip(compact(_inline(top, defs)))
    return result


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = {k: v for k, v in defs[ref.removeprefix("#/$defs/")].items() if k not in ("description", "title")}
        return _inline({**target, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
    return {k: _inline(v, defs) for k, v in node.items()}


def _strip(node: Any) -> Any:
    if isinstance(node, list):
        return [_strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in BOUNDS and not isinstance(value, dict):
            continue
        if key == "default" and (value is False or value == "" or (value == 0 and not isinstance(value, bool))):
            continue
        out[key] = {name: _strip(sub) for name, sub in value.items()} if key == "properties" else _strip(value)
    return out


def compact(schema: dict[str, Any], *, descriptions: bool = True) -> dict[str, Any]:
    """A smaller schema that accepts the same (non-null) values as `schema`."""
    result: dict[str, Any] = _node(schema, descriptions)
    return result


def _node(node: Any, descriptions: bool) -> Any:
    if isinstance(node, list):
        return [_node(item, descriptions) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "description" and not descriptions:
            continue
        if key == "default" and value is None:
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {name: _node(sub, descriptions) for name, sub in value.items()}
        else:
            out[key] = _node(value, descriptions)
    options = out.get("anyOf")
    if isinstance(options, list) and _NULL in options:
        rest = [o for o in options if o != _NULL]
        if len(rest) == 1 and isinstance(rest[0], dict):
            del out["anyOf"]
            out = {**rest[0], **out}
    return out


def shallow(schema: dict[str, Any]) -> dict[str, Any]:
    """An output schema that names each top-level field and its JSON type, and no more.

    Clients validate structured results against it; models read the results themselves, not the
    schema, so the nested detail would only add bytes to every tools/list.
    """
    compacted = compact(schema, descriptions=False)
    properties = {name: _type_only(sub) for name, sub in compacted.get("properties", {}).items()}
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if compacted.get("required"):
        out["required"] = compacted["required"]
    return out


def _type_only(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return {"type": "object"}
    kind = node.get("type")
    if kind == "array":
        items = node.get("items", {})
        primitive = isinstance(items, dict) and items.get("type") in ("string", "integer", "number", "boolean")
        return {"type": "array", "items": {"type": items["type"]}} if primitive else {"type": "array"}
    if isinstance(kind, str):
        return {"type": kind, **({"enum": node["enum"]} if "enum" in node else {})}
    if "anyOf" in node:
        return {}
    return {}
