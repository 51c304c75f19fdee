"""The log channel: records each send in the application log and succeeds.

Stands in for every channel kind whose real adapter has not arrived yet, so replies flow through
the real outbox path end to end.
"""
