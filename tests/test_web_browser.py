"""The web app in a real headless Chromium (Selenium): open the stories, follow a story, follow a citation,
and check the cited sentence is the highlighted :target in view, on a phone-sized and a desktop window.

Skips when selenium, /usr/bin/chromium or /usr/bin/chromedriver is missing. Screenshots go to the test's
tmp folder (phone-*.png, desktop-*.png) for a person to look at.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web import build_site
from test_web_live import FERRY

from newsweave.web import HOST, create_app, server_config

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip("chromium and chromedriver are not installed", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver")
uvicorn = pytest.importorskip("uvicorn")
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402  (only importable when selenium is)
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

HIGHLIGHT = "rgba(255, 240, 160, 1)"  # --hl in templates/web/style.css
HEADER = "rgba(32, 49, 79, 1)"  # header.bar background: proves the stylesheet passed the CSP
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}


def run_server(app: object) -> tuple[str, uvicorn.Server, threading.Thread]:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(server_config(app, port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            pytest.fail("uvicorn did not start")
        thread.join(0.05)
    return f"http://{HOST}:{port}", server, thread


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = build_site(tmp_path_factory)
    url, server, thread = run_server(create_app(site.workspace, site.brief_path))
    yield url
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second server, live, over a copy of the workspace (uploads must not change the shared one)."""
    site = build_site(tmp_path_factory)
    workspace = shutil.copytree(site.workspace, tmp_path_factory.mktemp("live") / "workspace")
    url, server, thread = run_server(create_app(workspace, site.brief_path, live=True, poll=0.5))
    yield url
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def in_view(driver: webdriver.Chrome, el: object) -> bool:
    return driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;", el)


@pytest.mark.parametrize("size", list(SIZES))
def test_story_to_cited_sentence(browser: webdriver.Chrome, base_url: str, size: str, tmp_path: Path,
                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    story = max(build_site(tmp_path_factory).doc["stories"], key=lambda s: len(s["articles"]))
    browser.set_window_size(*SIZES[size])
    browser.get(base_url + "/")
    header = browser.find_element(By.CSS_SELECTOR, "header.bar")
    assert header.value_of_css_property("background-color") == HEADER
    browser.save_screenshot(str(tmp_path / f"{size}-index.png"))

    browser.find_element(By.CSS_SELECTOR, f"a.headline[href='/story/{story['id']}']").click()
    assert browser.current_url == f"{base_url}/story/{story['id']}"
    browser.save_screenshot(str(tmp_path / f"{size}-story.png"))
    cite = browser.find_elements(By.CSS_SELECTOR, "ul.summary a.cite")[-1]  # the last: the page must scroll
    href, cited_text = cite.get_attribute("href"), cite.get_attribute("title")
    if size == "phone":  # a 44 px chip; a tap opens the preview, whose link opens the sentence
        assert not cite.is_displayed()
        chip = browser.find_elements(By.CSS_SELECTOR, "ul.summary details.cite-tap > summary")[-1]
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", chip)
        box = browser.execute_script("return arguments[0].getBoundingClientRect()", chip)
        assert box["width"] >= 44 and box["height"] >= 44
        preview = chip.find_element(By.XPATH, "../span[@class='preview']")
        assert not preview.is_displayed()
        chip.click()
        assert preview.is_displayed() and cited_text.split(": ", 1)[-1] in preview.text
        browser.save_screenshot(str(tmp_path / f"{size}-preview.png"))
        cite = preview.find_element(By.TAG_NAME, "a")
        box = browser.execute_script("return arguments[0].getBoundingClientRect()", cite)
        assert box["height"] >= 44
    cite.click()

    assert browser.current_url == href and "/article/" in href
    target = browser.find_element(By.ID, href.rsplit("#", 1)[1])
    number = target.find_element(By.CSS_SELECTOR, "a.n").text
    assert cited_text.endswith(target.text[len(number):].strip())
    assert target.value_of_css_property("background-color") == HIGHLIGHT
    assert in_view(browser, target)
    other = browser.find_element(By.CSS_SELECTOR, f"p.sent:not(#{target.get_attribute('id')})")
    assert other.value_of_css_property("background-color") != HIGHLIGHT
    # Nothing wider than a phone screen, and no CSP complaints (the stylesheet's hash must match).
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    browser.save_screenshot(str(tmp_path / f"{size}-article.png"))
    problems = [e["message"] for e in browser.get_log("browser")
                if "Content Security Policy" in e["message"] or e["level"] == "SEVERE"
                and "favicon.ico" not in e["message"]]
    assert not problems


@pytest.mark.parametrize("size", list(SIZES))
def test_side_by_side_pairs(browser: webdriver.Chrome, base_url: str, size: str, tmp_path: Path,
                            tmp_path_factory: pytest.TempPathFactory) -> None:
    """Copy evidence and disputes sit side by side on a desktop and stack on a phone, pair by pair."""
    doc = build_site(tmp_path_factory).doc
    copy = next(a for a in doc["articles"] if a["copies"])
    story = next(s for s in doc["stories"] if copy["id"] in s["articles"])
    browser.set_window_size(*SIZES[size])
    for url, selector in ((f"/article/{copy['id']}", "div.pair.copy"), (f"/story/{story['id']}", "div.pair")):
        browser.get(base_url + url)
        pair = browser.find_element(By.CSS_SELECTOR, selector)
        browser.execute_script("arguments[0].scrollIntoView()", pair)
        left, right = (browser.execute_script("return arguments[0].getBoundingClientRect()", el)
                       for el in pair.find_elements(By.XPATH, "./div"))
        if size == "desktop":
            assert left["top"] == right["top"] and left["right"] <= right["left"]
        else:
            assert left["bottom"] <= right["top"] and left["left"] == right["left"]
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        browser.save_screenshot(str(tmp_path / f"{size}-{url.split('/')[1]}-pairs.png"))


def test_refresh_button(browser: webdriver.Chrome, base_url: str) -> None:
    """The footer's Refresh, clicked in Chromium (which sends Origin: null here), reloads the stories page."""
    browser.set_window_size(*SIZES["desktop"])
    browser.get(base_url + "/article/nope")
    browser.find_element(By.CSS_SELECTOR, "footer form[action='/refresh'] button").click()
    # The POST recomputes before it redirects: wait for the navigation rather than read the URL at once.
    WebDriverWait(browser, 60).until(lambda d: d.current_url == base_url + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Stories"


ODD_QUERIES = ["U.S.", "COVID-19", "Biden-Xi", "Xi's", "Sullivan?", "$209", "9:03", "AND", "沙利文", "Sulivan",
               "*", "-Sullivan", "word " * 1000, "x" * 20_000]


@pytest.mark.parametrize("q", ODD_QUERIES, ids=lambda q: q if len(q) < 20 else f"{len(q)} chars")
def test_search_box(browser: webdriver.Chrome, base_url: str, q: str) -> None:
    """Each odd query typed into the search box: results that link to a sentence, a suggestion, or a message."""
    browser.set_window_size(*SIZES["desktop"])
    browser.get(base_url + "/")
    box = browser.find_element(By.CSS_SELECTOR, "form.search input[name='q']")
    if len(q) > 50:  # typing 20 KB key by key takes minutes; the form sends the same either way
        browser.execute_script("arguments[0].value = arguments[1]", box, q)
    else:
        box.send_keys(q)
    box.submit()
    WebDriverWait(browser, 10).until(lambda d: "/search?q=" in d.current_url)
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "sqlite" not in text.lower() and "fts5" not in text.lower() and "syntax error" not in text
    hits = browser.find_elements(By.CSS_SELECTOR, "ul.results > li > a")
    notices = browser.find_elements(By.CSS_SELECTOR, "p.notice")
    if q in ("*", "-Sullivan") or len(q) > 200:
        assert notices and not hits
        return
    if q == "Sulivan":
        browser.find_element(By.CSS_SELECTOR, "p.suggest a").click()
        hits = browser.find_elements(By.CSS_SELECTOR, "ul.results > li > a")
    assert hits and not notices
    href = hits[0].get_attribute("href")
    hits[0].click()
    target = browser.find_element(By.ID, href.rsplit("#", 1)[1])
    assert target.value_of_css_property("background-color") == HIGHLIGHT and in_view(browser, target)


def test_outlets_page(browser: webdriver.Chrome, base_url: str, tmp_path: Path) -> None:
    """From the header to the Outlets page, then a figure to the articles behind it, then one of them."""
    browser.set_window_size(*SIZES["phone"])
    browser.get(base_url + "/")
    browser.find_element(By.CSS_SELECTOR, "header.bar nav a[href='/outlets']").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Outlets"
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    link = browser.find_element(By.CSS_SELECTOR, "td[data-label='copies'] a")
    link.click()
    assert "#copies" in browser.current_url
    section = browser.find_element(By.ID, "copies")
    assert in_view(browser, section)
    first = section.find_element(By.XPATH, "following-sibling::ul[1]/li/a")
    first.click()
    assert "/article/" in browser.current_url
    browser.save_screenshot(str(tmp_path / "phone-outlet-article.png"))


def test_entity_page(browser: webdriver.Chrome, base_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A speaker's name on a story page opens their page; a quote's citation there opens the sentence."""
    story = max(build_site(tmp_path_factory).doc["stories"], key=lambda s: len(s["quotes"]))
    browser.set_window_size(*SIZES["desktop"])
    browser.get(f"{base_url}/story/{story['id']}")
    name = browser.find_element(By.CSS_SELECTOR, "div.speaker strong a")
    expected = name.text
    name.click()
    assert "/entity/" in browser.current_url and expected in browser.find_element(By.TAG_NAME, "h1").text
    cite = browser.find_element(By.CSS_SELECTOR, "#quotes ~ ul a.cite")
    href = cite.get_attribute("href")
    cite.click()
    target = browser.find_element(By.ID, href.rsplit("#", 1)[1])
    assert target.value_of_css_property("background-color") == HIGHLIGHT and in_view(browser, target)


def test_upload_a_file_and_see_its_story(browser: webdriver.Chrome, live_url: str, tmp_path: Path) -> None:
    """Choose a file on the Add articles page, watch it being read, then open the story it landed in."""
    article = tmp_path / "ferry-terminal.txt"
    article.write_text(FERRY, encoding="utf-8")
    browser.set_window_size(*SIZES["desktop"])
    browser.get(live_url + "/")
    browser.find_element(By.CSS_SELECTOR, "header.bar nav a[href='/upload']").click()
    browser.find_element(By.CSS_SELECTOR, "input[type=file][name=files]").send_keys(str(article))
    browser.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]").click()
    # The page was /upload before the post too: wait for the job row the post's answer shows, not the address.
    WebDriverWait(browser, 30, poll_frequency=0.2, ignored_exceptions=(NoSuchElementException,)).until(
        lambda d: "ferry-terminal.txt" in d.find_element(By.CSS_SELECTOR, "li.job").text)
    assert browser.current_url == live_url + "/upload"
    # The page reloads itself while the upload is read and analysed.
    reloading = (NoSuchElementException, StaleElementReferenceException)
    WebDriverWait(browser, 180, poll_frequency=0.5, ignored_exceptions=reloading).until(
        lambda d: "done" in d.find_element(By.CSS_SELECTOR, "li.job").get_attribute("class"))
    browser.find_element(By.CSS_SELECTOR, "li.job a.story").click()
    assert "/story/" in browser.current_url
    assert "Jonas Ekberg" in browser.find_element(By.TAG_NAME, "main").text
    browser.get(live_url + "/")
    banner = browser.find_element(By.CSS_SELECTOR, "p.banner")
    assert "1 new article" in banner.text
