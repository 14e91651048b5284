"""Render a document template to HTML. Templates get only what they are handed: never a reporter's
identity unless the document is addressed to that reporter."""
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                   autoescape=select_autoescape(["html", "j2"]))


def render_document(template: str, **context) -> str:
    """The document as a standalone HTML page (A4, print-ready)."""
    return _env.get_template(template).render(**context)


def document_number(prefix: str, kind: str, year: int, number: int) -> str:
    """An official document number, e.g. 界医保移〔2026〕12号."""
    return f"{prefix}{kind}〔{year}〕{number}号"
