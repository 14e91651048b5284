"""A TestClient that submits page forms as a browser does: with the hidden CSRF token of its own cookie."""
import re
import secrets

from fastapi.testclient import TestClient

from api.pages import csrf


class PageClient(TestClient):
    """Every non-API POST carries the form token (pass csrf=False to post without one)."""

    def post(self, url, *args, data=None, csrf: bool = True, **kwargs):
        if csrf and not str(url).startswith("/api/"):
            data = {**(data or {}), csrf_field(): self.form_token()}
        return super().post(url, *args, data=data, **kwargs)

    def form_token(self) -> str:
        """The token a page would embed for this client's cookie (set one first, like a first page view)."""
        raw = self.cookies.get(csrf.COOKIE)
        if raw is None:
            raw = secrets.token_urlsafe(32)
            self.cookies.set(csrf.COOKIE, raw)
        return csrf.sign(self.app.state.settings.secret_key, raw)


def csrf_field() -> str:
    return csrf.FIELD


def error_beside(page: str, field: str, form: str | None = None) -> str | None:
    """The error shown after the input named `field` (in form `form`) and before the next input."""
    if form is not None:
        page = page[page.index(f'id="form-{form}"'):]
    start = page.index(f'name="{field}"')
    end = page.find(' name="', start + 1)
    match = re.search(r'<p class="field-error"[^>]*>([^<]+)</p>', page[start:end if end > 0 else None])
    return match.group(1) if match else None
