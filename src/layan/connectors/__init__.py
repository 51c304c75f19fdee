"""Channels: inboxes, the adapter protocol and one package per channel kind."""
