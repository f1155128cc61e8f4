"""A poem as people paste it, read into the judge's form: lines ended by ，and 。 alternately.

Poems are printed with ？ and ！ at line ends, lines separated by ； or 、 or by line breaks, a 《title》 above
them, notes in brackets, spaces, quotation marks, and often in traditional script. `read_pasted` keeps the
characters and the line breaks (and a space between two lines' worth of characters) and drops the rest: a
《title》 and any bracketed note, other spaces and quotes. A
text with no break at all is cut into lines when its length says how (20, 28, 40 or 56 characters); leading
lines of another length than the poem's (a title or a poet's name without brackets) are dropped while more
lines than a 律诗's remain, or than a 绝句's where the rest are four.
"""

import re

from .corpus import is_cjk, to_simplified

LINE_BREAKS = "，。？！；、,.?!;\n"
BRACKETED = re.compile(r"《[^》]*》|〈[^〉]*〉|（[^）]*）|\([^)]*\)|\[[^\]]*\]|【[^】]*】|〔[^〕]*〕")
DROPPED = "\r“”‘’「」『』\"'·…—:："
SPACES = re.compile(r"[ \t\u3000]+")
WHOLE = {20: 5, 28: 7, 40: 5, 56: 7}  # an unbroken poem's length -> its characters a line


def read_pasted(text: str) -> str:
    """`text` as the judge reads a poem: simplified, every line ended by ，or 。 in turn. What is not a line of
    characters (a title, a note, marks) is left out; a line with other characters in it is kept as it is, so
    that the judge names the problem."""
    text = BRACKETED.sub("", to_simplified(text))
    text = "".join(c for c in text if c not in DROPPED)
    lines = []
    for part in re.split(f"[{re.escape(LINE_BREAKS)}]", text):
        pieces = [p for p in SPACES.split(part) if p]
        # a space between two lines' worth of characters (白日依山尽 黄河入海流) ends a line; elsewhere it is dropped
        lines += pieces if len(pieces) > 1 and all(len(p) in (5, 7) for p in pieces) else ["".join(pieces)] if pieces else []
    if len(lines) == 1 and len(lines[0]) in WHOLE and all(is_cjk(c) for c in lines[0]):
        width = WHOLE[len(lines[0])]
        lines = [lines[0][i : i + width] for i in range(0, len(lines[0]), width)]
    while len(lines) > 4 and len(lines[0]) != len(lines[-1]):
        lines = lines[1:]  # a heading: the poem's lines are as long as its last
    return "".join(line + ("，" if i % 2 == 0 else "。") for i, line in enumerate(lines))
