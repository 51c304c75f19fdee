"""The agent workspace: pages, login, realtime consumers."""
