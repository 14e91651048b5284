"""Tables behind the HTTP guards, shared by every worker process of one deployment."""
from datetime import datetime

from sqlmodel import Field, SQLModel

from domain.types import UTCDateTime


class RateCounter(SQLModel, table=True):
    """Hits of one guarded action by one client within a window that opens at its first hit.

    The key is a keyed hash of the action and client (user name, address): the table never holds
    receipt codes, passwords or a reporter's address in the clear."""

    __tablename__ = "rate_counter"

    key: str = Field(primary_key=True, max_length=64)
    window_end: datetime = Field(sa_type=UTCDateTime, index=True)  # expired rows are purged by this
    count: int = 0
