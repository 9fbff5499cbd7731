"""Screenshots of the web app over the sample corpus, from headless Chromium.

    newsweave run --sample --out /tmp/x
    PYTHONPATH=src python docs/screenshots/take.py /tmp/x

Writes the home, story, outlets, outlet, entity and search pages (desktop) and a story with an open citation preview
(phone) as PNG files next to this script.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import uvicorn
from selenium import webdriver
from selenium.webdriver.common.by import By

from newsweave.web import HOST, create_app, server_config

OUT = Path(__file__).parent


def main(run_dir: Path) -> None:
    doc = json.loads((run_dir / "brief.json").read_text("utf-8"))
    story = max(doc["stories"], key=lambda s: len(s["articles"]))
    person = max((e for e in story["entities"] if e["type"] == "PERSON"), key=lambda e: e["mentions"])
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(server_config(create_app(run_dir / "workspace", run_dir / "brief.json"), port))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        threading.Event().wait(0.05)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService("/usr/bin/chromedriver"))
    base = f"http://{HOST}:{port}"
    copier = next(a for a in doc["articles"] if a["copies"] and a["outlet"])
    try:
        pages = {"home": "/", "story": f"/story/{story['id']}", "outlets": "/outlets",
                 "outlet": f"/outlet/{quote(copier['outlet'], safe='')}", "entity": f"/entity/{person['id']}",
                 "search": "/search?q=Halmria%20drones"}
        for name, url in pages.items():
            driver.set_window_size(1280, 900)
            driver.get(base + url)
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1280, min(height, 2400))
            driver.save_screenshot(str(OUT / f"{name}.png"))
        for name, anchor in (("story-timeline", "timeline"), ("story-copies", "copies")):
            driver.set_window_size(1280, 900)
            driver.get(f"{base}/story/{story['id']}#{anchor}")
            driver.save_screenshot(str(OUT / f"{name}.png"))
        driver.set_window_size(390, 844)
        driver.get(f"{base}/story/{story['id']}#summary")
        chip = driver.find_elements(By.CSS_SELECTOR, "ul.summary details.cite-tap > summary")[0]
        chip.click()
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", chip)
        driver.save_screenshot(str(OUT / "phone-citation.png"))
    finally:
        driver.quit()
        server.should_exit = True


if __name__ == "__main__":
    main(Path(sys.argv[1]))
