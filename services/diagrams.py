"""State diagrams drawn from the lifecycle machines themselves (python-statemachine's diagram support + Graphviz).

Every StateMachine class defined in a module of the `states` package gets one SVG: states carry their Chinese
names, transitions the Chinese event labels the module declares, guards their Chinese meaning.
"""
import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass
from functools import lru_cache

from statemachine import StateMachine
from statemachine.contrib.diagram import run_graphviz
from statemachine.contrib.diagram.extract import extract
from statemachine.contrib.diagram.model import ActionType, DiagramAction, DiagramGraph
from statemachine.contrib.diagram.renderers.dot import DotRenderer, DotRendererConfig

import states
from domain.enums import ROLE_LABELS, Role

FONT = "Noto Sans CJK SC"
TITLES = {
    "TipMachine": "举报线索办理", "PoliceReferralMachine": "移送公安（行刑衔接）",
    "DepartmentReferralMachine": "移送纪检监察机关及其他部门", "RewardMachine": "举报奖励",
    "RoundMachine": "督导轮次", "FindingMachine": "督导问题整改", "MeetingMachine": "联席会议",
    "MatterMachine": "会议议定事项督办", "InfoReportMachine": "信息报告",
}
# Guard -> (label when it holds, label when it does not: the `unless` side).
GUARD_LABELS = {
    "decision_notice_pending": ("尚未告知受理结果", "已告知受理结果"),
    "extensions_exhausted": ("延期次数已用完", "尚有延期次数"),
    "has_refusal_ground": ("存在不予奖励情形", "无不予奖励情形"),
    "more_approvals_needed": ("尚有后续审批", "最后一级审批"),
    "objection_allowed": ("属政府督查，可申请复核", "不可申请复核"),
}
MODULE_ORDER = ("tip", "referral", "reward", "supervision", "meeting")  # others follow by name


@dataclass(frozen=True)
class Diagram:
    key: str               # the machine's class name
    title: str             # Chinese title
    module: str            # states.tip ...
    states: list[tuple[str, str, bool]]   # (value, Chinese name, final)
    events: list[tuple[str, str]]         # (Chinese label, who may send it)
    svg: str


def machines() -> list[type[StateMachine]]:
    """Every lifecycle machine defined in the `states` package, in module then definition order."""
    found: list[type[StateMachine]] = []
    rank = {name: i for i, name in enumerate(MODULE_ORDER)}
    for info in sorted(pkgutil.iter_modules(states.__path__), key=lambda m: (rank.get(m.name, 99), m.name)):
        module = importlib.import_module(f"states.{info.name}")
        classes = [c for _, c in inspect.getmembers(module, inspect.isclass)
                   if issubclass(c, StateMachine) and c.__module__ == module.__name__]
        found.extend(sorted(classes, key=lambda c: inspect.getsourcelines(c)[1]))
    return found


def _module_table(machine: type[StateMachine], suffix: str) -> dict:
    """The module's EVENT_{suffix} table, overlaid by the machine's prefixed one (INFO_EVENT_LABELS ...)."""
    module = importlib.import_module(machine.__module__)
    table: dict = dict(getattr(module, f"EVENT_{suffix}", {}))
    for name, value in vars(module).items():
        prefix = name.removesuffix(f"_EVENT_{suffix}")
        if name.endswith(f"_EVENT_{suffix}") and machine.__name__.upper().startswith(prefix.replace("_", "")):
            table.update(value)
    return table


def event_labels(machine: type[StateMachine]) -> dict[str, str]:
    """Event id -> Chinese label, as the machine's module declares them."""
    return _module_table(machine, "LABELS")


def event_rows(machine: type[StateMachine]) -> list[tuple[str, str]]:
    """(Chinese event label, the roles that may send it) for every event of the machine."""
    labels, roles = event_labels(machine), _module_table(machine, "ROLES")
    rows = []
    for event in machine.events:
        who = roles.get(event.id)
        names = "、".join(ROLE_LABELS[Role(r)] for r in sorted(who)) if who else "系统（期限到期或流程自动）"
        rows.append((labels.get(event.id, event.id), names))
    return rows


def _guard(text: str) -> str:
    """A guard in Chinese: `!name` is its negation."""
    negated, name = text.startswith("!"), text.lstrip("!")
    holds, fails = GUARD_LABELS.get(name, (name, f"非 {name}"))
    return fails if negated else holds


def chinese_graph(machine: type[StateMachine]) -> DiagramGraph:
    """The library's diagram model in Chinese; internal transitions are written inside their state."""
    graph = extract(machine)
    by_name = {str(e.name): e.id for e in machine.events}
    labels = event_labels(machine)
    for transition in graph.transitions:
        transition.event = labels.get(by_name.get(transition.event, ""), transition.event)
        transition.guards = [_guard(g) for g in transition.guards]
    states_by_id = {s.id: s for s in graph.states}
    for transition in graph.transitions:
        if transition.is_internal and transition.source in states_by_id:
            guard = f"（{'，'.join(transition.guards)}）" if transition.guards else ""
            states_by_id[transition.source].actions.append(
                DiagramAction(type=ActionType.INTERNAL, body=f"{transition.event}{guard}"))
    graph.name = machine.__name__
    return graph


def _clean_svg(data: bytes) -> str:
    """Graphviz's SVG without the XML prolog and comments, ready to inline in a page."""
    text = data.decode("utf-8")
    text = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", "", text, flags=re.S)
    return text.strip()


@lru_cache(maxsize=None)
def machine_svg(machine: type[StateMachine]) -> str:
    """One machine's diagram as inline SVG (cached: the machines do not change while the app runs)."""
    config = DotRendererConfig(graph_rankdir="TB", font_name=FONT, state_font_size="12", transition_font_size="10")
    dot = DotRenderer(config=config).render(chinese_graph(machine))
    dot.set_label("")
    return _clean_svg(run_graphviz(dot.to_string(), "svg"))


def diagram(machine: type[StateMachine]) -> Diagram:
    """The machine's title, states and SVG."""
    return Diagram(
        key=machine.__name__, title=TITLES.get(machine.__name__, (machine.__doc__ or machine.__name__).strip()),
        module=machine.__module__, svg=machine_svg(machine),
        states=[(str(s.value), str(s.name), bool(s.final)) for s in machine.states], events=event_rows(machine),
    )


def all_diagrams() -> list[Diagram]:
    """One diagram per lifecycle machine."""
    return [diagram(m) for m in machines()]
