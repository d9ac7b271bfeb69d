"""A draft as downloadable files: plain text, PDF (WeasyPrint) and DOCX (python-docx)."""

from __future__ import annotations

import io
import logging
import re
import threading

from django.template.loader import render_to_string
from django.utils import translation

from vigisante.drafts.services import Built

GAP = re.compile(r"(\[[^\[\]\n]{1,300}\])")
_fonts = threading.local()  # WeasyPrint's font configuration, built once per thread


def _font_config():
    config = getattr(_fonts, "config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _fonts.config = FontConfiguration()
    return config


def filename(built: Built, extension: str) -> str:
    return f"{built.report.reference}-{built.kind.kind}-{built.language}.{extension}"


def paragraphs(text: str) -> list[list[str]]:
    """The text as paragraphs (blank-line separated), each a list of lines."""
    return [block.split("\n") for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]


def as_text(built: Built) -> bytes:
    return built.text.encode("utf-8")


def css_string(text: str) -> str:
    """`text` as the inside of a CSS string: every character but letters, digits and spaces
    as a hexadecimal escape, so nothing an admin types can close the string or the style."""
    return "".join(c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):x} "
                   for c in text.replace("\n", " "))


def as_pdf(built: Built) -> bytes:
    with translation.override(built.language):
        html = render_to_string("drafts/pdf.html", {
            "built": built, "paragraphs": [[GAP.split(line) for line in p]
                                           for p in paragraphs(built.text)],
            "top": css_string(f"{built.report.reference} · {built.kind.title}"),
            "bottom": css_string(built.template.legal_basis)})
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        from weasyprint import HTML

        return HTML(string=html).write_pdf(font_config=_font_config())
    finally:
        logger.setLevel(level)


def as_docx(built: Built) -> bytes:
    """An editable document: one paragraph per block, missing facts highlighted."""
    from docx import Document
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "DejaVu Sans"
    style.font.size = Pt(10.5)
    props = doc.core_properties
    props.title = f"{built.report.reference} - {built.kind.kind}"
    props.subject = built.template.legal_basis
    props.comments = (f"template {built.kind.kind}/{built.language} v{built.template.version}, "
                      f"report version {built.report.version}, facts {built.facts_hash[:12]}")
    props.author = "Vigisanté"
    footer = doc.sections[0].footer.paragraphs[0]
    footer.text = f"{built.report.reference} · {built.template.legal_basis}"
    for block in paragraphs(built.text):
        para = doc.add_paragraph()
        for i, line in enumerate(block):
            for piece in GAP.split(line):
                if not piece:
                    continue
                run = para.add_run(piece)
                if GAP.fullmatch(piece):
                    run.bold = True
                    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
            if i < len(block) - 1:
                para.add_run().add_break()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
