"""The web site (``python -m fmnist_core site``) built once, then read page by page in headless
Chromium (Debian's ``chromium`` driven by Playwright, no browser download): formulas typeset,
images loaded, no request off the local server, no console error, one language per page, no
sideways scrolling on a laptop or a phone; the exercises without their solutions; the search,
the language switch, the downloads, and the site read from ``file://``.

Without Chromium or the ``[site]`` extra the tests skip and say why; in CI (``CI=true``) they
fail instead. ``FMNIST_SITE_SCREENSHOTS=1`` writes the screenshots of two pages per edition at
both widths into ``benchmarks/site-screenshots/`` (else into a temporary folder).
"""

import functools
import html
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from fmnist_core.tooling import lessons

ROOT = Path(__file__).resolve().parents[1]
CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("FMNIST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
LANGS = ("zh", "en")
WIDTHS = {"laptop": (1366, 768), "phone": (390, 844)}
STEMS = [p.stem for p in lessons.lesson_sources(ROOT)]
PAGES = ["index", "notebooks/GLOSSARY", *(f"notebooks/{s}" for s in STEMS), "search"]
# the pages photographed at both widths, each at a place: the top, or its first display formula
SHOTS = {"index": None, "notebooks/05_losses_regression": "div.math"}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _unavailable(reason):
    """Skip with the reason; in CI, where the site must be tested, fail with it."""
    if CI:
        pytest.fail(f"CI=true: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from fmnist_core.tooling import site as site_tool

    try:
        for module in site_tool.SITE_MODULES:
            __import__(module)
        site_tool._mathjax_dir()
    except ModuleNotFoundError as e:
        _unavailable(f'the [site] extra is missing ({e.name}): pip install -e ".[dev,site]"')
    out = tmp_path_factory.mktemp("site")
    return out, site_tool.build_site(ROOT, out)


@pytest.fixture(scope="module")
def server(site):
    out, _ = site

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(out))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ModuleNotFoundError:
        _unavailable('no playwright: pip install -e ".[dev,site]"')
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


class Tab:
    """A browser tab that opens one page after another (one context: the browser's cache serves
    MathJax and the theme's scripts after the first page), noting for the page open now the
    requests that left the site and every error it logged."""

    def __init__(self, browser, width="laptop"):
        w, h = WIDTHS[width]
        self.context = browser.new_context(viewport={"width": w, "height": h})
        self.page = self.context.new_page()
        self.requests, self.errors, self.base = [], [], None
        self.page.on("request", self._request)
        self.page.on("response", self._response)
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed {r.url}"))
        self.page.on(
            "console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}")
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def _request(self, request):
        if not request.url.startswith((self.base, "data:", "blob:", "about:")):
            self.requests.append(request.url)

    def _response(self, response):
        if response.status >= 400:
            self.errors.append(f"{response.status} {response.url}")

    def open(self, url, width="laptop"):
        """Open ``url`` at ``width``, wait for its formulas and images; returns the page."""
        w, h = WIDTHS[width]
        self.page.set_viewport_size({"width": w, "height": h})
        self.base = re.match(r"(https?://[^/]+|file://)", url)[1]
        self.requests, self.errors = [], []
        self.page.goto(url, wait_until="load")
        self.page.evaluate(TYPESET)
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def tab(browser):
    tab = Tab(browser)
    yield tab
    tab.close()


# wait for MathJax's first typesetting (pages without formulas do not load it) and every image
TYPESET = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
}"""

# the text a reader reads: no code, no output, nothing marked as another language, no formula
READING = """(skip) => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll(skip).forEach(e => e.remove());
  return body.innerText;
}"""
NOT_PROSE = "script, style, pre, code, .output, .cell_output, mjx-container, svg, .math"

FACTS = """() => ({
  formulas: document.querySelectorAll('span.math, div.math').length,
  typeset: document.querySelectorAll('span.math mjx-container, div.math mjx-container').length,
  errors: document.querySelectorAll('mjx-merror, [data-mml-node="merror"], [data-mjx-error]')
    .length,
  images: [...document.images].map(i => [i.getAttribute('src'), i.complete && i.naturalWidth]),
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  switch: (document.querySelector('a.fmnist-lang-switch') || {}).href || null,
  copy: document.querySelectorAll('button.copybtn').length,
  prev_next: document.querySelectorAll('.prev-next-area a').length,
})"""


def _problems(tab, lang, page, shots=None):
    """What is wrong with the page open in ``tab``, one line each; its screenshot at each width
    goes in the folder ``shots``."""
    facts = tab.page.evaluate(FACTS)
    problems = list(tab.errors)
    problems += [f"request off the site: {u}" for u in tab.requests]
    if facts["typeset"] != facts["formulas"]:
        problems.append(f"{facts['formulas'] - facts['typeset']} formulas not typeset")
    if facts["errors"]:
        problems.append(f"{facts['errors']} MathJax error nodes")
    problems += [f"image not loaded: {src}" for src, width in facts["images"] if not width]
    prose = tab.page.evaluate(READING, NOT_PROSE)
    raw = re.findall(r"\$[^$\n]+\$|\\\(|\\\)|\\\[|\\\]|\\begin\{", prose)
    problems += [f"raw TeX left: {r[:40]!r}" for r in raw]
    if lang == "en":
        english = tab.page.evaluate(READING, f"{NOT_PROSE}, [lang^='zh']")
        problems += [f"Chinese on an English page: {m!r}" for m in CJK.findall(english)[:5]]
    elif len(CJK.findall(prose)) < 20:
        problems.append("a Chinese page with hardly any Chinese")
    if page != "search":
        other = "en" if lang == "zh" else "zh"
        if not (facts["switch"] or "").endswith(f"/{other}/{page}.html"):
            problems.append(f"language switch goes to {facts['switch']}")
    if page.startswith("notebooks/0") or page.startswith("notebooks/1"):
        if not facts["copy"]:
            problems.append("no copy button on the code")
        if facts["prev_next"] < 2:
            problems.append("no previous/next links")
    for width in WIDTHS:
        w, h = WIDTHS[width]
        tab.page.set_viewport_size({"width": w, "height": h})
        overflow = tab.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 1:
            wide = tab.page.evaluate(WIDEST)
            problems.append(f"{overflow}px sideways at {w}px: {wide}")
        if shots:
            _screenshot(tab.page, SHOTS[page], shots / f"{lang}-{page.split('/')[-1]}-{w}.png")
    return problems


def _screenshot(page, anchor, path):
    """What a reader sees at the top of the page, or at ``anchor``; in 64 colours (a fifth of the
    bytes, the text as sharp)."""
    from PIL import Image

    page.evaluate("window.scrollTo(0, 0)")
    if anchor:
        page.locator(anchor).first.scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, -120)")
    page.wait_for_timeout(200)
    page.screenshot(path=path)
    Image.open(path).convert("RGB").quantize(64).save(path, optimize=True)


# the elements that stick out of the page on the right, for the message
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => { for (let a = e.parentElement; a; a = a.parentElement)
                   if (getComputedStyle(a).overflowX !== 'visible') return false;
                 return true; })
  .slice(0, 3).map(e => e.tagName + '.' + [...e.classList].join('.') + ' '
                   + (e.innerText || '').slice(0, 40))"""


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PAGES)
def test_page_in_the_browser(tab, site, server, shots, lang, page):
    tab.open(f"{server}/{lang}/{page}.html" + ("?q=loss" if page == "search" else ""))
    problems = _problems(tab, lang, page, shots if page in SHOTS else None)
    assert not problems, f"{lang}/{page}:\n" + "\n".join(problems)


def test_landing_page_offers_both_editions(tab, site, server):
    links = tab.open(f"{server}/index.html").eval_on_selector_all("a", "as => as.map(a => a.href)")
    assert not tab.errors + tab.requests
    assert {f"{server}/zh/index.html", f"{server}/en/index.html"} <= set(links)


@pytest.mark.parametrize("lang, query", [("zh", "损失函数"), ("en", "optimizer")])
def test_search_finds_lessons(tab, site, server, lang, query):
    page = tab.open(f"{server}/{lang}/search.html?q={query}")
    page.wait_for_selector("#search-results ul.search li", timeout=15_000)
    hits = page.eval_on_selector_all(
        "#search-results ul.search li a", "as => as.map(a => a.getAttribute('href'))"
    )
    assert not tab.errors
    assert any("notebooks/" in h for h in hits), hits


def test_site_reads_from_the_file_system(tab, site):
    """Opened from file:// (no server): formulas, images and the search still work."""
    out, _ = site
    for page, query in [
        ("zh/notebooks/05_losses_regression.html", ""),
        ("en/search.html", "?q=adam"),
    ]:
        opened = tab.open((out / page).as_uri() + query)
        if "search" in page:
            opened.wait_for_selector("#search-results ul.search li", timeout=15_000)
        facts = opened.evaluate(FACTS)
        assert not tab.errors + tab.requests, page
        assert facts["typeset"] == facts["formulas"]
        assert all(width for _, width in facts["images"])


def _texts(path):
    """A page's text with its tags removed (code and outputs included)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def test_the_site_holds_no_solution(site):
    out, _ = site
    everything = [p for p in out.rglob("*") if p.suffix in (".html", ".js", ".ipynb", ".txt")]
    assert not [p for p in everything if "BEGIN SOLUTION" in p.read_text(encoding="utf-8")]
    for src in lessons.lesson_sources(ROOT):
        teacher = lessons.read_py(src)
        answers = [
            re.search(r"### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION", c.source, re.S)[1]
            for c in teacher.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")
        ]
        for lang in LANGS:
            text = _texts(out / lang / "notebooks" / f"{src.stem}.html")
            assert text.count("raise NotImplementedError()") >= len(answers), (lang, src.stem)
            for answer in answers:
                assert answer.strip() not in text, (lang, src.stem, answer[:80])


def test_downloads_are_the_student_copies(site):
    import nbformat

    out, _ = site
    for stem in STEMS:
        page = (out / "zh" / "notebooks" / f"{stem}.html").read_text(encoding="utf-8")
        href = f"../../student/notebooks/{stem}.ipynb"
        assert f'href="{href}"' in page
        nb = nbformat.read(out / "zh" / "notebooks" / href, 4)
        solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert solutions and all("raise NotImplementedError()" in c.source for c in solutions)
    assert (out / "student" / "fmnist-course-student.zip").stat().st_size > 0


def test_build_is_clean_and_fast(site):
    out, result = site
    assert not result["warnings"], "\n".join(result["warnings"])
    assert result["seconds"] < 120
    for lang in LANGS:
        assert len(result["pages"][lang]) == len(STEMS) + 2
        assert (out / lang / "_static" / "mathjax" / "tex-svg-full.js").is_file()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where the screenshots go: ``benchmarks/site-screenshots/`` with
    ``FMNIST_SITE_SCREENSHOTS=1``, else a temporary folder."""
    if os.environ.get("FMNIST_SITE_SCREENSHOTS") == "1":
        folder = ROOT / "benchmarks" / "site-screenshots"
        folder.mkdir(exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")


# --- the pages as written for Sphinx: no browser, no [site] extra ----------------------------


def test_bilingual_texts_split_into_their_languages():
    from fmnist_core.tooling.site import split_bilingual

    assert split_bilingual("内容 / What it teaches") == ("内容", "What it teaches")
    assert split_bilingual("检查（`a / b`）。/ Checks `a / b`.") == (
        "检查（`a / b`）。",
        "Checks `a / b`.",
    )
    assert split_bilingual("只有中文") == ("只有中文", None)
    assert split_bilingual("`cpu`、`cuda`") == ("`cpu`、`cuda`", "`cpu`, `cuda`")
    assert split_bilingual("English only", neutral=False) == (None, "English only")


def test_home_page_shows_time_and_exercise_kinds(monkeypatch):
    from fmnist_core.tooling import site as site_tool

    nbs = {s: lessons.read_ipynb(ROOT / "notebooks" / f"{s}.ipynb") for s in STEMS[:2]}
    monkeypatch.setattr(lessons, "lesson_time", lambda cells, lang: (45, 15), raising=False)
    zh, en = (site_tool.home_page(ROOT, lang, nbs) for lang in LANGS)
    assert "约 45 分钟，另加 15 分钟选学" in zh and "about 45 min, plus 15 optional" in en
    assert '<span class="fmnist-kind">预测 1</span>' in zh
    assert '<span class="fmnist-kind">predict 1</span>' in en
    assert f"(notebooks/{STEMS[0]}.ipynb)" in zh and f"notebooks/{STEMS[2]}" not in zh
    assert not CJK.search(en.replace("Fashion-MNIST", ""))
    monkeypatch.delattr(lessons, "lesson_time")
    assert "分钟" not in site_tool.home_page(ROOT, "zh", nbs)


def test_a_lesson_page_shows_the_exercises_as_the_student_copy():
    from fmnist_core.tooling.site import exercise_span, site_notebook

    teacher = lessons.read_ipynb(ROOT / "notebooks" / "05_losses_regression.ipynb")
    for lang in LANGS:
        nb = site_notebook(teacher, lang, "05_losses_regression")
        other = "en" if lang == "zh" else "zh"
        assert not [c for c in nb.cells if other in c.metadata.get("tags", [])]
        start, end = exercise_span(nb.cells)
        exercises = [c for c in nb.cells[start:end] if c.cell_type == "code"]
        assert exercises and all(c.outputs == [] for c in exercises)
        assert sum("raise NotImplementedError()" in c.source for c in exercises) == 3
        assert not any("BEGIN SOLUTION" in c.source for c in nb.cells)
        before = [c for c in nb.cells[:start] if c.cell_type == "code"]
        assert sum(bool(c.outputs) for c in before) > len(before) // 2  # the lesson's outputs
        assert "05_losses_regression.ipynb" in nb.cells[1].source  # the download, under the title


def test_glossary_keeps_every_term_in_both_editions():
    from fmnist_core.tooling.site import glossary_page

    rows = [x for x in (ROOT / "notebooks" / "GLOSSARY.md").read_text("utf-8").splitlines()]
    rows = [x for x in rows if x.startswith("| ")]
    for lang in LANGS:
        page = glossary_page(ROOT, lang)
        assert len([x for x in page.splitlines() if x.startswith("| ")]) == len(rows)
        assert "| 00 | tensor |" in page or "| 00 | 张量 | tensor |" in page
    english = glossary_page(ROOT, "en")
    assert not CJK.search(re.sub(r'<span lang="zh-Hans">[^<]*</span>', "", english))
