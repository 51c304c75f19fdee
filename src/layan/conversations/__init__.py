"""Conversations (tickets), messages, participants, attachments, notes and tags."""
