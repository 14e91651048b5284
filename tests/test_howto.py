"""工作流程说明: one diagram per lifecycle machine found in states/, each an inline SVG drawn from the machine and
naming every state (and every event) in Chinese; the page is for every logged-in role."""
import html as html_lib
import importlib
import inspect
import pkgutil
import re

from statemachine import StateMachine

import states
from services.diagrams import event_labels

ROLES = ("desk", "investigator", "chief", "head", "police", "office", "auditor", "admin", "supervisor", "convener",
         "township_admin", "grid")


def all_machines() -> list[type[StateMachine]]:
    """Every StateMachine class defined in a module of the states package (found here independently)."""
    found = []
    for info in pkgutil.iter_modules(states.__path__):
        module = importlib.import_module(f"states.{info.name}")
        found += [c for _, c in inspect.getmembers(module, inspect.isclass)
                  if issubclass(c, StateMachine) and c.__module__ == module.__name__]
    return found


def sections(page: str) -> dict[str, str]:
    """Machine class name -> the SVG of its section."""
    found = {}
    for match in re.finditer(r'<section class="card machine" id="(\w+)".*?</section>', page, re.S):
        svgs = re.findall(r"<svg\b.*?</svg>", match.group(0), re.S)
        assert len(svgs) == 1, match.group(1)
        found[match.group(1)] = svgs[0]
    return found


def svg_texts(svg: str) -> str:
    """The text the SVG draws, entities decoded."""
    return "\n".join(html_lib.unescape(t) for t in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S))


def test_one_diagram_per_machine_naming_every_state_and_event(client, login):
    page = client.get("/howto", headers=login("desk"))
    assert page.status_code == 200 and "工作流程说明" in page.text and "<script" not in page.text
    machines = all_machines()
    assert len(machines) >= 9
    diagrams = sections(page.text)
    assert set(diagrams) == {m.__name__ for m in machines}
    for machine in machines:
        drawn = svg_texts(diagrams[machine.__name__])
        for state in machine.states:
            assert str(state.name) in drawn, (machine.__name__, state.name)
        labels = event_labels(machine)
        for event in machine.events:
            assert labels[event.id] in drawn, (machine.__name__, event.id)
        assert not re.search(r"[A-Za-z]{4,}", drawn), drawn  # no untranslated ids left on the diagram


def test_diagrams_follow_the_machines_transitions(client, login):
    """An edge for every state-changing transition of the tip machine: the SVG's edge titles are source->target."""
    from states.tip import TipMachine

    svg = sections(client.get("/howto", headers=login("head")).text)["TipMachine"]
    edges = {html_lib.unescape(t) for t in re.findall(r'<g id="edge\d+" class="edge">\s*<title>(.*?)</title>', svg)}
    expected = {f"{s.id}&#45;&gt;{t.target.id}" for s in TipMachine.states for t in s.transitions if not t.internal}
    assert {html_lib.unescape(e) for e in expected} <= edges


def test_every_role_has_the_link_and_anonymous_visitors_log_in_first(client, login):
    for who in ROLES:
        page = client.get("/howto", headers=login(who))
        assert page.status_code == 200 and '<a href="/howto">工作流程说明</a>' in page.text
    anonymous = client.get("/howto", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
