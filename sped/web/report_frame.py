"""A data-quality report (written by sped/reports/quality.py as a page that stands alone, with
its own stylesheet inline) shown inside the application's frame: its body alone, with the
application's navigation around it and the application's stylesheet instead of the inline one,
which the content security policy (`style-src 'self'`) would block. The report is our own
autoescaped output, so its body is inserted as it is; tables get the application's classes."""

from __future__ import annotations

import re

SCROLL_BOX = 'tabindex="0" role="region" aria-label="Table (scrolls sideways)"'
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)
_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
_STYLE = re.compile(r"<style\b.*?</style>|\sstyle=\"[^\"]*\"", re.S | re.I)


def framed(report_html: str) -> tuple[str, str]:
    """(title, body) of a report, ready to go inside the application's page."""
    title = _TITLE.search(report_html)
    body = _BODY.search(report_html)
    text = body.group(1) if body else report_html
    text = _STYLE.sub("", text)
    text = text.replace("<table>", f'<div class="scroll" {SCROLL_BOX}><table class="grid">')
    text = text.replace("</table>", "</table></div>")
    text = re.sub(r'class="n"', 'class="num"', text)
    text = re.sub(r'class="(accepted|rejected|superseded)"', r'class="status-\1"', text)
    return (title.group(1).strip() if title else "Data quality report"), text
