"""The web UI: server-rendered Jinja2 pages with htmx (vendored), strict CSP, CSRF-checked forms."""
