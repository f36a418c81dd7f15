"""The contract and its rules: settings, callers, models, errors, scopes, visibility, the backend seam."""
