"""The Claude Code plugin: a project's Letta memory in context without asking, and each session kept for next time."""
