"""Best-of-N writing: N candidates per requested poem, written in one batch; the most natural one is kept.

A candidate's score is the mean negative log-likelihood per character it chose,
under the unconstrained model (forced characters left out), plus a penalty for
each character that repeats an earlier one of the poem and for each line that
repeats an earlier line: sampling at temperature 0.8 makes word salad on some
draws, and a language model's own likelihood sorts it out; repetition is the
one thing that likelihood rewards and readers do not. Given the 对仗 measure, a
律诗 also pays for each middle couplet that is not parallel: the likelihood
does not see that a 律诗's middle couplets should answer each other.

Likelihood alone keeps the blandest draft: the commonest characters are the
likeliest anywhere (Holtzman et al. 2019). Given the text's word statistics
(judge/cohesion.py), the score can discount what any poem would say — `slor`
times the mean unigram NLL per character is taken off (1: SLOR, Lau et al.
2017: the model's log-likelihood less a unigram model's) — and reward a draft
whose lines' images belong together: `cohesion` nats per unit of its
cross-line PMI. docs/decoding.md ("Decoding against blandness") chose both.
"""

from typing import Iterator

from ..errors import TangshiError
from ..judge.cohesion import WordStats
from ..judge.parallel import ParallelModel, plain_middle_couplets
from ..judge.quality import lines_of
from .decode import Request, Written, write_poems

REPEATED_CHAR = 0.1  # nats per character that repeats an earlier character of the poem
REPEATED_LINE = 1.0  # nats per line that repeats an earlier line
# nats per middle couplet of a 律诗 below 宽对 (judge/parallel.py's grade): the least weight that brings both middle
# couplets at least 宽对 as often as in real poems, beside the SLOR and cohesion terms, without costing cohesion
# (docs/decoding.md, "对仗 graded position by position"; 2.0 under the lenient mean score of before)
PLAIN_MIDDLE = 0.5
MAX_CANDIDATES = 1024  # poems × best_of written at once: memory stays flat however many are asked for


def score(written: Written, parallel: ParallelModel | None = None, plain_middle: float = PLAIN_MIDDLE,
          stats: WordStats | None = None, slor: float = 0.0, cohesion: float = 0.0) -> float:
    """Lower is better: mean NLL per chosen character plus the repetition penalties; with a 对仗 model the
    penalty for each middle couplet of a 律诗 that is not parallel; with word statistics, less `slor` times the
    mean unigram NLL per character and `cohesion` times the draft's cross-line PMI."""
    lines = lines_of(written.poem)
    chars = [c for line in lines for c in line]
    repeats = (len(chars) - len(set(chars))) * REPEATED_CHAR + (len(lines) - len(set(lines))) * REPEATED_LINE
    plain = plain_middle * plain_middle_couplets(parallel, written.poem) if parallel is not None else 0.0
    total = written.chosen_nll / max(written.chosen, 1) + repeats + plain
    if stats is not None and slor:
        total -= slor * stats.unigram_nll(chars)
    if stats is not None and cohesion:
        total -= cohesion * (stats.cohesion(written.poem) or 0.0)
    return total


def write_best(poet, vocab, requests: list[Request], best_of: int = 1, parallel: ParallelModel | None = None,
               plain_middle: float = PLAIN_MIDDLE, stats: WordStats | None = None, slor: float = 0.0,
               cohesion: float = 0.0, **write_kw) -> list[Written]:
    """One poem per request: the best of `best_of` candidates written together (best_of 1: plain sampling);
    `parallel`, the 对仗 model that best-of-N for 律诗 ranks by too (with `plain_middle` nats a plain couplet);
    `stats`, the word statistics that `slor` and `cohesion` rank by, and whose unigram model a sampling
    `discount` (write_kw, decode.write_poems) takes off."""
    if best_of < 1:
        raise TangshiError(f"best_of must be at least 1, not {best_of}")
    if (slor or cohesion or write_kw.get("discount")) and stats is None:
        raise TangshiError("ranking by SLOR or cohesion, or a unigram discount, needs the word statistics: run `dvc repro cohesion`")
    if write_kw.get("discount"):
        write_kw["unigram"] = stats.unigram_log_probs(vocab.tokens)
    candidates = write_poems(poet, vocab, [r for r in requests for _ in range(best_of)], **write_kw)
    rank = lambda w: score(w, parallel, plain_middle, stats, slor, cohesion)  # noqa: E731
    return [min(candidates[i * best_of : (i + 1) * best_of], key=rank) for i in range(len(requests))]


def batch_sizes(n: int, best_of: int) -> Iterator[int]:
    """How many poems each batch writes, so that no batch writes more than MAX_CANDIDATES candidates."""
    if n < 1:
        raise TangshiError(f"ask for at least one poem, not {n}")
    size = max(1, MAX_CANDIDATES // best_of)
    for start in range(0, n, size):
        yield min(size, n - start)
