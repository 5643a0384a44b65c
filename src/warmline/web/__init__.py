"""The agent desk: server-rendered pages (Jinja2, autoescaped) with a small vendored script."""
