"""古体 or 近体: the kind of verse a poem of a regulated shape is, for the checker's three-way verdict.

A poem of 4 or 8 lines of 5 or 7 characters is not always a 绝句 or 律诗 that failed: 江雪 (绝/灭/雪) and
静夜思 are 古体 (古绝), written before or outside the rules of 近体, and a reader would say so instead of
listing every rule they "break". The verdict has three kinds:

- 近体: keeps every rule of its form (the meter judge's standard or strict verdict);
- 近体 with faults: a 绝句 or 律诗 that breaks rules the judge names, line by line;
- 古体: its even lines rhyme on 仄 (with the 仄 group named, from the 平水韵 上/去/入 tables), or it changes
  rhyme between its halves (换韵, 平 then 仄 or the reverse), or at most half its lines are 律句 (lines
  that fit one of the four line types, accepted 拗 variants included).

Why half: in 唐诗三百首 the 律诗 and 绝句 sections' 平-rhymed poems have at least five 律句 in eight lines
(three in four) but for 静夜思 (two of four, a 古绝 that other editions print among the 乐府), while the
古诗 that rhyme on 平 and keep more 律句 break only what a 近体 poem breaks too (失粘, one 拗 line): no rule
of tone counts tells them from 近体 with a fault. The meter stage reports the confusion table.
"""

from collections import Counter
from dataclasses import dataclass, field

from ..data.corpus import detect_form, poem_lines
from ..data.mengxue import tangshi_300
from ..data.pasted import read_pasted
from .meter import (
    EITHER, ZE, Judgement, ToneLexicon, judge, line_notes, rhyme_groups, rhyme_table_chars, shared_rhyme_groups,
)

KINDS = ("近体", "近体 with faults", "古体")
LU_SHARE = 0.5  # 古体 when at most this share of lines are 律句 (see the module's doc)
OLD_SECTIONS = ("五言古詩", "七言古詩", "樂府")  # 唐诗三百首's sections of 古体 …
NEW_SECTIONS = ("五言絕句", "七言絕句", "五言律詩", "七言律詩")  # … and of 近体


def ze_rhyme_groups() -> dict[str, frozenset[str]]:
    """Simplified (and traditional) character -> the 仄 rhyme groups (上聲/去聲/入聲) of the 平水韵 it belongs to."""
    return rhyme_groups("ze")


@dataclass
class Style:
    kind: str  # one of KINDS
    reason: str  # why, in a line
    rhyme: str | None = None  # the group the even lines rhyme on, where one holds most of them
    off: list[int] = field(default_factory=list)  # even lines (0-based) out of that group
    ze: bool = False  # whether it rhymes on 仄 (`rhyme` is then a 上/去/入 group)

    @property
    def old(self) -> bool:
        return self.kind == "古体"

    def rhyme_groups(self) -> dict[str, frozenset[str]]:
        """The groups its rhyme positions are shown with: the 仄 tables for a 仄 rhyme, else the 平."""
        return rhyme_groups("ze" if self.ze else "ping")


def may_end_ze(char: str, lexicon: ToneLexicon) -> bool:
    """Whether a line end can be read 仄: 仄 in the lexicon, or either tone there and listed in a 仄 group
    (or unknown to the table)."""
    tone = lexicon.tone(char)
    return tone == ZE or (tone == EITHER and (char in ze_rhyme_groups() or char not in rhyme_table_chars()))


def ze_rhyme(ends: list[str], lexicon: ToneLexicon) -> tuple[str, list[int]] | None:
    """(the 仄 group most of `ends` share, the indices of those out of it) when every end can be read 仄 and
    at least one is 仄 for certain; None otherwise. Neighbouring groups rhyme together in 古体 (通押), so an
    end out of the group is named, not refused."""
    if not ends or not all(may_end_ze(c, lexicon) for c in ends) or not any(lexicon.tone(c) == ZE for c in ends):
        return None
    groups = ze_rhyme_groups()
    counts = Counter(g for c in ends for g in groups.get(c, ()))
    if not counts:
        return "?", []
    best = min(counts, key=lambda g: (-counts[g], g))
    return best, [i for i, c in enumerate(ends) if c in groups and best not in groups[c]]


def ping_rhymes(ends: list[str]) -> bool:
    return bool(shared_rhyme_groups(ends))


def style_of(j: Judgement, lexicon: ToneLexicon) -> Style:
    """The kind of verse of a judged poem (see the module's doc)."""
    if j.form is None:
        raise ValueError("style_of needs a poem of one of the four shapes")
    if j.meter_valid:
        return Style("近体", f"keeps every rule of {j.form.name}", j.rhyme_group)
    lines = poem_lines(j.poem)
    even = list(range(1, len(lines), 2))
    ends = [lines[i][-1] for i in even]
    if "rhyme" in j.broken or "even_ping" in j.broken:
        ze = ze_rhyme(ends, lexicon)
        if ze:
            group, off = ze
            said = f"仄韵 ({group})" if group != "?" else "仄韵 (its rhymes are not in the 平水韵 table)"
            if off and 2 * len(off) >= len(ends):  # one against one: no group is the poem's, its rhymes mix groups
                groups = ze_rhyme_groups()
                said = "仄韵, 通押 of " + "、".join(f"{c} ({'/'.join(sorted(groups.get(c, ())))})" for c in ends)
                return Style("古体", f"古体: its even lines rhyme on 仄, {said}", None, [], ze=True)
            if off:
                said += "; " + "、".join(f"{ends[k]} (line {even[k] + 1})" for k in off) + " out of it (通押 or 出韵)"
            return Style("古体", f"古体: its even lines rhyme on 仄, {said}", group, [even[k] for k in off], ze=True)
        half = len(ends) // 2
        if half >= 2:
            first, second = ends[:half], ends[half:]
            for a, b, order in ((first, second, "平 then 仄"), (second, first, "仄 then 平")):
                ze = ze_rhyme(b, lexicon)
                if ping_rhymes(a) and ze:
                    return Style("古体", f"古体: 换韵, {order} (the rhyme changes at line {even[half] + 1})", None)
    lu = sum(line.kind is not None for line in j.lines)
    if lu <= LU_SHARE * len(lines):
        return Style("古体", f"古体: only {lu} of its {len(lines)} lines are 律句", j.rhyme_group)
    return Style("近体 with faults", f"{j.form.name} with faults: breaks {', '.join(j.failed())}", j.rhyme_group)


def style_notes(j: Judgement, style: Style) -> list[list[str]]:
    """What to say beside each line: the meter judge's notes for 近体; for 古体 not the rules of 近体, only its
    rhyme — a 仄-rhymed line end out of the group the others share, or the 出韵 named on a 平 rhyme."""
    if not style.old:
        return line_notes(j)
    notes: list[list[str]] = [[] for _ in j.tones]
    groups = ze_rhyme_groups()
    lines = poem_lines(j.poem)
    for i in style.off:
        end = lines[i][-1]
        notes[i].append(f"通押 or 出韵: {end} is {'、'.join(sorted(groups.get(end, ()))) or 'not in the table'}; "
                        f"the other rhymes are {style.rhyme}")
    if not style.ze:
        for i, extra in j.notes.items():
            notes[i].extend(extra)
    return notes


def confusion(sections: dict[str, list[str]], lexicon: ToneLexicon) -> dict:
    """Per section of an anthology (name -> poems of the four shapes): how many the verdict calls each kind; and
    the two shares the checker is held to — of the 古体 sections, called 古体 or keeping every rule; of the
    近体 sections, not called 古体 — with the poems that miss."""
    table, missed = {}, {"old_called_new_with_faults": [], "new_called_old": []}
    for section, poems in sections.items():
        counts = Counter()
        for poem in poems:
            style = style_of(judge(poem, lexicon), lexicon)
            counts[style.kind] += 1
            if section in OLD_SECTIONS and style.kind == "近体 with faults":
                missed["old_called_new_with_faults"].append(f"{poem[:16]}… ({style.reason})")
            if section in NEW_SECTIONS and style.kind == "古体":
                missed["new_called_old"].append(f"{poem[:16]}… ({style.reason})")
        table[section] = {kind: counts[kind] for kind in KINDS}
    old = [table[s] for s in OLD_SECTIONS if s in table]
    new = [table[s] for s in NEW_SECTIONS if s in table]
    old_n, new_n = sum(sum(t.values()) for t in old), sum(sum(t.values()) for t in new)
    return {
        "sections": table,
        "old_called_old_or_keeping_rules": round(sum(t["古体"] + t["近体"] for t in old) / max(old_n, 1), 4),
        "new_not_called_old": round(sum(t["近体"] + t["近体 with faults"] for t in new) / max(new_n, 1), 4),
        "poems": {"old": old_n, "new": new_n},
        "missed": missed,
    }


def anthology_sections(folder) -> dict[str, list[str]]:
    """唐诗三百首's poems of the four shapes (4 or 8 lines of 5 or 7 characters), read as printed, by section."""
    sections: dict[str, list[str]] = {}
    for section, _, text in tangshi_300(folder):
        poem = read_pasted(text)
        if detect_form(poem) is not None:
            sections.setdefault(section, []).append(poem)
    return sections


def kind_shares(judgements: list[Judgement], lexicon: ToneLexicon) -> dict[str, float]:
    """The share of each kind of verse among judged poems (of one form)."""
    counts = Counter(style_of(j, lexicon).kind for j in judgements)
    return {kind: round(counts[kind] / max(len(judgements), 1), 4) for kind in KINDS}
