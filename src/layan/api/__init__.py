"""REST API v1 (Django Ninja)."""
