"""parallel: the 对仗 measure learned from the middle couplets of the train 五律 (large) and 七律, validated on
their dev poems, on famous couplets and 流水对, and on 声律启蒙 -> data/parallel/pairs.npz, metrics/parallel.json."""

from tangshi.atomic import write_json
from tangshi.data.corpus import form_folder, read_poems
from tangshi.errors import run_main
from tangshi.forms import BY_NAME
from tangshi.data.mengxue import shenglv_pairs
from tangshi.judge.parallel import FAMOUS, UNPAIRED, learn, parallel_shares, primer_shares
from tangshi.params import load_params

LVSHI = (BY_NAME["五律"], BY_NAME["七律"])


def main() -> None:
    params = load_params()
    p = params["parallel"]
    train = {f.name: read_poems(form_folder(f) / "train.txt") for f in LVSHI}
    dev = {f.name: read_poems(form_folder(f) / "dev.txt") for f in LVSHI}
    model = learn([poem for poems in train.values() for poem in poems], p["min_count"], p["rank"], p["fit_share"], params["seed"])
    metrics = {
        "characters": len(model.chars), "rank": len(model.signs), "threshold": round(model.threshold, 4),
        "unit_threshold": model.unit_threshold, "word_factor": model.word_factor,
        "dev": {name: parallel_shares(model, poems, params["seed"]) for name, poems in dev.items()},
        "dev_pooled": parallel_shares(model, [poem for poems in dev.values() for poem in poems], params["seed"]),
        "famous": {title: model.couplets(poem) for title, poem in FAMOUS.items()},
        "unpaired": {title: model.grade(*couplet) for title, couplet in UNPAIRED.items()},  # 散行 and couplets that do not pair
        "shenglv_qimeng": primer_shares(model, shenglv_pairs("data/raw/mengxue"), params["seed"]),
    }
    model.save("data/parallel/pairs.npz")
    write_json("metrics/parallel.json", metrics)
    print(f"parallel: {metrics}")


if __name__ == "__main__":
    run_main(main)
