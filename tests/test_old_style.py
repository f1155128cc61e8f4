import pytest

from tangshi.judge.meter import ToneLexicon, judge
from tangshi.judge.old_style import KINDS, anthology_sections, confusion, style_of, ze_rhyme

from .conftest import FIXTURE, ROOT
from .judge_poems import OLD_STYLE


@pytest.fixture(scope="module")
def lexicon() -> ToneLexicon:
    return ToneLexicon.load(ROOT / "tests" / "fixtures" / "tones.json")


@pytest.mark.parametrize("title", OLD_STYLE)
def test_famous_poems_get_their_kind_of_verse(lexicon, title):
    poem, kind, reason = OLD_STYLE[title]
    style = style_of(judge(poem, lexicon), lexicon)
    assert style.kind == kind and reason in style.reason, (title, style)


def test_a_ze_rhyme_names_its_group_and_the_line_out_of_it(lexicon):
    assert ze_rhyme(list("灭雪"), lexicon) == ("入聲九屑", [])
    group, off = ze_rhyme(list("了晓鸟月"), lexicon)  # 月 is 入聲六月, the others 上聲十七篠
    assert group == "上聲十七篠" and off == [3]
    assert ze_rhyme(list("红宗"), lexicon) is None  # 平 rhymes
    assert ze_rhyme(list("雪红"), lexicon) is None  # one 平 end: not a 仄 rhyme


def test_confusion_on_the_fixture_anthology(lexicon):
    sections = anthology_sections(FIXTURE / "dist" / "mengxue")
    assert "五言古詩" in sections and all(len(p) in (24, 32, 48, 64) for ps in sections.values() for p in ps)
    assert len(sections["五言古詩"]) == 3  # 贼退示官吏 has 12 lines: not one of the four shapes, left out
    table = confusion(sections, lexicon)
    # 问刘十九 keeps every rule; 行宫 rhymes 红/宗 across 一东 and 二冬; 静夜思, 春晓, 江雪 are 古绝
    assert table["sections"]["五言絕句"] == {"近体": 1, "近体 with faults": 1, "古体": 3}
    assert set(table["sections"]["樂府"]) == set(KINDS)
    old = sum(table["sections"][s]["古体"] + table["sections"][s]["近体"] for s in ("五言古詩", "七言古詩", "樂府"))
    assert table["old_called_old_or_keeping_rules"] == round(old / table["poems"]["old"], 4)
    assert any("渭城朝雨" in m for m in table["missed"]["old_called_new_with_faults"])
    assert len(table["missed"]["new_called_old"]) == 3  # 静夜思, 春晓, 江雪: 古绝 in the 绝句 section
