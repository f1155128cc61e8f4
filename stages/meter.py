"""meter: the tone lexicon from strains (the large dev poems and their variant readings left out),
the judge validated on the real large dev poems under both verdicts, and on the Tang dev poems of 五绝, 七绝
and 七律 (and whether it names the line whose rhyme word was swapped), and the verdict of 古体 against 近体 on
唐诗三百首's sections -> data/meter/tones.json,
metrics/meter.json, metrics/meter_causes.md."""

from tangshi.atomic import write_json, write_text
from tangshi.data.corpus import form_folder, load_json_folder, read_dev_related, read_poems
from tangshi.errors import run_main
from tangshi.forms import FORMS, WULV
from tangshi.judge.meter import (
    VERDICTS, annotated_pairs, blame_trial, build_lexicon, commonest_causes, judge, lexicon_agreement, variant_rates,
)
from tangshi.judge.old_style import anthology_sections, confusion, kind_shares
from tangshi.judge.quality import set_metrics
from tangshi.params import load_params


def causes_markdown(causes: list[dict], poems: int) -> str:
    rows = [f"| {i} | {c['rule']} | {c['tones']} | {c['count']} | {c['example']} | {c['polyphones'] or '–'} |"
            for i, c in enumerate(causes, 1)]
    return "\n".join([
        "# Why real 五律 break the standard judge's rules", "",
        f"The twenty commonest causes among the {poems} real dev poems of the large set (`dvc repro meter`). "
        "A cause is a broken rule and the tones of the line (for 粘/对, the pair of lines) it breaks on; "
        "`多音字` lists characters at a deciding position that the 平水韵 table gives both tones, where the "
        "lexicon's one reading may be wrong. Poems that do not rhyme on 平 are 古体 and count once.", "",
        "| # | rule | tones | lines | example | 多音字 |", "|---|---|---|---|---|---|", *rows, "",
    ])


def main() -> None:
    params = load_params()
    train, dev = read_poems("data/corpus/large/train.txt"), read_poems("data/corpus/large/dev.txt")
    dev_set = set(read_dev_related())
    strains = {r.get("id"): r for r in load_json_folder("data/raw/strains")}
    pairs = list(annotated_pairs(load_json_folder("data/raw/tang"), strains))
    lexicon = build_lexicon((p for p in pairs if p[0] not in dev_set), params["meter"]["ambiguous_share"])
    judged = {verdict: [judge(p, lexicon, verdict=verdict) for p in dev] for verdict in VERDICTS}
    ping_rhymed = [j for j in judged["standard"] if j.passed["rhyme"] and j.passed["even_ping"]]
    forms = {}
    for form in FORMS:
        if form == WULV:
            continue
        form_dev = read_poems(form_folder(form) / "dev.txt")
        form_train = read_poems(form_folder(form) / "train.txt")
        standard = [judge(p, lexicon, form=form) for p in form_dev]
        forms[form.name] = {
            "real_dev_poems": set_metrics(standard, form_train),
            "real_dev_poems_strict": set_metrics([judge(p, lexicon, verdict="strict", form=form) for p in form_dev], form_train),
            "real_dev_poems_ping_rhymed": set_metrics([j for j in standard if j.passed["rhyme"] and j.passed["even_ping"]], form_train),
            "variants": variant_rates(form_dev, lexicon),
            "rhyme_blame": blame_trial(form_dev, lexicon, params["seed"]),
            "kinds": kind_shares(standard, lexicon),  # 近体 / 近体 with faults / 古体
        }
    metrics = {
        "lexicon_characters": len(lexicon.counts),
        "lexicon_either": sum(lexicon.tone(c) == "*" for c in lexicon.counts),
        "agreement_on_dev": lexicon_agreement(lexicon, [p for p in pairs if p[0] in dev_set]),
        "real_dev_poems": set_metrics(judged["standard"], train),
        "real_dev_poems_strict": set_metrics(judged["strict"], train),
        "real_dev_poems_ping_rhymed": set_metrics(ping_rhymed, train),
        "variants": variant_rates(dev, lexicon),
        "rhyme_blame": blame_trial(dev, lexicon, params["seed"]),  # one rhyme word swapped: is its line named?
        "forms": forms,  # the same measures on the Tang dev poems of each other form
        "kinds": kind_shares(judged["standard"], lexicon),
        # 古体 told from 近体 on 唐诗三百首: its 古诗/乐府 sections against its 律诗/绝句 sections
        "old_style": confusion(anthology_sections("data/raw/mengxue"), lexicon),
    }
    write_json("data/meter/tones.json", lexicon.to_json())
    write_json("metrics/meter.json", metrics)
    write_text("metrics/meter_causes.md", causes_markdown(commonest_causes(judged["standard"]), len(dev)))
    print(f"meter: {metrics}")


if __name__ == "__main__":
    run_main(main)
