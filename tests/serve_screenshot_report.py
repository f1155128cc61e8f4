"""README's docs/serve.png: the page of `tangshi serve` on the pipeline's models, photographed by Chromium.

    python tests/serve_screenshot_report.py [OUT]    # from the repo root, after `dvc repro`; OUT: docs/serve.png

It asks the poet for two 五律 on 春望 in 杜甫's voice (the page's defaults otherwise: meter constraints, best
of 4, guidance 1), then pastes 杜甫's 《登高》 into the checking box, and photographs the whole page. Nothing
is chosen: the poems are the first the page writes for that request (it draws a new seed for each, so every
run photographs other poems). Needs Debian's chromium (as the browser test does) and the pipeline's outputs.
"""

import sys

from judge_poems import FORM_PASSES  # tests/, beside this script
from page_server import CHROMIUM, CHROMIUM_ARGS, serving
from playwright.sync_api import sync_playwright


def main(out: str) -> None:
    with serving(["--device", "cpu"], wait_s=120) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
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
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/serve.png")
