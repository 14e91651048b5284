"""工作流程说明: each lifecycle's state diagram, drawn from the machines in states/, with who may do what."""
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.pages.common import PageRoute, page_user, render
from domain.models import User
from services.diagrams import all_diagrams

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/howto")
def howto(request: Request, user: User = Depends(page_user)) -> Response:
    """工作流程说明 (every logged-in role)."""
    return render(request, "howto.html", {"diagrams": all_diagrams()})
