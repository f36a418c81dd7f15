"""Compact JSON schemas for tools/list: every byte of the catalog sits in the assistant's context.

pydantic's schemas carry a `title` on every property and spell an optional argument as
`anyOf: [X, null]` with `default: null`. Clients need neither: an argument that is not `required`
may be left out, and letta-mcp leaves unset fields out of its results. Validation still runs on
the full pydantic models, so a compact schema never lets a wrong call through.
"""

from __future__ import annotations

from typing import Any

_NULL = {"type": "null"}


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
