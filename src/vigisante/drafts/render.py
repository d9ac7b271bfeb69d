"""A draft as downloadable files: plain text, PDF, DOCX and ODT.

The drafts are plain paragraphs with a header, a footer and "page x / y": a text layout, not a
web page. The PDF is written with ReportLab's paragraph layout, about four times cheaper than
WeasyPrint's CSS layout for the same pages (see benchmarks/RESULTS.md, "Drafts"). The editable
documents are assembled from parts built once per process (styles, settings, manifest; for the
DOCX, the package python-docx makes) and the few parts that carry the draft: DOCX
(`word/document.xml`, its footer, its properties) and ODT (OpenDocument text, what French
public administrations and LibreOffice use natively: `content.xml`, `styles.xml` with the
header and footer, `meta.xml`).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zipfile
from collections.abc import Callable
from xml.sax.saxutils import escape as xml_escape

from django.utils import translation
from django.utils.translation import gettext as _

from vigisante.core.pdf import numbered_canvas, pdf_fonts
from vigisante.drafts.services import Built

# The marker of a missing fact (services._marker, in either language); other brackets a
# reporter types stay plain text.
GAP = re.compile(r"(\[(?:TO COMPLETE|À COMPLÉTER) ?:[^\[\]\n]{0,300}\])")
# Characters XML 1.0 does not allow (a pasted control character must not break a document).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def filename(built: Built, extension: str) -> str:
    return f"{built.report.reference}-{built.kind.kind}-{built.language}.{extension}"


def paragraphs(text: str) -> list[list[str]]:
    """The text as paragraphs (blank-line separated), each a list of lines."""
    text = _NOT_XML.sub("", text)
    return [block.split("\n") for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]


def pieces(line: str) -> list[tuple[str, bool]]:
    """A line as (text, is_a_gap) pieces, empty pieces dropped."""
    return [(piece, i % 2 == 1) for i, piece in enumerate(GAP.split(line)) if piece]


def header(built: Built) -> str:
    return f"{built.report.reference} · {built.kind.title}"


def footer(built: Built) -> str:
    return f"{built.report.reference} · {built.template.legal_basis}"


def provenance(built: Built) -> str:
    with translation.override(built.language):
        return _("Draft prepared by Vigisanté from template version %(v)s and report version "
                 "%(rv)s. It leaves the platform only when you send it yourself.") % {
            "v": built.template.version, "rv": built.report.version}


def as_text(built: Built) -> bytes:
    return built.text.encode("utf-8")


# ---------------------------------------------------------------------------------------------
# PDF (ReportLab)
# ---------------------------------------------------------------------------------------------

def _markup(line: str) -> str:
    """A line in ReportLab's paragraph markup: text escaped, gaps bold on yellow."""
    return "".join(f'<font backColor="#ffe680"><b>{xml_escape(text)}</b></font>' if gap
                   else xml_escape(text) for text, gap in pieces(line))


@functools.cache
def _styles() -> dict:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.styles import ParagraphStyle

    fonts = pdf_fonts()
    body = ParagraphStyle("draft", fontName=fonts["regular"], fontSize=10.5, leading=15.2,
                          spaceAfter=8.4, textColor=HexColor("#111111"))
    return {"body": body,
            "first": ParagraphStyle("draft-first", parent=body, fontName=fonts["bold"]),
            "meta": ParagraphStyle("draft-meta", parent=body, fontSize=8, leading=11,
                                   spaceBefore=20, textColor=HexColor("#555555"))}


def as_pdf(built: Built) -> bytes:
    """The draft on A4 pages, each with the report reference and "page x / y"."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = _styles()
    story = [Paragraph("<br/>".join(_markup(line) for line in block),
                       styles["first" if i == 0 else "body"])
             for i, block in enumerate(paragraphs(built.text))]
    story.append(Paragraph(xml_escape(provenance(built)), styles["meta"]))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=22 * mm,
        bottomMargin=24 * mm, title=header(built), author="Vigisanté",
        subject=built.template.legal_basis, creator="Vigisanté", lang=built.language,
        keywords=[built.report.reference, built.kind.kind], invariant=True)
    with translation.override(built.language):
        page_word = _("page")
    doc.build(story, canvasmaker=numbered_canvas(header(built), footer(built), page_word))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Editable documents: shared parts, and the parts that carry the draft
# ---------------------------------------------------------------------------------------------

def _zipinfo(name: str, stored: bool = False) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    return info


def _base(parts: list[tuple[str, bytes]], stored_first: bool = False) -> bytes:
    """A package of the parts every document shares, compressed once per process."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i, (name, data) in enumerate(parts):
            archive.writestr(_zipinfo(name, stored=stored_first and i == 0), data)
    return out.getvalue()


def _package(base: bytes, parts: list[tuple[str, bytes]]) -> bytes:
    """The shared package with one document's own parts appended: the shared entries are
    copied as they are, compressed already (styles.xml alone is 350 kB in a DOCX)."""
    out = io.BytesIO(base)
    out.seek(0, io.SEEK_END)
    with zipfile.ZipFile(out, "a") as archive:
        for name, data in parts:
            archive.writestr(_zipinfo(name), data)
    return out.getvalue()


def _x(text: str) -> str:
    return xml_escape(_NOT_XML.sub("", text))


# --- DOCX -------------------------------------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_SECT = re.compile(r"<w:sectPr\b.*</w:sectPr>", re.S)
_FOOTER_TEXT = "VS-FOOTER-PLACEHOLDER"


@functools.cache
def _docx_skeleton() -> tuple[bytes, str, str, bytes]:
    """The package python-docx makes (styles with DejaVu Sans 10.5 pt, a footer), once: its
    unchanging parts as a package, the section properties of its body, its footer part's name
    and that part's text with a placeholder."""
    from docx import Document
    from docx.shared import Mm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "DejaVu Sans"
    style.font.size = Pt(10.5)
    section = doc.sections[0]  # A4, as the PDF (python-docx's template is US Letter)
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin, section.bottom_margin = Mm(22), Mm(20)
    doc.sections[0].footer.paragraphs[0].text = _FOOTER_TEXT
    doc.core_properties.author = "Vigisanté"
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as archive:
        parts = [(name, archive.read(name)) for name in archive.namelist()]
    body = dict(parts)["word/document.xml"].decode("utf-8")
    match = _SECT.search(body)
    assert match is not None, "python-docx's document has no section properties"
    footer_part = next(name for name, data in parts
                       if name.startswith("word/footer") and _FOOTER_TEXT.encode() in data)
    own = {"word/document.xml", "docProps/core.xml", footer_part}
    base = _base([(name, data) for name, data in parts if name not in own])
    return base, match.group(0), footer_part, dict(parts)[footer_part]


def _w_run(text: str, gap: bool = False) -> str:
    props = "<w:rPr><w:b/><w:highlight w:val=\"yellow\"/></w:rPr>" if gap else ""
    return f'<w:r>{props}<w:t xml:space="preserve">{_x(text)}</w:t></w:r>'


def _docx_document(built: Built, sect: str) -> bytes:
    body = []
    for block in paragraphs(built.text):
        runs = []
        for i, line in enumerate(block):
            runs += [_w_run(text, gap) for text, gap in pieces(line)]
            if i < len(block) - 1:
                runs.append("<w:r><w:br/></w:r>")
        body.append("<w:p>" + "".join(runs) + "</w:p>")
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<w:document xmlns:w="{W}" xmlns:r="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships"><w:body>{"".join(body)}{sect}</w:body>'
            f"</w:document>").encode()


def _docx_core(built: Built) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_x(built.report.reference)} - {_x(built.kind.kind)}</dc:title>"
        f"<dc:subject>{_x(built.template.legal_basis)}</dc:subject>"
        f"<dc:creator>Vigisanté</dc:creator><dc:language>{built.language}</dc:language>"
        f"<dc:description>{_x(_provenance_line(built))}</dc:description>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{_utc(built)}</dcterms:created>'
        "</cp:coreProperties>").encode()


def _utc(built: Built) -> str:
    return built.drafted_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _provenance_line(built: Built) -> str:
    return (f"template {built.kind.kind}/{built.language} v{built.template.version}, "
            f"report version {built.report.version}, facts {built.facts_hash[:12]}")


def as_docx(built: Built) -> bytes:
    """An editable Word document: one paragraph per block, missing facts bold on yellow."""
    base, sect, footer_part, footer_xml = _docx_skeleton()
    return _package(base, [
        ("word/document.xml", _docx_document(built, sect)),
        ("docProps/core.xml", _docx_core(built)),
        (footer_part, footer_xml.replace(_FOOTER_TEXT.encode(),
                                         _x(footer(built)).encode("utf-8")))])


# --- ODT --------------------------------------------------------------------------------------

ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"
_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"')
_ODT_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.3">'
    f'<manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
    f'manifest:media-type="{ODT_MIMETYPE}"/>'
    + "".join(f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="text/xml"/>'
              for name in ("content.xml", "styles.xml", "meta.xml"))
    + "</manifest:manifest>").encode("utf-8")
_ODT_STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f"<office:document-styles {_ODF_NS}>"
    '<office:font-face-decls><style:font-face style:name="DejaVu Sans" '
    'svg:font-family="\'DejaVu Sans\'" style:font-family-generic="swiss"/>'
    "</office:font-face-decls><office:styles>"
    '<style:default-style style:family="paragraph"><style:paragraph-properties '
    'fo:margin-bottom="0.28cm"/><style:text-properties style:font-name="DejaVu Sans" '
    'fo:font-size="10.5pt" fo:language="{lang}" fo:country="{country}"/></style:default-style>'
    '<style:style style:name="Standard" style:family="paragraph" style:class="text"/>'
    '<style:style style:name="Header_20_and_20_Footer" style:display-name="Header and Footer" '
    'style:family="paragraph" style:class="extra"><style:text-properties fo:font-size="8pt" '
    'fo:color="#444444"/></style:style>'
    '<style:style style:name="Header" style:family="paragraph" '
    'style:parent-style-name="Header_20_and_20_Footer" style:class="extra"/>'
    '<style:style style:name="Footer" style:family="paragraph" '
    'style:parent-style-name="Header_20_and_20_Footer" style:class="extra"/>'
    "</office:styles><office:automatic-styles>"
    '<style:page-layout style:name="A4"><style:page-layout-properties fo:page-width="21cm" '
    'fo:page-height="29.7cm" fo:margin-top="1.4cm" fo:margin-bottom="1.2cm" '
    'fo:margin-left="2cm" fo:margin-right="2cm" style:print-orientation="portrait"/>'
    '<style:header-style><style:header-footer-properties fo:min-height="0.6cm" '
    'fo:margin-bottom="0.4cm"/></style:header-style>'
    '<style:footer-style><style:header-footer-properties fo:min-height="0.6cm" '
    'fo:margin-top="0.4cm"/></style:footer-style></style:page-layout>'
    "</office:automatic-styles><office:master-styles>"
    '<style:master-page style:name="Standard" style:page-layout-name="A4">'
    '<style:header><text:p text:style-name="Header">{header}</text:p></style:header>'
    '<style:footer><text:p text:style-name="Footer">{footer} · {page_word} '
    "<text:page-number text:select-page=\"current\">1</text:page-number> / "
    "<text:page-count>1</text:page-count></text:p></style:footer>"
    "</style:master-page></office:master-styles></office:document-styles>")
_ODT_AUTOMATIC = (
    '<office:automatic-styles><style:style style:name="First" style:family="paragraph" '
    'style:parent-style-name="Standard"><style:text-properties fo:font-weight="bold"/>'
    '</style:style><style:style style:name="Meta" style:family="paragraph" '
    'style:parent-style-name="Standard"><style:paragraph-properties fo:margin-top="0.7cm"/>'
    '<style:text-properties fo:font-size="8pt" fo:color="#555555"/></style:style>'
    '<style:style style:name="Gap" style:family="text"><style:text-properties '
    'fo:font-weight="bold" fo:background-color="#ffe680"/></style:style>'
    "</office:automatic-styles>")
_SPACES = re.compile(r"( {2,}|\t)")
_SLOT = re.compile(r"\{(lang|country|header|footer|page_word)\}")


def _odf_text(text: str) -> str:
    """Text for a text:p: runs of spaces and tabs written as ODF says (they collapse else)."""
    out = []
    for i, piece in enumerate(_SPACES.split(_NOT_XML.sub("", text))):
        if i % 2 == 0:
            out.append(xml_escape(piece))
        elif piece == "\t":
            out.append("<text:tab/>")
        else:
            out.append(f' <text:s text:c="{len(piece) - 1}"/>')
    return "".join(out)


def _odt_content(built: Built) -> bytes:
    body = []
    for n, block in enumerate(paragraphs(built.text)):
        lines = []
        for line in block:
            lines.append("".join(f'<text:span text:style-name="Gap">{_odf_text(text)}</text:span>'
                                 if gap else _odf_text(text) for text, gap in pieces(line)))
        style = "First" if n == 0 else "Standard"
        body.append(f'<text:p text:style-name="{style}">'
                    + "<text:line-break/>".join(lines) + "</text:p>")
    body.append(f'<text:p text:style-name="Meta">{_odf_text(provenance(built))}</text:p>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<office:document-content {_ODF_NS}>{_ODT_AUTOMATIC}<office:body><office:text>"
            + "".join(body) + "</office:text></office:body></office:document-content>"
            ).encode("utf-8")


def _odt_styles(built: Built) -> bytes:
    with translation.override(built.language):
        page_word = _("page")
    lang, country = ("fr", "FR") if built.language == "fr" else ("en", "GB")
    values = {"lang": lang, "country": country, "header": _odf_text(header(built)),
              "footer": _odf_text(footer(built)), "page_word": xml_escape(page_word)}
    # One pass: a value holding "{footer}" (an admin's legal basis) is not substituted again.
    return _SLOT.sub(lambda m: values[m.group(1)], _ODT_STYLES).encode("utf-8")


def _odt_meta(built: Built) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<office:document-meta {_ODF_NS}><office:meta>"
            "<meta:generator>Vigisanté</meta:generator>"
            f"<dc:title>{_x(header(built))}</dc:title>"
            f"<dc:subject>{_x(built.template.legal_basis)}</dc:subject>"
            f"<dc:description>{_x(_provenance_line(built))}</dc:description>"
            f"<dc:language>{built.language}</dc:language>"
            f"<meta:creation-date>{_utc(built)}</meta:creation-date>"
            f"<meta:user-defined meta:name=\"reference\">{_x(built.report.reference)}"
            "</meta:user-defined></office:meta></office:document-meta>").encode()


def as_odt(built: Built) -> bytes:
    """An OpenDocument text: the `mimetype` entry first and stored (not compressed), as the
    format requires for a reader to recognise it, then the manifest and the three parts."""
    return _package(_odt_base(), [("content.xml", _odt_content(built)),
                                  ("styles.xml", _odt_styles(built)),
                                  ("meta.xml", _odt_meta(built))])


@functools.cache
def _odt_base() -> bytes:
    return _base([("mimetype", ODT_MIMETYPE.encode("ascii")),
                  ("META-INF/manifest.xml", _ODT_MANIFEST)], stored_first=True)


#: Each downloadable format: (content type, maker).
FORMATS: dict[str, tuple[str, Callable[[Built], bytes]]] = {
    "txt": ("text/plain; charset=utf-8", as_text),
    "pdf": ("application/pdf", as_pdf),
    "odt": (ODT_MIMETYPE, as_odt),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             as_docx),
}


def bundle(builts: list[Built]) -> bytes:
    """Every draft in every format, in one ZIP: <reference>-<kind>-<lang>.<ext> each."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for built in builts:
            for fmt, (_type, make) in FORMATS.items():
                # PDF, ODT and DOCX are compressed already: stored as they are.
                info = _zipinfo(filename(built, fmt), stored=fmt != "txt")
                archive.writestr(info, make(built))
    return out.getvalue()


def bundle_name(builts: list[Built]) -> str:
    built = builts[0]
    return f"{built.report.reference}-drafts-{built.language}.zip"
