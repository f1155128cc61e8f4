"""The checker reads poems as people print them (issue 30, step 1): ？ ！ ； 、 and line breaks end lines, a
《title》 and bracketed notes are dropped, traditional script is converted; famous poems so printed are read."""

import pytest

from tangshi.app.cli import main as cli_main
from tangshi.data.pasted import read_pasted

WENLIU = "绿蚁新醅酒，红泥小火炉。晚来天欲雪，能饮一杯无。"  # 白居易《问刘十九》
LIANGZHOU = "葡萄美酒夜光杯，欲饮琵琶马上催。醉卧沙场君莫笑，古来征战几人回。"  # 王翰《凉州词》
DENGGUANQUE = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"  # 王之涣《登鹳雀楼》


@pytest.mark.parametrize("printed, read", [
    ("绿蚁新醅酒，红泥小火炉。晚来天欲雪，能饮一杯无？", WENLIU),  # as 唐诗三百首 prints it
    ("葡萄美酒夜光杯，欲饮琵琶马上催。醉卧沙场君莫笑，古来征战几人回？", LIANGZHOU),
    ("《凉州词》\n葡萄美酒夜光杯，欲饮琵琶马上催。\n醉卧沙场君莫笑，古来征战几人回！", LIANGZHOU),
    ("凉州词　王翰\n葡萄美酒夜光杯\n欲饮琵琶马上催\n醉卧沙场君莫笑\n古来征战几人回\n", LIANGZHOU),  # four lines, no marks
    ("白日依山尽；黄河入海流；欲穷千里目；更上一层楼。", DENGGUANQUE),
    ("白日依山尽 黄河入海流\n欲穷千里目 更上一层楼", DENGGUANQUE),  # a space between two lines ends one
    ("白 日 依 山 尽，黄河入海流。欲穷千里目，更上一层楼。", DENGGUANQUE),  # elsewhere a space is dropped
    ("白日依山盡，黃河入海流。欲窮千里目，更上一層樓。（王之涣）", DENGGUANQUE),  # traditional, with a note
    ("白日依山尽黄河入海流欲穷千里目更上一层楼", DENGGUANQUE),  # no break at all: its length says 4 × 5
    ("“白日依山尽，黄河入海流。”欲穷千里目，更上一层楼。", DENGGUANQUE),
])
def test_read_pasted(printed, read):
    assert read_pasted(printed) == read


@pytest.mark.parametrize("printed, form", [
    ("绿蚁新醅酒，红泥小火炉。晚来天欲雪，能饮一杯无？", "五绝"),
    ("《凉州词》 王翰\n葡萄美酒夜光杯，欲饮琵琶马上催。\n醉卧沙场君莫笑，古来征战几人回？", "七绝"),
    ("国破山河在\n城春草木深\n感时花溅泪\n恨别鸟惊心\n烽火连三月\n家书抵万金\n白头搔更短\n浑欲不胜簪", "五律"),
])
def test_check_reads_famous_poems_as_printed(tiny_models, capsys, printed, form):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["check", printed, "--tones", str(tiny_models["out"] / "tones.json")])
    captured = capsys.readouterr()
    assert exit_info.value.code in (0, 1) and f"read as {form}" in captured.out, captured.err


def test_the_page_api_reads_them_too(tiny_models):
    from fastapi.testclient import TestClient

    from tangshi.app.serve import create_app

    out = tiny_models["out"]
    client = TestClient(create_app(out / "models", out / "vocab.json", out / "tones.json", out / "none", "cpu"))
    data = client.post("/api/check", json={"poem": "《问刘十九》\n绿蚁新醅酒，红泥小火炉。\n晚来天欲雪，能饮一杯无？"}).json()
    assert data["well_formed"] and data["form"] == "五绝" and data["poem"] == WENLIU
