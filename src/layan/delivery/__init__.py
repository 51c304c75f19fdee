"""The outbox: every outbound message is sent once or marked failed with the reason."""
