"""told: the voice and subject study of the poet told titles and poets -> metrics/told.json
(src/tangshi/reports/told.py)."""

from tangshi.atomic import write_json
from tangshi.data.titles import read_metas, read_titled, titles_path
from tangshi.data.corpus import read_poems
from tangshi.errors import TangshiError, run_main
from tangshi.forms import FORMS
from tangshi.judge.cohesion import WordStats, real_medians
from tangshi.judge.meter import ToneLexicon
from tangshi.models.checkpoint import load_poet
from tangshi.params import load_params
from tangshi.reports.told import study, summary
from tangshi.writing.decode import Constraints
from tangshi.writing.plan import load_planner


def main() -> None:
    params = load_params()
    poet, _ = load_poet("models/poet", "data/vocab.json", params["train"]["device"])
    if poet.conditions is None:
        raise TangshiError("the poet is told no titles or poets (models.poet.condition is null): the told study needs them")
    train = {f.name: read_titled(f.folder, "train") for f in FORMS}
    dev = {f.name: read_titled(f.folder, "dev") for f in FORMS}
    verse = list(zip(read_metas(titles_path()), read_poems("data/verse/poems.txt")))
    constraints = Constraints(poet.vocab, ToneLexicon.load("data/meter/tones.json"))
    stats = WordStats.load("data/cohesion/stats.npz")
    planner = load_planner() if poet.conditions.keyword_slots else None
    result = study(poet, constraints, train, dev, verse, params["told"], params["sample"], params["seed"],
                   stats.unigram_log_probs(poet.vocab.tokens), planner, stats, real_medians("metrics/cohesion.json"))
    write_json("metrics/told.json", result)
    print(f"told: {summary(result)}")


if __name__ == "__main__":
    run_main(main)
