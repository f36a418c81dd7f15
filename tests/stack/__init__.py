"""The real Letta stack for the integration tests (see letta_stack.py)."""
