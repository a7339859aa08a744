"""REST API: each view validates input, calls one service or selector, serializes."""
