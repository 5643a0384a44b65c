"""Pure logic on plain data: no SQLAlchemy, FastAPI or I/O below this package."""
