"""The email channel: parsing, threading, receiving (IMAP, SMTP, webhook) and sending (SMTP)."""
