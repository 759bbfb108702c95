"""The HTTP face: FastAPI routers, one per resource; no business rules here."""
