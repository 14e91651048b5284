"""Domain errors; api/errors.py maps each to one HTTP status. Messages are Chinese (pages show them)."""


class ServiceError(Exception):
    """Base: a use case refused, with a message for people."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    code = "not_found"


class Forbidden(ServiceError):
    code = "forbidden"


class InvalidInput(ServiceError):
    """One field is wrong; `field` names it so forms can show the message beside it."""

    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class TransitionRefused(ServiceError):
    """The event is not allowed in the current state; `allowed` lists what is."""

    code = "transition_not_allowed"

    def __init__(self, event: str, state: str, allowed: list[str], message: str) -> None:
        super().__init__(message)
        self.event, self.state, self.allowed = event, state, allowed


class StaleVersion(ServiceError):
    """Someone else changed the record first (optimistic version check)."""

    code = "stale_version"

    def __init__(self, current: int) -> None:
        super().__init__(f"记录已被他人修改（当前版本 {current}），请刷新后重试")
        self.current = current


class AlreadySubmitted(ServiceError):
    """The same one-time form (or API intake key) was submitted before; `existing_id` is what it made."""

    code = "already_submitted"

    def __init__(self, existing_id: int, message: str) -> None:
        super().__init__(message)
        self.existing_id = existing_id
