"""Session tokens: a token's signature is checked once and remembered, its age every time."""
import time

from api.auth import Tokens


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_remembered_token_still_expires_on_time():
    clock = Clock()
    tokens = Tokens("secret", max_age_s=3600, clock=clock)
    token = tokens.issue(7, 2)
    assert tokens.claims(token) == (7, 2)
    clock.now += 3000
    assert tokens.claims(token) == (7, 2)  # remembered, still young enough
    clock.now += 700
    assert tokens.claims(token) is None
    clock.now -= 7200  # a clock set back before the token was signed does not revive it
    assert tokens.claims(token) is None


def test_tampered_or_foreign_tokens_are_refused_every_time():
    tokens, other = Tokens("secret", 3600), Tokens("another secret", 3600)
    token = tokens.issue(7, 2)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for _ in range(2):
        assert tokens.claims(tampered) is None
        assert tokens.claims(other.issue(7, 2)) is None
        assert tokens.claims("not a token") is None
    assert tokens.claims(token) == (7, 2)


def test_memory_is_bounded():
    tokens = Tokens("secret", 3600)
    tokens.REMEMBERED = 3
    issued = [tokens.issue(user_id, 0) for user_id in range(10)]
    assert [tokens.claims(token) for token in issued] == [(user_id, 0) for user_id in range(10)]
    assert len(tokens._verified) <= 3
