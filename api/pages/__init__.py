"""Server-rendered Chinese pages (Jinja2)."""
from fastapi import APIRouter, Depends

from api.pages import (
    clocks, detail, inbox, overdue, portal, public, referrals, rewards, session, tip_referrals, tips, work,
)
from api.pages import dashboard, howto  # 领导看板, 工作流程说明
from api.pages import info_reports, matters, meetings  # 联席会议, 议定事项, 信息报送
from api.pages import supervision, supervision_findings  # 督导整改
from api.pages import admin, admin_calendar, admin_policy, admin_registry, admin_users  # 系统管理
from api.pages.csrf import require_token

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_token)])  # every form: CSRF token
# tips before detail: /tips/new must match before /tips/{tip_id}.
for _module in (session, tips, detail, tip_referrals, referrals, rewards, clocks, portal, work, overdue, inbox,
                public):
    router.include_router(_module.router)
for _module in (dashboard, howto):
    router.include_router(_module.router)
for _module in (supervision, supervision_findings):  # 督导整改
    router.include_router(_module.router)
for _module in (meetings, matters, info_reports):
    router.include_router(_module.router)
for _module in (admin, admin_users, admin_registry, admin_policy, admin_calendar):  # 系统管理
    router.include_router(_module.router)
