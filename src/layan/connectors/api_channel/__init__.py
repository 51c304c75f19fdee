"""The API channel: a company's own system posts its customers' messages and receives the replies."""
