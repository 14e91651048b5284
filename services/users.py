"""Accounts: password hashing (argon2), log-in, and the request's user, remembered while no account changed."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import bindparam
from sqlmodel import Session, select

from db.engine import Database
from db.prepared import Prepared
from domain.enums import Role
from domain.models import User
from services.revisions import Remembered  # its listeners move the accounts revision RequestUsers relies on

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None."""
    user = session.exec(select(User).where(User.username == username)).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    return user if user is not None and user.active else None


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def create_user(
    session: Session, *, username: str, display_name: str, password: str, role: Role,
    department_id: int | None = None,
) -> User:
    """Add a user with a hashed password."""
    user = User(username=username, display_name=display_name, password_hash=hash_password(password),
                role=role.value, department_id=department_id)
    session.add(user)
    session.flush()
    return user


_TABLE = User.__table__
_USER = Prepared(select(*_TABLE.c).where(_TABLE.c.id == bindparam("user_id")))


class RequestUsers:
    """The user row of each request's token, on a pooled connection outside any transaction. Remembered
    while the accounts revision stands (services.revisions: log-out, deactivation, a new role or password
    take effect at the next request, on every API worker); read every time where there is none
    (PostgreSQL, whose API workers may run on several machines)."""

    def __init__(self, database: Database) -> None:
        self._engine, self._revision = database.engine, database.revisions.get("accounts")
        self._memory = Remembered()

    def get(self, user_id: int) -> tuple | None:
        """A read-only row of the user's columns (no session or ORM object), or None."""
        return self._memory.get(self._revision, user_id, lambda: self._read(user_id))

    def _read(self, user_id: int) -> tuple | None:
        found = _USER.read(self._engine, {"user_id": user_id})
        return found[0] if found else None
