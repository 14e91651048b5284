"""/admin/policy: the locality policy in effect, read-only (limits are changed in the TOML file, on restart)."""
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.pages.admin import can_change, reader_actor
from api.pages.common import UNIT_LABELS, PageRoute, render
from domain.enums import ROLE_LABELS, Role
from domain.policy import DeadlineRule, EscalationRule, LadderStep, Policy, Reminder
from domain.reward_policy import CHOOSE_BY, SCHEME_DIR, Band, RewardSettings
from services.context import Actor
from services.reward_queries import settings_of
from settings import ROOT

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NOTIFY_LABELS = {"handler": "承办人（案件负责人）", "liaison": "部门联络员", "department_leader": "部门负责人",
                 **{role.value: label for role, label in ROLE_LABELS.items()}}
ESCALATION_NAMES = {"default": "默认（未单列的期限）", "rectification": "督导整改（各整改期限）"}
MODE_LABELS = {"whole": "按案值所在档次的比例计算全额", "segmented": "分段累计（各档比例只适用于该档内的部分）"}
ROUNDING_LABELS = {"half_up": "四舍五入到元", "half_even": "银行家舍入到元", "down": "舍去角分"}
DUPLICATE_LABELS = {"FIRST_ONLY": "同一事项只奖励首位举报人",
                    "FIRST_PLUS_DISCRETIONARY": "首位举报人必奖，其他举报人由审批人酌定"}
REPORTER_LABELS = {"natural_person": "自然人", "organisation": "法人或其他组织"}


def span(amount: int, unit) -> str:
    """15 工作日, 2 个月 ..."""
    return f"{amount} {UNIT_LABELS.get(str(unit), str(unit))}"


def who(names) -> str:
    return "、".join(NOTIFY_LABELS.get(name, name) for name in names)


def reminder_text(reminder: Reminder) -> str:
    if reminder.fraction is not None:
        when = f"期限过去 {round(reminder.fraction * 100)}% 时"
    else:
        when = f"到期前 {span(reminder.before, reminder.unit)}"
    return f"{when}提醒{who(reminder.notify)}"


def step_text(step: LadderStep) -> str:
    when = "到期未完成即" if step.after == 0 else f"超期 {span(step.after, step.unit)}"
    action = f"（{step.label}）" if step.label else ""
    return f"{when}告知{who(step.notify)}{action}"


def escalation_name(policy: Policy, kind: str) -> str:
    """Which [escalation.*] section a deadline kind follows (the lookup Policy.escalation does)."""
    family = "rectification" if kind.startswith("rect_") else kind
    return next((name for name in (kind, family) if name in policy.escalations), "default")


def deadline_rows(policy: Policy) -> list[dict]:
    def row(rule: DeadlineRule) -> dict:
        notes = [text for flag, text in ((rule.real_name_only, "仅实名举报"), (rule.window, "可选期间，届满自动关闭"))
                 if flag]
        return {"kind": rule.kind, "label": rule.label, "limit": span(rule.amount, rule.unit),
                "unit": UNIT_LABELS.get(rule.unit.value, rule.unit.value), "amount": rule.amount,
                "notes": "；".join(notes), "escalation": escalation_name(policy, rule.kind)}
    return [row(rule) for rule in policy.deadlines.values()]


def escalation_rows(policy: Policy) -> list[dict]:
    def row(name: str, rule: EscalationRule) -> dict:
        label = ESCALATION_NAMES.get(name) or (policy.deadlines[name].label if name in policy.deadlines else name)
        return {"name": name, "label": label, "reminders": [reminder_text(r) for r in rule.reminders],
                "ladder": [step_text(s) for s in rule.ladder]}
    return [row(name, rule) for name, rule in policy.escalations.items()]


def band_text(band: Band, lower) -> str:
    if band.upto is None:
        upto = "全部案值" if not lower else f"{lower} 元以上"
    else:
        upto = f"{lower}–{band.upto} 元"
    plus = f"，另加 {band.plus} 元" if band.plus else ""
    return f"{upto}：{band.rate.normalize():f}%{plus}"


def reward_view(rewards: RewardSettings) -> dict:
    """The scheme's options with their bands, floor and cap, and the office's reward settings."""
    scheme = rewards.scheme
    options = []
    for option in scheme.options.values():
        lowers = [0] + [band.upto for band in option.bands[:-1]]
        options.append({"label": option.label, "mode": MODE_LABELS[option.mode], "floor": option.floor,
                        "cap": option.cap, "bands": [band_text(b, low) for b, low in zip(option.bands, lowers)]})
    return {
        "scheme": scheme, "options": options, "choose_by": CHOOSE_BY.get(scheme.choose_by) or "不区分",
        "rounding": ROUNDING_LABELS.get(scheme.rounding, scheme.rounding), "settings": rewards,
        "duplicate": DUPLICATE_LABELS.get(rewards.duplicate_policy, rewards.duplicate_policy),
        "reporters": "、".join(REPORTER_LABELS.get(k, k) for k in sorted(rewards.eligible_reporters)),
        "approvers": " → ".join(ROLE_LABELS[Role(r)] for r in rewards.approval_chain),
        "file": shown_path(SCHEME_DIR / f"{scheme.name}.toml"),
    }


def shown_path(path: Path) -> str:
    """A path relative to the installation when it lies inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@router.get("/admin/policy")
def policy_page(request: Request, actor: Actor = Depends(reader_actor)) -> Response:
    """地方政策 as loaded at start-up: deadlines, reminders and ladders, the reward scheme."""
    with request.app.state.runtime.read(actor) as ctx:
        policy = ctx.policy
        rewards = reward_view(settings_of(ctx))
    return render(request, "admin_policy.html", {
        "policy": policy, "deadlines": deadline_rows(policy), "escalations": escalation_rows(policy),
        "rewards": rewards, "policy_file": shown_path(request.app.state.settings.policy_file),
        "can_change": can_change(actor), "who": who,
    })
