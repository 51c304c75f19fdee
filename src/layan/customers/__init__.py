"""Customers, their channel identities, merging and consent."""
