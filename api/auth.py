"""Signed session tokens, used as the pages' cookie and the API's bearer token."""
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SESSION_COOKIE = "fw_session"


class Tokens:
    """Issue and check tokens carrying a user id, valid for `max_age_s` seconds."""

    def __init__(self, secret: str, max_age_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="fundwatch-session")
        self.max_age_s = max_age_s

    def issue(self, user_id: int) -> str:
        return self._serializer.dumps({"uid": user_id})

    def user_id(self, token: str) -> int | None:
        """The user id in a valid, unexpired token, else None."""
        try:
            data = self._serializer.loads(token, max_age=self.max_age_s)
        except (BadSignature, SignatureExpired):
            return None
        uid = data.get("uid") if isinstance(data, dict) else None
        return uid if isinstance(uid, int) else None
