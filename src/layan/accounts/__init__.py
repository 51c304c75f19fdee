"""Workspaces, agents, roles, teams, API tokens and the audit log; access checks."""
