"""Engine, sessions and the unit of work."""
from db.engine import Database, get_database, reset_database

__all__ = ["Database", "get_database", "reset_database"]
