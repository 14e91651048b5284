"""Accounts: password hashing (argon2) and log-in."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlmodel import Session, select

from domain.enums import Role
from domain.models import User

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
