"""The public progress look-up for anonymous reporters (no log-in; the code travels in the POST body)."""
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from api.guards import client_key
from api.pages.common import PageRoute, form_data, known_user, render
from api.routes.documents import decision_notice_for_code, pdf_response
from api.routes.public import log
from documents.pdf import html_to_pdf
from domain.models import User
from services.errors import NotFound
from services.tip_queries import status_by_receipt

router = APIRouter(route_class=PageRoute, include_in_schema=False)
MAX_CODE_LENGTH = 64


def _page(request: Request, *, result=None, code: str = "", error: str | None = None, status: int = 200) -> Response:
    """The look-up form, with the result or the error."""
    return render(request, "status.html", {"result": result, "code": code, "error": error}, status=status)


@router.get("/status")
def status_form(request: Request, _user: User | None = Depends(known_user)) -> Response:
    """The empty look-up form."""
    return _page(request)


@router.post("/status")
def status_lookup(request: Request, form: dict[str, str] = Depends(form_data),
                  _user: User | None = Depends(known_user)) -> Response:
    """The stage, registration date and finding of the tip the receipt code belongs to."""
    code = form.get("code", "").strip()
    if not code:
        return _page(request, error="请输入查询码", status=422)
    if not request.app.state.limits.allow_receipt_lookup(request):
        return _page(request, error="查询过于频繁，请稍后再试", status=429)
    if len(code) > MAX_CODE_LENGTH:
        return _page(request, error="查询码无效", status=404)
    try:
        with request.app.state.runtime.db.read() as session:
            result = status_by_receipt(session, code)
    except NotFound:
        log.warning("receipt-code look-up failed from %s", client_key(request))  # never the code itself
        return _page(request, code=code, error="查询码无效", status=404)
    return _page(request, result=result, code=code)


@router.post("/status/decision-notice")
def status_decision_notice(request: Request, form: dict[str, str] = Depends(form_data),
                           _user: User | None = Depends(known_user)) -> Response:
    """受理告知书 or 不予受理告知书 as PDF for the code's holder (the code again in the POST body)."""
    code = form.get("code", "").strip()
    if not code or len(code) > MAX_CODE_LENGTH:
        return _page(request, error="查询码无效", status=404)
    try:
        title, html = decision_notice_for_code(request, request.app.state.runtime, code)
    except HTTPException as refused:  # rate limit
        return _page(request, error=refused.detail, status=refused.status_code)
    except NotFound as missing:
        log.warning("decision-notice look-up failed from %s", client_key(request))  # never the code itself
        return _page(request, code=code, error=missing.message, status=404)
    return pdf_response(html_to_pdf(html), f"{title}.pdf")
