"""Server-rendered Chinese pages (Jinja2)."""
from fastapi import APIRouter

from api.pages import (
    clocks, detail, inbox, overdue, portal, public, referrals, rewards, session, tip_referrals, tips, work,
)
from api.pages import dashboard, howto  # 领导看板, 工作流程说明

router = APIRouter(include_in_schema=False)
# tips before detail: /tips/new must match before /tips/{tip_id}.
for _module in (session, tips, detail, tip_referrals, referrals, rewards, clocks, portal, work, overdue, inbox,
                public):
    router.include_router(_module.router)
for _module in (dashboard, howto):
    router.include_router(_module.router)
