"""The live chat widget channel: one script tag on a website, a WebSocket per visitor. See docs/flows/livechat.md."""
