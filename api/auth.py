"""Signed session tokens, used as the pages' cookie and the API's bearer token."""
import time

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SESSION_COOKIE = "fw_session"


class Tokens:
    """Issue and check tokens carrying a user id and the user's session epoch, valid for `max_age_s`
    seconds. Raising the user's epoch (log-out, password change) invalidates every token issued before."""

    REMEMBERED = 10_000  # verified tokens kept; past that the memory starts afresh

    def __init__(self, secret: str, max_age_s: int, clock=time.time) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="fundwatch-session")
        self.max_age_s = max_age_s
        self._clock = clock
        self._verified: dict[str, tuple[int, int, float]] = {}  # token -> (user id, epoch, signed at)

    def issue(self, user_id: int, epoch: int) -> str:
        return self._serializer.dumps({"uid": user_id, "ep": epoch})

    def claims(self, token: str) -> tuple[int, int] | None:
        """(user id, session epoch) of a valid, unexpired token, else None. A token's signature is checked
        once and then remembered (every request carries one); its age is checked every time."""
        known = self._verified.get(token)
        if known is None:
            known = self._verify(token)
            if known is None:
                return None
            if len(self._verified) >= self.REMEMBERED:
                self._verified.clear()
            self._verified[token] = known
        user_id, epoch, signed_at = known
        return (user_id, epoch) if 0 <= self._clock() - signed_at <= self.max_age_s else None

    def _verify(self, token: str) -> tuple[int, int, float] | None:
        try:
            data, signed_at = self._serializer.loads(token, max_age=self.max_age_s, return_timestamp=True)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("uid"), int) or not isinstance(data.get("ep"), int):
            return None
        return data["uid"], data["ep"], signed_at.timestamp()
