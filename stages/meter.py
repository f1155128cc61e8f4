"""meter: the tone lexicon from strains (dev poems left out), validated on real dev poems
-> data/meter/tones.json, metrics/meter.json."""

from tangshi.atomic import write_json
from tangshi.corpus import load_json_folder, read_poems
from tangshi.errors import run_main
from tangshi.meter import annotated_pairs, build_lexicon, judge, lexicon_agreement
from tangshi.params import load_params
from tangshi.quality import set_metrics


def main() -> None:
    params = load_params()
    train, dev = read_poems("data/corpus/train.txt"), read_poems("data/corpus/dev.txt")
    dev_set = set(dev)
    strains = {r.get("id"): r for r in load_json_folder("data/raw/strains")}
    pairs = list(annotated_pairs(load_json_folder("data/raw/tang"), strains))
    lexicon = build_lexicon((p for p in pairs if p[0] not in dev_set), params["meter"]["ambiguous_share"])
    judged = set_metrics([judge(p, lexicon) for p in dev], train)
    metrics = {
        "lexicon_characters": len(lexicon.counts),
        "lexicon_either": sum(lexicon.tone(c) == "*" for c in lexicon.counts),
        "agreement_on_dev": lexicon_agreement(lexicon, [p for p in pairs if p[0] in dev_set]),
        "real_dev_poems": judged,
    }
    write_json("data/meter/tones.json", lexicon.to_json())
    write_json("metrics/meter.json", metrics)
    print(f"meter: {metrics}")


if __name__ == "__main__":
    run_main(main)
