"""Turn a rendered document (standalone HTML, A4) into PDF with WeasyPrint, offline.

The documents name "Noto Serif CJK SC" (Debian's fonts-noto-cjk, installed by scripts/setup.sh), which WeasyPrint
embeds as a subset, so the PDF shows and yields real Chinese text on machines without the font.
"""
from weasyprint import HTML
from weasyprint.urls import URLFetcher

PDF_MEDIA_TYPE = "application/pdf"


def _offline_fetcher() -> URLFetcher:
    """Documents are self-contained: only inline data: URLs are fetched, never the network or local files."""
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def html_to_pdf(html: str) -> bytes:
    """The PDF of one standalone HTML document."""
    return HTML(string=html, url_fetcher=_offline_fetcher(), media_type="print").write_pdf()
