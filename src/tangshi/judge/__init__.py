"""The judge: 格律 of one poem (tones, rhyme, patterns, accepted variants) and set-level measures of
many (rule rates, distinct-n, repeats, copied lines).

Imports data (the corpus's text helpers) and the ground floor.
"""
