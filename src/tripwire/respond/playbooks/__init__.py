"""Playbooks per incident type, as data; the engine that runs them; rollbacks."""
