"""The line at the top of a report made from modified code (the nightly's ``--allow-dirty``).

The nightly passes ``modified_code`` (the tracked files that differ from the last commit) to
03_report, whose validation cell calls :func:`show`: the report's first lines then say that it is
not the official version and which files were changed. With no modified files nothing is shown,
so a report made from committed code, or from JupyterLab, is unchanged.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

TEXT = {
    "zh": "⚠️ <strong>非正式版本</strong>：本报告由修改后尚未提交的代码生成（{files}），"
          "数字可能与正式报告不同。",
    "en": "⚠️ <strong>Not the official version</strong>: this report was made from code changed since the last "
          "commit ({files}); its figures may differ from the official report.",
}
#: Inline style: the line must survive any nbconvert template and the PDF print.
BOX = ('<div class="rwb-modified-code-banner" role="alert" style="border:1px solid #b9770e;'
       'border-left:6px solid #b9770e;background:#fef5e7;color:#6e4506;padding:8px 12px;margin:0 0 12px 0;">'
       '{text}</div>')
MOST_FILES = 3


def banner_html(modified_code: Sequence[str], language: str = "zh") -> str:
    """The banner's HTML, or "" when no file was modified."""
    files = [str(f) for f in modified_code or ()]
    if not files:
        return ""
    shown = "、".join(files[:MOST_FILES]) if language == "zh" else ", ".join(files[:MOST_FILES])
    if len(files) > MOST_FILES:
        more = len(files) - MOST_FILES
        shown += f" 等 {len(files)} 个文件" if language == "zh" else f" and {more} more"
    text = TEXT.get(language, TEXT["zh"]).format(files=html.escape(shown))
    return BOX.format(text=text)


def show(modified_code: Sequence[str], language: str = "zh") -> None:
    """Display the banner in the notebook (and so at the top of the rendered report) when needed."""
    markup = banner_html(modified_code, language)
    if markup:
        from IPython.display import HTML, display

        display(HTML(markup))
