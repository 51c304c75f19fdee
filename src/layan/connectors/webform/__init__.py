"""The web-form channel: an embeddable contact form whose submissions become conversations."""
