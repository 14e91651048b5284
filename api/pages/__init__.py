"""Server-rendered Chinese pages (Jinja2)."""
from fastapi import APIRouter, Depends

from api.pages import (
    clocks, detail, inbox, overdue, portal, public, referrals, rewards, session, tip_referrals, tips, work,
)
from api.pages import dashboard, howto  # 领导看板, 工作流程说明
from api.pages.csrf import require_token

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_token)])  # every form: CSRF token
# tips before detail: /tips/new must match before /tips/{tip_id}.
for _module in (session, tips, detail, tip_referrals, referrals, rewards, clocks, portal, work, overdue, inbox,
                public):
    router.include_router(_module.router)
for _module in (dashboard, howto):
    router.include_router(_module.router)
