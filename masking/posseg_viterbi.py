"""jieba's part-of-speech Viterbi decoder with numpy doing the inner loop.

``jieba.posseg`` decodes each run of characters its dictionary does not know (most personal
names) with a hidden Markov model over 256 (position, tag) states, in pure Python. On hotline
tickets that decoding was four fifths of the part-of-speech tagging and a third of the whole
analysis of a Chinese ticket.

This is the same algorithm on jieba's own tables, with the same arithmetic in the same order, so
every score is the same float. Ties go to the highest state, as in jieba, where ``max`` compares
(score, state) tuples. The tags are therefore identical; a test compares the two decoders on
many strings. :func:`install` swaps it in for the decoder ``jieba.posseg`` calls.
"""

from __future__ import annotations

import threading

import numpy as np

MIN_FLOAT = -3.14e100  # jieba's score for a character a state never emits
MIN_INF = float("-inf")  # jieba's score for a transition that does not exist


class PossegViterbi:
    """A decoder for one set of jieba tables: the states each character can be in, and the start,
    transition and emission log-probabilities."""

    def __init__(self, char_states: dict, start_p: dict, trans_p: dict, emit_p: dict):
        # Highest state first, so that argmax, which returns the first of equal scores, picks
        # the highest state of a tie, as jieba does.
        self.states = sorted(trans_p, reverse=True)
        self.index = {s: i for i, s in enumerate(self.states)}
        n = len(self.states)
        self.trans = np.full((n, n), MIN_INF)
        for a, row in trans_p.items():
            for b, p in row.items():
                self.trans[self.index[a], self.index[b]] = p
        self.tables = (char_states, start_p, trans_p, emit_p)
        self.char_states, self.start_p, self.emit_p = char_states, start_p, emit_p
        self.successors = [frozenset(self.index[b] for b in trans_p[s]) for s in self.states]
        self.all_states = frozenset(range(n))
        self._per_char: dict[str, tuple[frozenset, np.ndarray]] = {}

    def _char(self, ch: str) -> tuple[frozenset, np.ndarray]:
        """The states that can emit ``ch`` and every state's emission score for it, built once per character."""
        known = self._per_char.get(ch)
        if known is None:
            states = self.char_states.get(ch)
            allowed = self.all_states if states is None else frozenset(self.index[s] for s in states)
            emit = np.array([self.emit_p[s].get(ch, MIN_FLOAT) for s in self.states])
            known = self._per_char[ch] = (allowed, emit)
        return known

    def decode(self, obs: str) -> tuple[float, list]:
        """What jieba's ``viterbi(obs, *tables)`` returns: the best path's score and its states."""
        states = self.states
        allowed, emit = self._char(obs[0])
        cur = sorted(allowed)
        v = np.array([self.start_p[states[i]] for i in cur]) + emit[cur]
        came_from: list[dict[int, int]] = []  # per character after the first: state -> best previous state
        for ch in obs[1:]:
            keep = [k for k, i in enumerate(cur) if self.successors[i]]
            prev = [cur[k] for k in keep]
            expected = frozenset().union(*(self.successors[i] for i in prev))
            allowed, emit = self._char(ch)
            allowed = allowed & expected or expected or self.all_states
            nxt = sorted(allowed)
            scores = (v[keep][:, None] + self.trans[prev][:, nxt]) + emit[nxt]
            best = scores.argmax(axis=0)
            v = scores[best, np.arange(len(nxt))]
            came_from.append(dict(zip(nxt, np.asarray(prev)[best].tolist())))
            cur = nxt
        j = int(v.argmax())
        prob, state = float(v[j]), cur[j]
        route = [state]
        for links in reversed(came_from):
            state = links[state]
            route.append(state)
        return prob, [states[i] for i in reversed(route)]


_lock = threading.Lock()


def install() -> None:
    """Make ``jieba.posseg`` decode with :class:`PossegViterbi` (once per process)."""
    import jieba.posseg as posseg

    with _lock:
        if getattr(posseg.viterbi, "govlake_decoder", None) is not None:
            return
        decoder = PossegViterbi(posseg.char_state_tab_P, posseg.start_P, posseg.trans_P, posseg.emit_P)
        jieba_viterbi = posseg.viterbi

        def viterbi(obs, *tables):
            if all(a is b for a, b in zip(tables, decoder.tables, strict=True)):
                return decoder.decode(obs)
            return jieba_viterbi(obs, *tables)

        viterbi.govlake_decoder = decoder
        posseg.viterbi = viterbi
