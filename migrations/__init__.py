"""Alembic environment and versions, shipped as package data.

`HEAD` is the latest revision, so everyday commands can check the schema
without importing Alembic (a test keeps it equal to the scripts' head).
"""

HEAD = "0017"
