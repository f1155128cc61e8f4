"""The README's docs/serve.png: the page of `tangshi serve` on the pipeline's models, photographed by Chromium (about a minute).

    python scripts/serve_screenshot.py [OUT]    # from the repo root, after `dvc repro`; OUT: docs/serve.png

It asks the poet for two 五律 on 春望 in 杜甫's voice (the page's defaults otherwise: meter constraints, best
of 4, guidance 1), then pastes 杜甫's 《登高》 into the checking box, and photographs the whole page. Nothing
is chosen: the poems are the first the page writes for that request (it draws a new seed for each, so every
run photographs other poems). Needs Debian's chromium (as the browser test does) and the pipeline's outputs.
"""

import sys

from playwright.sync_api import sync_playwright

from tangshi.app.page_server import CHROMIUM, CHROMIUM_ARGS, serving

DENGGAO = ("风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。"  # 杜甫《登高》
           "万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。")


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
        page.fill("#check-text", DENGGAO)
        page.click("#check")
        page.wait_for_selector("#checked .verdict")
        page.screenshot(path=out, full_page=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/serve.png")
