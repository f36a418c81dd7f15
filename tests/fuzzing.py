"""Arguments for property-based tests: generated from a tool's full input schema (bounds included, as the
server validates them), so that most calls get past validation and into the tool, mixed with arbitrary
junk that must be rejected cleanly."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from letta_mcp.server import LettaServer

Strategy = st.SearchStrategy[Any]

ODD_TEXT = [
    " ",
    "\x00",
    "\u202e",
    "null",
    "{}",
    "'; DROP TABLE agents; --",
    "agent-00000000-0000-4000-8000-000000000000",
    "block-00000000-0000-4000-8000-000000000000",
    "run-00000000-0000-4000-8000-000000000000",
]

junk_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(["", "a" * 200_000, *ODD_TEXT]),
)
junk_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    junk_text,
)
junk = st.recursive(
    junk_scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(junk_text, inner, max_size=3), max_leaves=6
)


def full_schema(server: LettaServer, tool: str) -> dict[str, Any]:
    """The schema the server validates `tool`'s arguments with (not the compact one it advertises)."""
    built = server.tools.get_tool(tool)
    assert built is not None, tool
    schema: dict[str, Any] = built.fn_metadata.arg_model.model_json_schema()
    return schema


def _text(node: dict[str, Any]) -> Strategy:
    low = int(node.get("minLength", 0))
    high = min(int(node.get("maxLength", 60)), 60)
    plain = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=low, max_size=high)
    odd = st.sampled_from([t for t in ODD_TEXT if low <= len(t) <= node.get("maxLength", 10**9)] or ["x" * low])
    return plain | odd


def value_for(node: dict[str, Any], defs: dict[str, Any]) -> Strategy:
    """A strategy for JSON values that `node` (a JSON schema, as pydantic writes them) accepts."""
    if "$ref" in node:
        return value_for(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        return st.one_of([value_for(option, defs) for option in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "string":
        return _text(node)
    if kind == "integer":
        low = node.get("minimum", -(2**31))
        high = node.get("maximum", 2**31)
        return st.integers(min_value=low, max_value=high)
    if kind == "number":
        return st.floats(min_value=node.get("minimum"), max_value=node.get("maximum"), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = value_for(node.get("items", {}), defs)
        return st.lists(items, min_size=node.get("minItems", 0), max_size=min(node.get("maxItems", 4), 4))
    if kind == "object":
        if "properties" in node:
            return arguments_for(node, defs)
        values = value_for(node.get("additionalProperties", {"type": "string"}), defs)
        return st.dictionaries(_text({"maxLength": 20, "minLength": 1}), values, max_size=3)
    return junk_scalar


def arguments_for(
    schema: dict[str, Any], defs: dict[str, Any] | None = None, hints: dict[str, Strategy] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Objects `schema` accepts: every required property, and any of the optional ones. `hints` replace
    the strategy of properties by name (e.g. ids of things that exist)."""
    defs = defs if defs is not None else schema.get("$defs", {})
    hints = hints or {}
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))

    def strategy(name: str) -> Strategy:
        hint = hints.get(name)
        return hint if hint is not None else value_for(properties[name], defs)

    fixed = st.fixed_dictionaries(
        {name: strategy(name) for name in properties if name in required},
        optional={name: strategy(name) for name in properties if name not in required},
    )
    return fixed


def junk_arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Arbitrary objects with the schema's property names (and others): mostly to be rejected."""
    names = list(schema.get("properties", {}))
    keys = st.sampled_from(names) if names else st.nothing()
    return st.dictionaries(keys | junk_text, junk, max_size=len(names) + 2)


def strings_in(value: Any) -> list[str]:
    """Every string value inside a generated value (not the keys: a rejection names the fields it rejects)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def keys_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value] + [k for v in value.values() for k in keys_in(v)]
    if isinstance(value, list):
        return [k for item in value for k in keys_in(item)]
    return []


def echoed(
    arguments: dict[str, Any], message: str, at_least: int = 10, schema: dict[str, Any] | None = None
) -> list[str]:
    """Generated strings of `at_least` characters that appear in `message` (a rejection must echo none).

    Not an echo: a string found in the tool's own schema (a rejection may name the allowed values: 'oldest_fir'
    is inside "should be 'oldest_first' or 'newest_first'"), nor a key, which a rejection names as the place
    to fix (its first 40 characters)."""
    own = json.dumps(schema) if schema is not None else ""
    for key in sorted(keys_in(arguments), key=len, reverse=True):
        if key:
            message = message.replace(key[:40], "")
    return [s for s in strings_in(arguments) if len(s.strip()) >= at_least and s in message and s not in own]


agent_names = st.from_regex(r"[\w'\-][\w '\-]{0,39}", fullmatch=True)
"""Names Letta accepts for an agent (a random string rarely is one)."""

REJECTED = "Invalid arguments for"
"""How a validation failure begins: the call never reached the tool."""
