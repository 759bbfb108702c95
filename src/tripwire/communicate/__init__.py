"""Communicate: the public status page, user-communication drafts and their lint."""
