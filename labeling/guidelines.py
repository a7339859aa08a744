"""Guidelines that admins write in Markdown, rendered to HTML that is safe to show annotators.

Markdown renders first, then nh3 (the Ammonia sanitiser) keeps only harmless tags and
attributes, so a script or an event handler in the text never reaches a browser.
"""

import markdown
import nh3

_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "h2", "h3", "h4", "a", "hr",
         "table", "thead", "tbody", "tr", "th", "td"}  # fmt: skip


def render_markdown(text: str) -> str:
    """Markdown -> sanitised HTML; links get rel="noopener noreferrer"."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists"])
    return nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener noreferrer")
