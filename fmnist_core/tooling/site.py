"""The course as a static web site (``python -m fmnist_core site OUT_DIR``): a Chinese and an
English edition built by Sphinx, MyST-NB and sphinx-book-theme from the stored notebooks, which
are never re-executed.

- ``OUT_DIR/zh/`` and ``OUT_DIR/en/``: one edition each. A lesson page holds the cells
  ``export --lang`` keeps (``classroom.one_language``). From the heading of the first exercise to
  the next section the code is the student copy's (``classroom.student_notebook``: answers
  replaced by the stub) and shows no output: the site never shows a solution, and says that
  the exercises are graded in the notebook. Every page links to the same page of the other
  edition.
- The home page is the README's lesson table, with each lesson's time (``lessons.lesson_time``,
  where the lessons state one, or a time column of the README) and exercise kinds
  (``lessons.exercise_kinds``); the glossary is ``notebooks/GLOSSARY.md``; the search is
  Sphinx's own (jieba cuts the Chinese words).
- Formulas are typeset in the browser by a copy of MathJax 3 (``django-static-mathjax``; SVG
  output, whose fonts are inside its one file) in each edition's ``_static/``: no page asks any
  other host for anything, and the site reads from ``file://`` as well as from a web server.
- ``OUT_DIR/student/``: the student copies (what ``python -m fmnist_core student`` writes) and
  a zip of them, which every lesson page offers for download.
"""

import copy
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

import nbformat

from . import lessons
from .classroom import make_student, one_language, student_notebook
from .lessons import lesson_sources, read_ipynb

LANGS = ("zh", "en")
SPHINX_LANGUAGE = {"zh": "zh_CN", "en": "en"}
HTML_LANG = {"zh": "zh-Hans", "en": "en"}
# what the site's build imports, each from the [site] extra (the mathjax module is
# django-static-mathjax's: a copy of MathJax 3 and nothing else)
SITE_MODULES = ("sphinx", "myst_nb", "sphinx_book_theme", "sphinx_copybutton", "jieba", "mathjax")
MATHJAX_FILE = "tex-svg-full.js"  # every TeX extension and the SVG fonts in one file
STUDENT_ZIP = "fmnist-course-student.zip"
# Han characters, CJK punctuation and full-width forms: what makes a text Chinese
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
PUNCTUATION = str.maketrans(
    {"、": ", ", "，": ", ", "：": ": ", "；": "; ", "（": " (", "）": ") "}
)
KINDS = {
    "predict": ("预测", "predict"),
    "debug": ("调试", "debug"),
    "transfer": ("迁移", "transfer"),
    "implement": ("实现", "implement"),
}
WORDS = {  # the site's own words, (zh, en)
    "lessons": ("课程", "Lessons"),
    "lesson": ("课程", "Lesson"),
    "time": ("用时", "Time"),
    "exercises": ("练习", "Exercises"),
    "glossary": ("术语表", "Glossary"),
    "run": ("在 JupyterLab 里运行这些课", "Running the lessons in JupyterLab"),
}


def _word(key, lang):
    return WORDS[key][LANGS.index(lang)]


def split_bilingual(text, neutral=True):
    """``(zh, en)`` of a text written ``中文 / English``: split at the first `` / `` with Chinese
    before it and none after it. A text with no such split is Chinese or English as a whole
    (the other part ``None``); one with no Han character (``00``, ```cpu`、`cuda```) is both
    where ``neutral``, else English."""
    text = text.strip()
    for m in re.finditer(r"\s*/\s+", text):
        left, right = text[: m.start()].strip(), text[m.end() :].strip()
        if HAN.search(left) and right and not CJK.search(right):
            return left, right
    if HAN.search(text):
        return text, None
    if not neutral:
        return None, text
    return text, text.translate(PUNCTUATION).replace("  ", " ").strip()


def _unwrap(paragraph):
    """One line from a paragraph wrapped over several: a line break next to a Chinese character
    or punctuation mark goes away (a space there shows as a gap), elsewhere it is a space."""
    lines = [line.strip() for line in paragraph.strip().splitlines()]
    text = lines[0]
    for line in lines[1:]:
        text += ("" if CJK.search(text[-1] + line[:1]) else " ") + line
    return text


def _part(text, lang, neutral=True):
    zh, en = split_bilingual(text, neutral)
    return zh if lang == "zh" else en


def _table_cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def markdown_table(text, after):
    """The first markdown table after the line ``after`` in ``text``: ``(header, rows)``."""
    lines = text.splitlines()
    start = lines.index(after)
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            rows.append(_table_cells(line))
        elif rows:
            break
    return rows[0], rows[2:]


def _escape_cell(text):
    return text.replace("|", "\\|")


def _zh_span(text):
    """Chinese inside an English page, marked as Chinese (its font, and the browser test)."""
    return re.sub(f"{CJK.pattern}+", lambda m: f'<span lang="zh-Hans">{m[0]}</span>', text)


# a table that a phone shows as one card per row (CSS below)
CARDS = "```{table}\n:class: fmnist-cards\n"


# --- the pages -------------------------------------------------------------------------------


def readme_lessons(root):
    """The README's lesson table: one dict per lesson with ``number``, ``stem``, the title in
    each language and the other columns as ``(zh header, en header, cell)``."""
    text = (Path(root) / "README.md").read_text(encoding="utf-8")
    header, rows = markdown_table(text, "## 课程 / Lessons")
    found = []
    for row in rows:
        cells = dict(zip(header, row))
        link = re.match(r"\[(.+)\]\(notebooks/([^)]+)\.ipynb\)", cells.get("中文", ""))
        if not link:
            continue
        others = [
            (*split_bilingual(h), cells[h]) for h in header if h not in ("#", "中文", "English")
        ]
        found.append(
            {
                "number": cells["#"],
                "stem": link[2],
                "title": {"zh": link[1], "en": cells.get("English", link[1])},
                "columns": others,
            }
        )
    return found


def readme_intro(root, lang):
    """The README's opening paragraphs (between the title and the lesson table) in ``lang``."""
    text = (Path(root) / "README.md").read_text(encoding="utf-8")
    title, _, rest = text.partition("\n")
    intro = rest.split("\n## ", 1)[0]
    paragraphs = [_unwrap(p) for p in re.split(r"\n\s*\n", intro) if p.strip()]
    parts = [_part(p, lang, neutral=False) for p in paragraphs]
    return _part(title.lstrip("# "), lang), [p for p in parts if p]


def _time_text(minutes, lang):
    core, optional = minutes
    if lang == "zh":
        return f"约 {core} 分钟" + (f"，另加 {optional} 分钟选学" if optional else "")
    return f"about {core} min" + (f", plus {optional} optional" if optional else "")


def _kinds_text(kinds, lang):
    counts = Counter(kinds)
    return " ".join(
        f'<span class="fmnist-kind">{KINDS[k][LANGS.index(lang)]} {counts[k]}</span>'
        for k in KINDS
        if counts.get(k)
    )


def home_page(root, lang, teacher_nbs):
    """``index.md`` of an edition: the README's introduction and lesson table (with each
    lesson's time and exercise kinds), the glossary, how to run the lessons, the page order."""
    title, intro = readme_intro(root, lang)
    table = readme_lessons(root)
    lesson_time = getattr(lessons, "lesson_time", None)  # the time line under a lesson's title
    has_time_column = any(
        re.search(r"时间|用时|time", zh + " " + (en or ""), re.I)
        for zh, en, _ in table[0]["columns"]
    )
    times = {}
    if lesson_time and not has_time_column:
        times = {
            row["stem"]: lesson_time(teacher_nbs[row["stem"]].cells, lang)
            for row in table
            if row["stem"] in teacher_nbs
        }
    heads = ["#", _word("lesson", lang)]
    if any(times.values()):
        heads.append(_word("time", lang))
    heads.append(_word("exercises", lang))
    heads += [
        _part(zh if en is None else f"{zh} / {en}", lang) for zh, en, _ in table[0]["columns"]
    ]
    lines = [f"# {title}", "", *(p + "\n" for p in intro), f"## {_word('lessons', lang)}", ""]
    lines += [CARDS, "| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for row in table:
        if row["stem"] not in teacher_nbs:
            continue
        cells = [row["number"], f"[{row['title'][lang]}](notebooks/{row['stem']}.ipynb)"]
        if any(times.values()):
            minutes = times.get(row["stem"])
            cells.append(_time_text(minutes, lang) if minutes else "")
        kinds = lessons.exercise_kinds(Path(root) / "notebooks" / f"{row['stem']}.py")
        cells.append(_kinds_text(kinds, lang))
        cells += [_part(cell, lang) or "" for _, _, cell in row["columns"]]
        lines.append("| " + " | ".join(_escape_cell(c) for c in cells) + " |")
    lines.append("```")
    glossary = _word("glossary", lang)
    if lang == "zh":
        lines += [
            "",
            f"全课统一的中英文译名见[{glossary}](notebooks/GLOSSARY.md)。",
            "",
            "每课结尾的练习分四类：**预测**（运行之前先写下预测）、**调试**（交回修好的代码）、"
            "**迁移**（把课里的想法用到新的地方）、**实现**（照着公式从零写出）。练习在笔记本里完成，"
            "由 nbgrader 评分；网站只显示题目，不含答案。",
        ]
    else:
        lines += [
            "",
            f"The course's Chinese and English terms are in the [{glossary}](notebooks/GLOSSARY.md).",
            "",
            "Each lesson ends with exercises of four kinds: **predict** (write a prediction before "
            "running the cell), **debug** (hand back the fixed code), **transfer** (the lesson's "
            "idea used somewhere new), **implement** (a formula written from scratch). They are "
            "done in the notebook and graded there by nbgrader; the site shows the questions, "
            "never the answers.",
        ]
    lines += ["", f"## {_word('run', lang)}", "", _run_text(lang, "../student"), ""]
    lines += ["```{toctree}", ":hidden:", ":maxdepth: 1", ""]
    lines += [f"notebooks/{row['stem']}" for row in table if row["stem"] in teacher_nbs]
    lines += ["notebooks/GLOSSARY", "```", ""]
    return "\n".join(lines)


def _run_text(lang, student):
    """How to run the lessons: the student copies to download and the install."""
    zip_link = f'<a href="{student}/{STUDENT_ZIP}" download>{STUDENT_ZIP}</a>'
    if lang == "zh":
        return (
            f"网站上的每一课都可以下载成笔记本（学生版：练习的答案留空）；全部课程和图片在 {zip_link} 里。"
            "运行它们需要课程的 Python 包 `fmnist_core`：在课程仓库的根目录按 README 的“快速开始”安装"
            '（`pip install -c requirements-lock.txt -e ".[dev]"`），再运行 `jupyter lab`，'
            "打开解压出来的 `notebooks/` 里的笔记本。"
        )
    return (
        f"Every lesson of the site downloads as a notebook (the student copy: the exercises' answers "
        f"left blank); all lessons with their figures are in {zip_link}. They need the course's "
        "Python package `fmnist_core`: from the root of the course's repository install it as the "
        'README\'s Quick start says (`pip install -c requirements-lock.txt -e ".[dev]"`), then '
        "run `jupyter lab` and open the notebooks in the unzipped `notebooks/`."
    )


def glossary_page(root, lang):
    """``notebooks/GLOSSARY.md`` in one language. The English edition keeps the Chinese terms
    (the point of a glossary) in a column of their own, marked as Chinese."""
    text = (Path(root) / "notebooks" / "GLOSSARY.md").read_text(encoding="utf-8")
    title = text.splitlines()[0].lstrip("# ")
    header, rows = markdown_table(text, text.splitlines()[0])  # the table under the title
    body = text.split("\n", 1)[1].split("\n| ", 1)[0]
    paragraphs = [_unwrap(p) for p in re.split(r"\n\s*\n", body) if p.strip()]
    if lang == "zh":
        intro = [p for p in paragraphs if not p.startswith("/ ")]
        heads = [_part(header[0], "zh"), "中文", "English", _part(header[3], "zh")]
    else:
        intro = [p.removeprefix("/ ") for p in paragraphs if p.startswith("/ ")]
        heads = [_part(header[0], "en"), "English", '<span lang="zh-Hans">中文</span>', "Note"]
    lines = [f"# {_part(title, lang)}", "", *(p + "\n" for p in intro)]
    lines += [CARDS, "| " + " | ".join(heads) + " |", "|---|---|---|---|"]
    for row in rows:
        number, zh, en, note = (row + [""] * 4)[:4]
        if lang == "zh":
            cells = [number, zh, en, _part(note, "zh") or ""]
        else:
            cells = [number, en, _zh_span(zh), _zh_span(_part(note, "en") or "")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join([*lines, "```"]) + "\n"


def _h2(cell):
    return cell.cell_type == "markdown" and re.match(r"## ", cell.source) is not None


def exercise_span(cells):
    """``(start, end)``: the cells from the section of the first exercise (its ``##`` heading)
    to the section after the last one; ``(len, len)`` for a lesson without exercises."""
    graded = [i for i, c in enumerate(cells) if c.metadata.get("nbgrader")]
    if not graded:
        return len(cells), len(cells)
    start = max((i for i in range(graded[0]) if _h2(cells[i])), default=graded[0])
    end = next((i for i in range(graded[-1], len(cells)) if _h2(cells[i])), len(cells))
    return start, end


def _markdown(source, lang):
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["tags"] = [lang]
    return cell


def site_notebook(nb, lang, stem, student="../../student"):
    """A lesson as its page shows it: the cells of one language; the exercises' code as the
    student copy has it, without outputs; a note on downloading the notebook under the title,
    and one on grading at the exercises."""
    nb = one_language(copy.deepcopy(nb), lang)
    copied = student_notebook(copy.deepcopy(nb))
    if len(copied.cells) != len(nb.cells):
        raise RuntimeError(f"{stem}: 学生版的单元格数不同 / the student copy has other cells")
    start, end = exercise_span(nb.cells)
    for i, (cell, theirs) in enumerate(zip(nb.cells, copied.cells)):
        if cell.cell_type == "code" and (start <= i < end or cell.metadata.get("nbgrader")):
            cell.source, cell.outputs, cell.execution_count = theirs.source, [], None
        cell.metadata.pop("execution", None)
    notebook = f'<a href="{student}/notebooks/{stem}.ipynb" download>{stem}.ipynb</a>'
    archive = f'<a href="{student}/{STUDENT_ZIP}" download>{STUDENT_ZIP}</a>'
    if lang == "zh":
        download = (
            f"```{{admonition}} 在 JupyterLab 里运行这一课\n:class: tip\n下载本课的笔记本 {notebook}"
            f"（学生版，练习的答案留空），或全部课程和图片 {archive}；装好课程的 Python 包后在 "
            "JupyterLab 里打开（见[首页](../index.md)）。\n```"
        )
        graded = (
            "```{note}\n这里的练习在笔记本里完成，由 nbgrader 评分：网站只显示题目，答案单元格留空，"
            f"检查单元格没有运行。下载本课的笔记本 {notebook}，在 JupyterLab 里作答并运行检查。\n```"
        )
    else:
        download = (
            f"```{{admonition}} Run this lesson in JupyterLab\n:class: tip\nDownload this "
            f"lesson's notebook {notebook} (the student copy: the exercises' answers left blank), "
            f"or all lessons with their figures, {archive}; open it in JupyterLab with the "
            "course's Python package installed (see the [home page](../index.md)).\n```"
        )
        graded = (
            "```{note}\nThese exercises are done in the notebook and graded there by nbgrader: "
            "the site shows the questions only, with the answer cells blank and the checks not "
            f"run. Download this lesson's notebook {notebook} and answer them in JupyterLab.\n```"
        )
    if start < len(nb.cells):
        nb.cells.insert(start + 1, _markdown(graded, lang))
    nb.cells.insert(1, _markdown(download, lang))
    for key in ("jupytext", "fmnist_core"):
        nb.metadata.pop(key, None)
    return nb


# --- the Sphinx project of an edition --------------------------------------------------------

CONF = """\
# Written by `python -m fmnist_core site`; the Sphinx project of one edition of the course.
import logging

project = {title!r}
html_title = {title!r}
language = {language!r}
extensions = ["myst_nb", "sphinx_copybutton", "sphinx.ext.mathjax"]
root_doc = "index"
exclude_patterns = ["_build"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["fmnist-site.css"]
html_js_files = {js_files!r}
html_favicon = "_static/favicon.svg"  # else the browser asks for /favicon.ico, which is not there
html_theme = "sphinx_book_theme"
html_theme_options = {{
    "article_header_end": ["lang-switch.html", "article-header-buttons.html"],
    "use_download_button": False,  # it would offer the page's source; the lessons link their own
    "home_page_in_toc": False,  # the title above the table of contents leads home
    "navbar_persistent": [],  # one search field, in the sidebar
    "show_navbar_depth": 1,
    "toc_title": {toc_title!r},
}}
html_context = {{"default_mode": "auto", "fmnist_other": {other!r}, "fmnist_other_name": {other_name!r},
                 "fmnist_other_lang": {other_lang!r}}}
html_copy_source = False
html_show_sourcelink = False
html_show_sphinx = False
# the search page shows no page excerpts: they are fetched, which a page read from file:// cannot
html_show_search_summary = False
html_last_updated_fmt = None
# MathJax 3 shipped in _static: no request leaves the site
mathjax_path = "mathjax/{mathjax}"
mathjax3_config = {{"svg": {{"fontCache": "global"}}}}
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # the stored outputs, never re-executed
nb_merge_streams = True
# the copy button goes on the code, not on its output
copybutton_selector = "div:not(.output) > div.highlight pre"
copybutton_exclude = ".linenos, .gp"
suppress_warnings = ["myst.header"]
try:  # jieba cuts Chinese into words for the search index; quiet
    import jieba

    jieba.setLogLevel(logging.WARNING)
except ImportError:
    pass
"""

LANG_SWITCH = """\
{%- set up = "../" * (pagename.count("/") + 1) %}
<a class="btn btn-sm fmnist-lang-switch" href="{{ up }}{{ fmnist_other }}/{{ pagename }}.html"
   hreflang="{{ fmnist_other_lang }}" lang="{{ fmnist_other_lang }}"
   title="{{ fmnist_other_name }}">{{ fmnist_other_name }}</a>
"""

CSS = """\
/* an exercise kind and its count stay on one line */
span.fmnist-kind { white-space: nowrap; display: inline-block; }
/* formulas and wide tables scroll inside the text column instead of widening the page */
div.math, mjx-container[display="true"] { max-width: 100%; overflow-x: auto; overflow-y: hidden; }
.bd-article table { display: block; max-width: 100%; overflow-x: auto; }
/* a long inline name (torch.nn.utils.clip_grad_norm_(...)) breaks rather than widen a phone's page */
.bd-article code.literal, .bd-article code.literal span.pre { white-space: normal;
  overflow-wrap: anywhere; }
/* on a phone the lesson table and the glossary show one card per row, not a narrow grid; the
   title leaves room for the text */
@media (max-width: 640px) {
  .bd-article h1 { font-size: 2rem; }
  .bd-article table.fmnist-cards, table.fmnist-cards tbody, table.fmnist-cards tr,
  table.fmnist-cards td { display: block; width: 100%; border: none; }
  table.fmnist-cards thead { display: none; }
  table.fmnist-cards tr { border-bottom: 1px solid var(--pst-color-border); padding: .5rem 0; }
  table.fmnist-cards td { padding: .1rem .25rem; }
  table.fmnist-cards td:nth-child(-n+2) { display: inline-block; width: auto; font-weight: 600; }
}
/* the language switch in a row with the article's header buttons */
.header-article-items__end { display: flex; align-items: center; }
.bd-header-article a.fmnist-lang-switch { font-size: .95rem; font-weight: 600; white-space: nowrap;
  color: var(--pst-color-primary); }
"""

# The Chinese edition's search. jieba cut the pages into words when the index was built, but the
# browser splits a query only at spaces and punctuation: "损失函数" stays one word, which the index
# holds as 损失 and 函数. splitQuery (searchtools.js keeps one defined before it) cuts each Chinese
# run into the longest words the index holds. And Sphinx 9's zh.py ends language_data.js with
# `window.Stemmer = ChineseStemmer`, a name it never defines: it is the English stemmer.
ZH_SEARCH = """\
var ChineseStemmer = function () { return new EnglishStemmer(); };
var splitQuery = function (query) {
  // searchtools.js declares `const Search`: a global name, not a property of window
  var index = (typeof Search !== "undefined" && Search._index) || {};
  var terms = index.terms || {}, titles = index.titleterms || {};
  var known = function (w) { w = w.toLowerCase(); return w in terms || w in titles; };
  var words = [];
  query.split(/[^\\p{Letter}\\p{Number}_\\p{Emoji_Presentation}]+/gu).forEach(function (run) {
    if (!/[\\u3400-\\u9fff]/.test(run) || !index.terms) { if (run) words.push(run); return; }
    for (var i = 0; i < run.length;) {
      var j = run.length;
      while (j > i + 1 && !known(run.slice(i, j))) j--;
      if (j > i + 1 || known(run[i])) words.push(run.slice(i, j));
      i = j;
    }
  });
  return words;
};
"""

FAVICON = """\
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#ee4c2c"/>
<text x="16" y="22" font-family="sans-serif" font-size="14" font-weight="bold" fill="#fff"
 text-anchor="middle">FM</text>
</svg>
"""

LANDING = """\
<!DOCTYPE html>
<html lang="zh-Hans">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{zh_title} / {en_title}</title>
<link rel="icon" href="zh/_static/favicon.svg">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem;
       line-height: 1.6; color: #222; }}
a.edition {{ display: block; margin: 1rem 0; padding: 1rem; border: 1px solid #ccc;
            border-radius: .5rem; font-size: 1.25rem; text-decoration: none; }}
</style>
</head>
<body>
<h1>{zh_title}<br><span lang="en">{en_title}</span></h1>
<a class="edition" href="zh/index.html">中文版</a>
<a class="edition" href="en/index.html" lang="en" hreflang="en">English edition</a>
<p>全部课程的笔记本（学生版）/ <span lang="en">all lessons as notebooks (student copies)</span>:
<a href="student/{archive}" download>{archive}</a></p>
</body>
</html>
"""


def _mathjax_dir():
    """The folder of MathJax's ready-made files in django-static-mathjax."""
    import mathjax

    folder = Path(mathjax.__file__).parent / "static" / "mathjax"
    if not (folder / "es5" / MATHJAX_FILE).is_file():
        raise ModuleNotFoundError(
            f"django-static-mathjax ({folder / 'es5' / MATHJAX_FILE})", name="mathjax"
        )
    return folder


def write_edition(root, lang, src, teacher_nbs):
    """The Sphinx project of one edition in ``src``; returns the pages it holds."""
    root, src = Path(root), Path(src)
    other = "en" if lang == "zh" else "zh"
    title, _ = readme_intro(root, lang)
    (src / "notebooks").mkdir(parents=True)
    (src / "_templates").mkdir()
    (src / "_static" / "mathjax").mkdir(parents=True)
    mathjax = _mathjax_dir()
    shutil.copy(mathjax / "es5" / MATHJAX_FILE, src / "_static" / "mathjax" / MATHJAX_FILE)
    shutil.copy(mathjax / "LICENSE", src / "_static" / "mathjax" / "LICENSE")
    (src / "_static" / "fmnist-site.css").write_text(CSS, encoding="utf-8")
    (src / "_static" / "favicon.svg").write_text(FAVICON, encoding="utf-8")
    (src / "_static" / "zh-search.js").write_text(ZH_SEARCH, encoding="utf-8")
    (src / "_templates" / "lang-switch.html").write_text(LANG_SWITCH, encoding="utf-8")
    (src / "conf.py").write_text(
        CONF.format(
            title=title,
            language=SPHINX_LANGUAGE[lang],
            toc_title="本页内容" if lang == "zh" else "Contents",
            other=other,
            other_name="English" if other == "en" else "中文",
            other_lang=HTML_LANG[other],
            mathjax=MATHJAX_FILE,
            js_files=["zh-search.js"] if lang == "zh" else [],
        ),
        encoding="utf-8",
    )
    shutil.copytree(root / "images", src / "images")
    pages = ["index", "notebooks/GLOSSARY"]
    (src / "index.md").write_text(home_page(root, lang, teacher_nbs), encoding="utf-8")
    (src / "notebooks" / "GLOSSARY.md").write_text(glossary_page(root, lang), encoding="utf-8")
    for stem, nb in teacher_nbs.items():
        nbformat.write(site_notebook(nb, lang, stem), src / "notebooks" / f"{stem}.ipynb")
        pages.append(f"notebooks/{stem}")
    return pages


def _zip_student(student):
    archive = student / STUDENT_ZIP
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(student.rglob("*")):
            if path.is_file() and path != archive:
                z.write(path, Path("fmnist-course") / path.relative_to(student))
    return archive


def build_site(root, out, quiet=True):
    """Build the site into ``out`` (its ``zh/``, ``en/`` and ``student/`` replaced, the rest
    left alone). Returns ``{"pages": {lang: [page, ...]}, "seconds": ..., "warnings": [...]}``;
    raises ``RuntimeError`` when Sphinx fails."""
    for module in SITE_MODULES:
        __import__(module)
    _mathjax_dir()
    began = time.perf_counter()
    root, out = Path(root), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for part in (*LANGS, "student"):
        shutil.rmtree(out / part, ignore_errors=True)
    make_student(root, out / "student")
    _zip_student(out / "student")
    teacher_nbs = {src.stem: read_ipynb(src.with_suffix(".ipynb")) for src in lesson_sources(root)}
    pages, warnings = {}, []
    with tempfile.TemporaryDirectory(prefix="fmnist-site-") as tmp:
        runs = {}
        for lang in LANGS:  # the two editions build side by side, one process each
            src = Path(tmp) / lang
            pages[lang] = write_edition(root, lang, src, teacher_nbs)
            command = [sys.executable, "-m", "sphinx", "-b", "html", "-j", "1"]
            command += ["-d", str(Path(tmp) / f"doctrees-{lang}"), "-w", str(src / "warnings.txt")]
            command += ["-q"] if quiet else []
            # into the temporary folder: MyST-NB writes the outputs' images beside the html folder
            command += [str(src), str(Path(tmp) / f"build-{lang}" / "html")]
            runs[lang] = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        for lang, run in runs.items():
            output, _ = run.communicate()
            if run.returncode:
                raise RuntimeError(
                    f"Sphinx 构建 {lang} 版失败 / Sphinx failed on the {lang} edition:\n{output}"
                )
            if not quiet:
                print(output, end="")
            # without the source maps of the theme's scripts, for debugging them: 4 MB no reader needs
            ignore = shutil.ignore_patterns("*.map", ".buildinfo")
            shutil.copytree(Path(tmp) / f"build-{lang}" / "html", out / lang, ignore=ignore)
            text = (Path(tmp) / lang / "warnings.txt").read_text(encoding="utf-8")
            warnings += [f"[{lang}] {line}" for line in text.splitlines() if line.strip()]
    zh_title, _ = readme_intro(root, "zh")
    en_title, _ = readme_intro(root, "en")
    (out / "index.html").write_text(
        LANDING.format(zh_title=zh_title, en_title=en_title, archive=STUDENT_ZIP), encoding="utf-8"
    )
    (out / ".nojekyll").write_text("", encoding="utf-8")  # GitHub Pages: serve _static/ as is
    return {"pages": pages, "seconds": time.perf_counter() - began, "warnings": warnings}


def site_size(out):
    """Bytes and files of the built site."""
    files = [p for p in Path(out).rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)
