"""`tangshi serve`: the JSON API through FastAPI's TestClient, and the page in a real Chromium."""

import os
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tangshi.app.defaults import BEST_OF, GUIDANCE
from tangshi.app.serve import MAX_BEST_OF, MAX_POEMS, create_app

from .judge_poems import FLAGGED, FORM_PASSES, OLD_STYLE, PASSES
from tangshi.app.page_server import CHROMIUM, CHROMIUM_ARGS, serving


@pytest.fixture(scope="module")
def client(tiny_models, word_stats):
    out = tiny_models["out"]
    app = create_app(out / "models", out / "vocab.json", out / "tones.json", out / "no-metrics", "cpu", out / "pairs.npz",
                     word_stats[1], word_stats[2], out / "keywords" / "keywords.json", out / "keywords" / "planner.npz")
    return TestClient(app)


def test_models_are_listed(client):
    data = client.get("/api/models").json()
    assert {m["name"] for m in data["models"]} == {"numpy", "single", "poet"} and data["hint"] is None
    assert all(m["dev_ppl"] > 1 for m in data["models"])
    assert data["default"] == "poet" and data["best_of"] == BEST_OF and (data["guidance"], data["max_guidance"]) == (GUIDANCE, 10)
    forms = {m["name"]: m["forms"] for m in data["models"]}
    assert forms == {"numpy": ["五律"], "single": ["五律"], "poet": ["五绝", "七绝", "五律", "七律"]}
    assert [(f["name"], f["lines"], f["chars"]) for f in data["forms"]] == [("五绝", 4, 5), ("七绝", 4, 7), ("五律", 8, 5), ("七律", 8, 7)]


def test_page_and_its_files_are_served_locally(client):
    page = client.get("/").text
    assert "/static/app.js" in page and "/static/style.css" in page and "http" not in page.split("<body>")[1]
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/../serve.py").status_code == 404
    assert client.get("/static/index.py").status_code == 404


def test_write_acrostic_in_meter(client):
    data = client.post("/api/write", json={"model": "single", "acrostic": "春江花月夜思故乡", "n": 3}).json()
    assert len(data["poems"]) == 3
    for poem in data["poems"]:
        assert [line["chars"][0]["char"] for line in poem["lines"]] == list("春江花月夜思故乡")
        assert poem["meter_valid"] and all(c["tone"] in ("ping", "ze", "either") for l in poem["lines"] for c in l["chars"])
        assert [l["rhyme"] for l in poem["lines"]][1::2] == [True] * 4 and poem["lines"][1]["groups"]


def test_write_a_qijue_acrostic_and_check_a_qilv(client):
    data = client.post("/api/write", json={"model": "poet", "form": "七绝", "acrostic": "春江花月", "n": 2}).json()
    for poem in data["poems"]:
        assert poem["form"] == "七绝" and [len(line["chars"]) for line in poem["lines"]] == [7] * 4
        assert [line["chars"][0]["char"] for line in poem["lines"]] == list("春江花月") and poem["meter_valid"]
        assert poem["couplets"] == []  # 对仗 is judged in a 律诗
    data = client.post("/api/check", json={"poem": FORM_PASSES["登高"][0]}).json()
    assert data["form"] == "七律" and data["shape"] == "8 lines of 7 characters" and data["meter_valid"]
    assert data["pattern"] == "仄起入韵" and data["lines"][0]["rhyme"] and data["lines"][0]["groups"] == ["上平聲十灰"]


def test_check_a_real_poem(client):
    data = client.post("/api/check", json={"poem": PASSES["春望"]}).json()
    assert data["meter_valid"] and data["pattern"] == "仄起不入韵" and data["rhyme_group"] == "下平聲十二侵"
    assert [c["lines"] for c in data["couplets"]] == [[1, 2], [3, 4], [5, 6], [7, 8]]
    assert [c["parallel"] for c in data["couplets"]][1:] == [True, True, False]  # 感时花溅泪，恨别鸟惊心 …; 白头搔更短 … is not
    assert [c["grade"] for c in data["couplets"]][3] == "not parallel" and all(c["grade"] in ("工对", "宽对") for c in data["couplets"][1:3])
    assert data["style"] == {"kind": "近体", "reason": "keeps every rule of 五律", "ze": False}
    old = client.post("/api/check", json={"poem": OLD_STYLE["江雪"][0]}).json()  # 古体: its rhyme alone is checked
    assert old["style"]["kind"] == "古体" and old["style"]["ze"] and "仄韵 (入聲九屑)" in old["style"]["reason"]
    assert old["rhyme_group"] == "入聲九屑" and all(line["groups"] == ["入聲九屑"] for line in old["lines"][1::2])
    assert not any(note.startswith("✗") for line in old["lines"] for note in line["notes"])  # no 近体 rule flagged
    bad = client.post("/api/check", json={"poem": "床前明月光，疑是地上霜。"}).json()
    assert not bad["well_formed"] and bad["message"] == "not regulated verse: 2 lines; a 绝句 has 4 and a 律诗 8"
    whole = data["whole"]  # read as a whole, beside the fixture's real 五律
    assert set(whole) == {"specificity", "repeated", "doubled", "cohesion", "real"} and whole["specificity"] > 0
    assert set(whole["real"]) == {"specificity", "repeated", "cohesion_median"}


def test_write_uses_the_chosen_decoding_and_takes_its_terms(client):
    plain = client.post("/api/write", json={"model": "single", "start": "山", "n": 4, "best_of": 1, "seed": 3,
                                            "repeat_penalty": 0, "discount": 0, "slor": 0, "cohesion": 0}).json()
    leaning = client.post("/api/write", json={"model": "single", "start": "山", "n": 4, "best_of": 1, "seed": 3,
                                              "repeat_penalty": 0, "discount": 1.5, "slor": 0, "cohesion": 0}).json()
    assert [p["poem"] for p in plain["poems"]] != [p["poem"] for p in leaning["poems"]]
    assert all(p["whole"]["specificity"] > 0 for p in leaning["poems"])
    assert client.post("/api/write", json={"model": "single", "discount": 3}).status_code == 422


def test_check_marks_variants_and_flags_on_their_lines(client):
    data = client.post("/api/check", json={"poem": PASSES["月夜"]}).json()
    assert data["meter_valid"] and data["lines"][2]["notes"] == ["拗 · accepted: 平平仄平仄"] and data["lines"][0]["notes"] == []
    data = client.post("/api/check", json={"poem": FLAGGED["过故人庄"][0]}).json()
    assert not data["meter_valid"] and [bool(line["notes"]) for line in data["lines"]] == [True] + [False] * 3 + [True] + [False] * 3
    assert data["lines"][0]["notes"] == ["✗ 拗 · fits no line type"] and data["rules"]["nian"] and data["rules"]["dui"]


def test_write_without_a_model_uses_the_default_one(client):
    data = client.post("/api/write", json={"form": "七绝", "n": 1}).json()  # only the poet writes 七绝
    assert data["poems"][0]["form"] == "七绝" and len(data["poems"][0]["lines"]) == 4


def test_poets_are_listed_for_the_picker(client, tiny_models):
    table = tiny_models["poets"]["poet"].conditions
    data = client.get("/api/poets").json()
    assert data["model"] == "poet" and [p["name"] for p in data["poets"]] == table.poets
    assert [p["poems"] for p in data["poets"]] == sorted(table.poems, reverse=True) and data["title_words"] == table.words
    assert client.get("/api/poets?model=single").json()["poets"] == []  # told nothing


def test_write_on_a_title_in_a_poets_voice(client, tiny_models):
    table = tiny_models["poets"]["poet"].conditions
    body = {"form": "五绝", "title": " ".join(table.words[:2]), "poet": table.poets[0], "n": 2, "best_of": 2}
    data = client.post("/api/write", json=body).json()  # the model defaults to the poet
    assert len(data["poems"]) == 2 and all(p["meter_valid"] and p["form"] == "五绝" for p in data["poems"])
    plain = client.post("/api/write", json={**body, "guidance": 0}).json()  # the default leans on title and poet
    assert [p["tokens"] for p in plain["poems"]] != [p["tokens"] for p in data["poems"]]
    unknown = client.post("/api/write", json={**body, "poet": table.poets[0] + "甲"})
    assert unknown.status_code == 400 and "closest known: " in unknown.json()["detail"]
    assert table.poets[0] in unknown.json()["detail"].split("closest known: ")[1]
    unreadable = client.post("/api/write", json={**body, "title": "♪♪"})
    assert unreadable.status_code == 400 and "no character of the title" in unreadable.json()["detail"]
    told_nothing = client.post("/api/write", json={"model": "single", "title": table.words[0]})
    assert told_nothing.status_code == 400 and "trained without titles and poets" in told_nothing.json()["detail"]


def test_write_to_keywords_the_rest_planned(client, tiny_models):
    words = tiny_models["keywords"].words
    body = {"form": "五绝", "keywords": [words[0], "-", words[1]], "n": 2, "best_of": 2, "seed": 3}
    data = client.post("/api/write", json=body).json()
    plans = [p["plan"] for p in data["poems"]]
    assert all(len(p) == 4 and p[0] == words[0] and p[2] == words[1] and None not in p for p in plans)
    assert all(p["meter_valid"] for p in data["poems"])
    assert client.post("/api/write", json=body).json() == data  # deterministic for a seed
    assert all(p["plan"] is None for p in client.post("/api/write", json={**body, "keywords": None, "plan": False}).json()["poems"])
    assert all(len(p["plan"]) == 4 for p in client.post("/api/write", json={"form": "五绝", "n": 1}).json()["poems"])
    unknown = next(c for c in tiny_models["poet_vocab"].tokens if len(c) == 1 and c not in tiny_models["keywords"]
                   and "\u4e00" <= c <= "\u9fff")
    refused = client.post("/api/write", json={**body, "keywords": [unknown]})
    assert refused.status_code == 400 and "not in the keyword dictionary: try " in refused.json()["detail"]
    too_many = client.post("/api/write", json={**body, "keywords": words[:5]})
    assert too_many.status_code == 400 and "at most 4 keywords" in too_many.json()["detail"]
    told_nothing = client.post("/api/write", json={"model": "single", "keywords": [words[0]]})
    assert told_nothing.status_code == 400 and "trained without titles and poets" in told_nothing.json()["detail"]
    assert client.get("/api/poets").json()["plans"] and not client.get("/api/poets?model=single").json()["plans"]


def test_best_of_is_bounded(client):
    assert len(client.post("/api/write", json={"model": "single", "n": 2, "best_of": 4}).json()["poems"]) == 2
    response = client.post("/api/write", json={"model": "single", "best_of": MAX_BEST_OF + 1})
    assert response.status_code == 422 and "best_of" in response.json()["detail"]


@pytest.mark.parametrize("body, status, message", [
    ({"model": "single", "start": "龘"}, 400, "character '龘' is not in the model's dictionary"),
    ({"model": "single", "acrostic": "春江花"}, 400, "an acrostic for 五律 has 8 characters"),
    ({"model": "single", "first_line": "国破山"}, 400, "a first line of 五律 has 5 characters"),
    ({"model": "poet", "form": "七绝", "acrostic": "春江花月夜思故乡"}, 400, "an acrostic for 七绝 has 4 characters"),
    ({"model": "single", "form": "七律"}, 400, "this model writes 五律 only: use the poet (models/poet) for 七律"),
    ({"model": "poet", "form": "六律"}, 422, "form:"),
    ({"model": "single", "n": MAX_POEMS + 1}, 422, "n: Input should be less than or equal to 16"),
    ({"model": "single", "constrain": "rhyme"}, 422, "constrain:"),
    ({"model": "single", "temperature": 0}, 422, "temperature:"),
    ({"model": "poet", "poet": "李白", "guidance": 11}, 422, "guidance: Input should be less than or equal to 10"),
    ({"model": "triple"}, 404, "model 'triple' is not trained here: run `dvc repro train@triple`"),
    ({"model": "x" * 41}, 422, "model:"),
])
def test_bad_write_requests(client, body, status, message):
    response = client.post("/api/write", json=body)
    assert response.status_code == status and message in response.json()["detail"]


def test_bad_check_requests_and_body_cap(client):
    assert client.post("/api/check", json={"poem": "   "}).json()["detail"].startswith("the box is empty")
    assert client.post("/api/check", json={"poem": ""}).status_code == 422
    huge = client.post("/api/check", content=b'{"poem": "' + b"a" * 5000 + b'"}', headers={"content-type": "application/json"})
    assert huge.status_code == 413


def test_sixteen_poems_at_most(client):
    assert len(client.post("/api/write", json={"model": "numpy", "n": MAX_POEMS, "constrain": "form"}).json()["poems"]) == 16


def test_no_models_gives_a_clear_hint(tiny_models, tmp_path):
    out = tiny_models["out"]
    app = create_app(tmp_path, out / "vocab.json", out / "tones.json", tmp_path, "cpu", tmp_path / "no-pairs.npz")
    assert "run `dvc repro train@poet`" in TestClient(app).get("/api/models").json()["hint"]
    checked = TestClient(app).post("/api/check", json={"poem": PASSES["春望"]}).json()  # no 对仗 model: no marks
    assert checked["meter_valid"] and checked["couplets"] == []


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (installed by .ci/run)")
def test_page_in_a_real_browser(tiny_models, word_stats, tmp_path):
    from playwright.sync_api import sync_playwright

    out = tiny_models["out"]
    args = ["--models", str(out / "models"), "--vocab", str(out / "vocab.json"), "--tones", str(out / "tones.json"),
            "--parallel", str(out / "pairs.npz"), "--device", "cpu", "--word-stats", str(word_stats[1]),
            "--references", str(word_stats[2]), "--keyword-dictionary", str(out / "keywords" / "keywords.json"),
            "--planner", str(out / "keywords" / "planner.npz")]
    with serving(args) as url:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            page.goto(url)
            page.wait_for_selector("#model option", state="attached")
            assert page.input_value("#model") == "poet" and page.input_value("#best-of") == str(BEST_OF)
            assert page.input_value("#form") == "五律"
            page.select_option("#form", "七绝")  # a 七绝 acrostic: 4 characters
            page.check("input[value=acrostic]")
            assert page.inner_text("#acrostic-size") == "4"
            page.fill("#given", "春江花月夜思故乡")
            page.click("#write")
            assert "an acrostic for 七绝 has 4 characters, one per line; you typed 8" in page.inner_text("#write-message")
            page.fill("#given", "春江花月")
            page.fill("#count", "2")
            page.click("#write")
            page.wait_for_selector("#poems .poem")
            first = page.locator("#poems .poem").first
            lines = first.locator(".line")
            assert lines.count() == 4
            heads = [lines.nth(i).locator(".char").first.inner_text().split("\n")[0] for i in range(4)]
            assert heads == list("春江花月")
            assert first.locator(".char small").count() == 28
            assert "keeps every rule of 七绝" in first.inner_text() and "七绝 · 4 lines of 7 characters" in first.inner_text()
            # a titled poem in a poet's voice: the picker offers the poet's poets, searchable as one types
            page.wait_for_selector("#poet-list option", state="attached")
            poets = page.eval_on_selector_all("#poet-list option", "options => options.map(o => o.value)")
            assert poets == tiny_models["poets"]["poet"].conditions.poets
            page.fill("#poet", "无名氏")
            page.click("#write")
            assert "does not know 无名氏: pick a name from the list" in page.inner_text("#write-message")
            page.fill("#poet", poets[0])
            page.fill("#title", " ".join(tiny_models["poets"]["poet"].conditions.words[:2]))
            assert page.input_value("#guidance") == str(GUIDANCE).removesuffix(".0")  # the lean on title and poet
            page.fill("#guidance", "11")  # out of range: the browser refuses the form and names the bound
            page.click("#write")
            assert page.eval_on_selector("#guidance", "e => e.validity.rangeOverflow && e.validationMessage.includes('10')")
            page.fill("#guidance", "2.5")
            with page.expect_request("**/api/write") as sent:
                page.click("#write")
            assert {k: sent.value.post_data_json[k] for k in ("poet", "guidance")} == {"poet": poets[0], "guidance": 2.5}
            page.wait_for_function("() => !document.querySelector('#write').disabled && "
                                   "document.querySelectorAll('#poems .poem').length === 2")
            assert page.inner_text("#write-message") == ""
            assert all("keeps every rule of 七绝" in t for t in page.locator("#poems .poem").all_inner_texts())
            # a plan: four keywords for a 五绝, one left to the planner; each poem shows its plan beside its lines
            words = tiny_models["keywords"].words
            page.fill("#title", "")
            page.fill("#poet", "")
            page.select_option("#form", "五绝")
            page.check("input[value=start]")
            page.fill("#given", "")
            page.fill("#keywords", " ".join(words[:5]))
            page.click("#write")
            assert "a plan for 五绝 has at most 4 keywords, one a line; you typed 5" in page.inner_text("#write-message")
            page.fill("#keywords", f"{words[0]} - {words[1]} {words[2]}")
            with page.expect_request("**/api/write") as sent:
                page.click("#write")
            assert sent.value.post_data_json["keywords"] == [words[0], "-", words[1], words[2]]
            page.wait_for_function("() => !document.querySelector('#write').disabled && "
                                   "document.querySelectorAll('#poems .poem .keyword').length === 8")
            for poem in page.locator("#poems .poem").all():
                shown = poem.locator(".keyword").all_inner_texts()
                assert len(shown) == 4 and shown[0] == words[0] and shown[2:] == [words[1], words[2]] and shown[1] in words
                assert f"plan: {' '.join(shown)}" in poem.locator(".form-name").inner_text()
                assert "keeps every rule of 五绝" in poem.inner_text()
            page.fill("#keywords", "")
            page.select_option("#model", "single")  # a 五律 model: the other forms are not offered
            assert page.input_value("#form") == "五律" and page.locator("#form option[value=七绝]").is_disabled()
            page.wait_for_function("() => document.querySelector('#poet').disabled")  # told no title or poet
            assert page.locator("#guidance").is_disabled() and page.locator("#keywords").is_disabled()
            assert "told no title or poet" in page.inner_text("#poet-count")
            page.select_option("#model", "poet")
            page.fill("#check-text", FORM_PASSES["登高"][0])  # a pasted 七律, recognised by its shape
            page.click("#check")
            page.wait_for_selector("#checked .verdict")
            assert "keeps every rule of 七律 (仄起入韵" in page.inner_text("#checked .verdict")
            assert page.locator("#checked .line").count() == 8 and page.locator("#checked .char small").count() == 56
            page.set_viewport_size({"width": 375, "height": 900})  # a phone: every 七言 line fits inside its card
            overflow = page.evaluate("""() => [...document.querySelectorAll('#checked .line')].some(
                line => line.getBoundingClientRect().right > line.closest('.poem').getBoundingClientRect().right + 1)""")
            assert not overflow
            page.set_viewport_size({"width": 1100, "height": 1400})
            page.fill("#check-text", PASSES["春望"])
            page.click("#check")
            page.wait_for_selector("#checked .verdict")
            assert "keeps every rule of 五律 (仄起不入韵" in page.inner_text("#checked .verdict")
            whole = page.inner_text("#checked .whole")  # the poem as a whole, beside real 五律
            assert whole.startswith("As a whole: specificity ") and "(real 五律 " in whole and "cohesion " in whole
            marks = page.locator("#checked .couplet").all_inner_texts()  # 对仗 after each couplet, its lines marked
            assert re.match("对仗: (工对|宽对) · lines 3–4", marks[1]) and re.match("对仗: (工对|宽对) · lines 5–6", marks[2])
            assert marks[3].startswith("对仗: not parallel · lines 7–8") and page.locator("#checked .line.parallel").count() >= 4
            page.fill("#check-text", OLD_STYLE["江雪"][0])  # 古体: what it is, its rhyme, no rules of 近体
            page.click("#check")
            page.wait_for_selector("#checked .verdict.old")
            assert page.inner_text("#checked .verdict").startswith("古体: its even lines rhyme on 仄, 仄韵 (入聲九屑)")
            assert page.locator("#checked .rules").count() == 0 and page.locator("#checked .note.bad").count() == 0
            page.fill("#check-text", FLAGGED["过故人庄"][0])
            page.click("#check")
            page.wait_for_selector("#checked .note.bad")
            assert page.locator("#checked .note.bad").all_inner_texts() == ["✗ 拗 · fits no line type"]
            assert page.locator("#checked .note.variant").all_inner_texts() == ["拗 · accepted: 平平仄平仄"]
            page.fill("#check-text", "")
            page.click("#check")
            assert "the box is empty" in page.inner_text("#check-message")
            page.fill("#check-text", PASSES["春望"])
            page.click("#check")
            page.wait_for_selector("#checked .verdict")
            page.screenshot(path=str(tmp_path / "serve.png"), full_page=True)
            assert (tmp_path / "serve.png").stat().st_size > 20_000
            if os.environ.get("TANGSHI_SCREENSHOT"):
                shutil.copy(tmp_path / "serve.png", os.environ["TANGSHI_SCREENSHOT"])
            browser.close()
