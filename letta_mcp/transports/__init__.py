"""How clients reach the server: stdio, and HTTP with its authentication, key checks, draining and workers."""
