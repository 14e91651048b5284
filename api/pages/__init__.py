"""Server-rendered Chinese pages (Jinja2)."""
from fastapi import APIRouter

from api.pages import detail, public, session, tips

router = APIRouter(include_in_schema=False)
# tips before detail: /tips/new must match before /tips/{tip_id}.
for _module in (session, tips, detail, public):
    router.include_router(_module.router)
