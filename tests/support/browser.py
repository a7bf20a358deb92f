"""Real-browser tests: the app served by uvicorn on loopback, headless Chromium, screenshots.

The app runs in a background thread of the test process, so a test can set up data through the
domain code and then look at it in the browser. Screenshots go to ``$HZ45_SCREENSHOT_DIR``
(default ``test-artifacts/screenshots/``, ignored by git; CI may keep them); with
``HZ45_UPDATE_SCREENSHOTS=1`` the ones meant for the documentation are also written to
``docs/screenshots/``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import uvicorn

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
# The tallest a full-page screenshot gets (in CSS pixels).
MAX_PAGE_HEIGHT = 2400
# Calls back two frames later, so that responsive parts (charts) have laid themselves out again.
NEXT_LAYOUT = "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
STARTUP_SECONDS = 30


@contextlib.contextmanager
def serve(app) -> Iterator[str]:
    """Serve the ASGI ``app`` (its lifespan included) on a free loopback port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # bound here, so no other process can take the port meanwhile
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="hz45-live-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the app did not start under uvicorn (see the log above)")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        sock.close()


def with_credentials(url: str, user: str, password: str) -> str:
    """``url`` with HTTP Basic credentials in it, which a browser uses when the page asks for them."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.netloc}"))


def without_credentials(url: str) -> str:
    """``url`` without the user name and password a page opened with :func:`with_credentials` passes on."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        url = attributes.get("src") if tag == "script" else attributes.get("href") if tag == "link" else None
        if url:
            self.found.append((url, attributes.get("integrity")))


def references(html: str) -> list[tuple[str, str | None]]:
    """``(url, integrity attribute)`` of every script and ``<link>`` (stylesheet, icon) of a page."""
    parser = _References()
    parser.feed(html)
    return parser.found


def sri(content: bytes) -> str:
    """The subresource-integrity hash (SHA-384) of ``content``, as in an ``integrity`` attribute."""
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


def missing_browser() -> str | None:
    """Why headless Chromium cannot be driven here (None when both chromium and chromedriver exist)."""
    missing = [name for name, path in (("chromium", chromium_path()), ("chromedriver", chromedriver_path()))
               if not os.access(path, os.X_OK)]
    if missing:
        return f"{' and '.join(missing)} not installed (apt-get install chromium chromium-driver)"
    return None


def chromium_path() -> str:
    """The chromium on PATH, or Debian's."""
    return shutil.which("chromium") or CHROMIUM


def chromedriver_path() -> str:
    """The chromedriver on PATH, or Debian's (``chromium-driver``)."""
    return shutil.which("chromedriver") or CHROMEDRIVER


def start_chrome():
    """A headless Chromium driven by chromedriver, keeping its console and network logs."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_path()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=chromedriver_path()), options=options)


def clear_logs(driver) -> None:
    """Forget the console and network logs so far (chromedriver hands each entry out once)."""
    for kind in ("browser", "performance"):
        driver.get_log(kind)


def failed_requests(driver) -> list[str]:
    """``"<status> <url>"`` (credentials left out) of every response of 400 or more, and every
    request that got none, since the logs were last read."""
    failures = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.responseReceived" and params["response"]["status"] >= 400:
            failures.append(f"{params['response']['status']} {without_credentials(params['response']['url'])}")
        elif message["method"] == "Network.loadingFailed" and not params.get("canceled"):
            failures.append(f"{params.get('errorText')} (request {params['requestId']})")
    return failures


def console_errors(driver) -> list[str]:
    """The console's errors since the logs were last read (failed loads and uncaught exceptions)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot_dir() -> Path:
    """Where screenshots go: ``$HZ45_SCREENSHOT_DIR``, else ``test-artifacts/screenshots/``."""
    return Path(os.environ.get("HZ45_SCREENSHOT_DIR") or SCREENSHOTS)


def save_screenshot(driver, name: str) -> Path:
    """Save the current page as ``<screenshot dir>/<name>.png``; returns the path."""
    directory = screenshot_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    if not driver.save_screenshot(str(path)):
        raise RuntimeError(f"could not save the screenshot {path}")
    return path


def save_page_screenshot(driver, name: str) -> Path:
    """Save the whole page (up to :data:`MAX_PAGE_HEIGHT` tall) like :func:`save_screenshot`; with
    ``HZ45_UPDATE_SCREENSHOTS=1`` also as ``docs/screenshots/<name>.png``."""
    size = driver.get_window_size()
    # Without scroll bars, the page is laid out at the window's full width, as in the shot.
    driver.execute_script("document.documentElement.style.overflow = 'hidden'")
    try:
        driver.execute_async_script(NEXT_LAYOUT)
        inner = driver.execute_script("return window.innerHeight")
        page = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(size["width"], min(max(page, inner), MAX_PAGE_HEIGHT) + size["height"] - inner)
        driver.execute_async_script(NEXT_LAYOUT)
        path = save_screenshot(driver, name)
    finally:
        driver.set_window_size(size["width"], size["height"])
        driver.execute_script("document.documentElement.style.overflow = ''")
    if os.environ.get("HZ45_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path
