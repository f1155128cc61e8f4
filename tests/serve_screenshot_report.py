"""README's docs/serve.png: the page of `tangshi serve` on the pipeline's models, photographed by Chromium.

    python tests/serve_screenshot_report.py [OUT]    # from the repo root, after `dvc repro`; OUT: docs/serve.png

It asks the poet for two 五律 on 春望 in 杜甫's voice (the page's defaults otherwise: meter constraints, best
of 4, guidance 1, seed 0), then pastes 杜甫's 《登高》 into the checking box, and photographs the whole page.
Nothing is chosen: the poems are the first the page writes for that request. Needs Debian's chromium (as the
browser test does) and the pipeline's outputs.
"""

import socket
import subprocess
import sys
import time
import urllib.request

from judge_poems import FORM_PASSES  # tests/, beside this script
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"


def main(out: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "tangshi.app.cli", "serve", "--port", str(port), "--device", "cpu"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            page.goto(url)
            page.wait_for_selector("#poet-list option", state="attached")
            page.fill("#title", "春望")
            page.fill("#poet", "杜甫")
            page.fill("#count", "2")
            page.click("#write")
            page.wait_for_function("() => !document.querySelector('#write').disabled && "
                                   "document.querySelectorAll('#poems .poem').length === 2", timeout=120_000)
            page.fill("#check-text", FORM_PASSES["登高"][0])
            page.click("#check")
            page.wait_for_selector("#checked .verdict")
            page.screenshot(path=out, full_page=True)
            print("\n\n".join(page.locator("#poems .poem").all_inner_texts()))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/serve.png")
