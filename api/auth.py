"""Signed session tokens, used as the pages' cookie and the API's bearer token."""
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SESSION_COOKIE = "fw_session"


class Tokens:
    """Issue and check tokens carrying a user id and the user's session epoch, valid for `max_age_s`
    seconds. Raising the user's epoch (log-out, password change) invalidates every token issued before."""

    def __init__(self, secret: str, max_age_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="fundwatch-session")
        self.max_age_s = max_age_s

    def issue(self, user_id: int, epoch: int) -> str:
        return self._serializer.dumps({"uid": user_id, "ep": epoch})

    def claims(self, token: str) -> tuple[int, int] | None:
        """(user id, session epoch) of a valid, unexpired token, else None."""
        try:
            data = self._serializer.loads(token, max_age=self.max_age_s)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("uid"), int) or not isinstance(data.get("ep"), int):
            return None
        return data["uid"], data["ep"]
