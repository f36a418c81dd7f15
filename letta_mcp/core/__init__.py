"""The contract and its rules (settings, callers, models, errors, scopes, visibility, the seam): no SDK server, no transport, no backend."""
