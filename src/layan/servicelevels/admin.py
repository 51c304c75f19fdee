"""Operator admin for service levels (the on-call part registers itself in oncall_admin.py)."""

from layan.servicelevels import oncall_admin  # noqa: F401 - registers the on-call models
