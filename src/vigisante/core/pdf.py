"""PDF helpers shared by the apps that print with ReportLab (the regulatory drafts, the
observatory's report): the fonts, registered once per process, and a canvas that numbers its
pages "page x / y" under a header and above a footer.
"""

from __future__ import annotations

import threading
from pathlib import Path

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
             "/usr/local/share/fonts", "/usr/share/fonts/TTF")
_font_lock = threading.Lock()
_fonts: dict[str, str] = {}


def _find_font(*names: str) -> Path | None:
    for folder in FONT_DIRS:
        for name in names:
            path = Path(folder) / name
            if path.is_file():
                return path
    return None


def pdf_fonts() -> dict[str, str]:
    """Register the fonts once per process: DejaVu Sans (wide Unicode coverage) where the
    system has it, else Bitstream Vera, which ReportLab ships (DejaVu's Latin-only parent)."""
    with _font_lock:
        if _fonts:
            return _fonts
        from reportlab import rl_config
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        regular, bold = _find_font("DejaVuSans.ttf"), _find_font("DejaVuSans-Bold.ttf")
        if regular is None or bold is None:
            shipped = Path(rl_config.__file__).resolve().parent / "fonts"
            regular, bold = shipped / "Vera.ttf", shipped / "VeraBd.ttf"
        pdfmetrics.registerFont(TTFont("VsDraft", str(regular)))
        pdfmetrics.registerFont(TTFont("VsDraft-Bold", str(bold)))
        for italic in (0, 1):
            addMapping("VsDraft", 0, italic, "VsDraft")
            addMapping("VsDraft", 1, italic, "VsDraft-Bold")
        _fonts.update(regular="VsDraft", bold="VsDraft-Bold")
        return _fonts


def numbered_canvas(top: str, bottom: str, page_word: str):
    """A canvas that holds its pages back until the end, to write "page x / y" on each, with
    the draft's reference and title above and its reference and legal basis below."""
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    font = pdf_fonts()["regular"]

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            left, right = 20 * mm, width - 20 * mm
            self.saveState()
            self.setFillColorRGB(0.27, 0.27, 0.27)
            self.setFont(font, 8.5)
            for i, line in enumerate(simpleSplit(top, font, 8.5, right - left)[:2]):
                self.drawString(left, height - 13 * mm - i * 10.5, line)
            number = f"{page_word} {self._pageNumber} / {total}"
            self.setFont(font, 8)
            number_width = self.stringWidth(number, font, 8)
            self.drawRightString(right, 11 * mm, number)
            lines = simpleSplit(bottom, font, 8, right - left - number_width - 6 * mm)[:3]
            for i, line in enumerate(lines):
                self.drawString(left, 11 * mm + (len(lines) - 1 - i) * 9.5, line)
            self.restoreState()

    return NumberedCanvas
