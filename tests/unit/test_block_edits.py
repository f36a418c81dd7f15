"""How an edit changes a block's text, and how a write read back tells whether another writer's older
value replaced it (pure functions every backend shares)."""

from __future__ import annotations

import pytest

from letta_mcp.core.errors import InvalidInput
from letta_mcp.core.locks import KeyedLocks
from letta_mcp.toolsets.memory import Edit, apply_edit, carries

pytestmark = pytest.mark.anyio

BEFORE = "a: todo\nb: todo\nc: todo"


@pytest.mark.parametrize(
    ("edit", "other"),
    [
        (Edit(old_text="b: todo", new_text="b: done"), "a: done\nb: todo\nc: todo"),
        (Edit(old_text="b: todo", new_text=""), "a: done\nb: todo\nc: todo"),
        (Edit(old_text="b", new_text="bb"), "a: done\nb: todo\nc: todo"),  # new text contains the old
        (Edit(insert_text="d: new", line=-1), "a: done\nb: todo\nc: todo"),
    ],
)
def test_an_edit_replaced_by_an_older_value_is_seen_and_one_built_on_it_is_not(edit: Edit, other: str) -> None:
    written = apply_edit(BEFORE, edit, "notes").value
    assert carries(edit, written, written)
    assert not carries(edit, written, other), "another writer stored a value made before ours"
    on_top = apply_edit(written, Edit(old_text="a: todo", new_text="a: done"), "notes").value
    assert carries(edit, written, on_top), "another writer built on ours"


def test_the_edit_is_applied_again_on_what_the_other_writer_left() -> None:
    edit = Edit(old_text="b: todo", new_text="b: done")
    other = "a: done\nb: todo\nc: todo"
    assert apply_edit(other, edit, "notes").value == "a: done\nb: done\nc: todo"
    with pytest.raises(InvalidInput, match="occurs 2 times"):
        apply_edit("b: todo\nb: todo", edit, "notes")


async def test_keyed_locks_serialise_one_key_and_are_dropped_when_unused() -> None:
    import anyio

    locks = KeyedLocks()
    order: list[str] = []

    async def hold(key: str, name: str, delay: float) -> None:
        async with locks.hold(key) as waited:
            order.append(f"{name} in{' (waited)' if waited else ''}")
            await anyio.sleep(delay)
            order.append(f"{name} out")

    async with anyio.create_task_group() as tg:
        tg.start_soon(hold, "block-1", "first", 0.05)
        await anyio.sleep(0.01)
        tg.start_soon(hold, "block-1", "second", 0)
        tg.start_soon(hold, "block-2", "other", 0)
    assert order.index("first out") < order.index("second in (waited)")
    assert order.index("other in") < order.index("first out"), "another key does not wait"
    assert len(locks) == 0
