"""Character corpus from Debian's `fortunes` package (fortunes-min + fortunes).

Every text file of /usr/share/games/fortunes except ascii-art (drawings, not
English) and the .dat/.u8 indexes (the .u8 names are links to the same text),
in sorted name order, concatenated; the '%' separator lines are removed (the
fortunes stay separated by their newline); characters outside printable ASCII,
newline and tab (a few dozen mojibake bytes in 2.5 MB) are dropped. The last
10 % of the concatenation is the validation split.
"""
import os

import torch

# $CEAS_FORTUNES_DIR: a copy of that directory (the GPU machine has no fortunes
# package; carry one under the ignored experiments/out/).
FORTUNE_DIR = os.environ.get('CEAS_FORTUNES_DIR', '/usr/share/games/fortunes')
EXCLUDE = {'ascii-art'}
VAL_SHARE = 0.10


def corpus_files(root=FORTUNE_DIR):
    names = sorted(f for f in os.listdir(root)
                   if not f.endswith(('.dat', '.u8')) and f not in EXCLUDE
                   and os.path.isfile(os.path.join(root, f)))
    if not names:
        raise RuntimeError('no fortune text files in %s (install the fortunes package)' % root)
    return names


def load_text(root=FORTUNE_DIR):
    parts = []
    for name in corpus_files(root):
        with open(os.path.join(root, name), encoding='utf-8', errors='replace') as fh:
            lines = [ln for ln in fh.read().split('\n') if ln != '%']
        parts.append('\n'.join(lines))
    text = '\n'.join(parts)
    return ''.join(ch for ch in text if ch in '\n\t' or ' ' <= ch <= '~')


class Corpus:
    def __init__(self, root=FORTUNE_DIR):
        text = load_text(root)
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        data = torch.tensor([self.stoi[c] for c in text], dtype=torch.long)
        cut = int(len(data) * (1.0 - VAL_SHARE))
        self.train, self.val = data[:cut], data[cut:]
        self.files = corpus_files(root)

    @property
    def vocab_size(self):
        return len(self.chars)

    def batch(self, split, B, T, gen):
        """B random windows of length T + 1 drawn with the torch.Generator gen."""
        d = self.train if split == 'train' else self.val
        ix = torch.randint(0, len(d) - T - 1, (B,), generator=gen)
        w = torch.stack([d[i:i + T + 1] for i in ix.tolist()])
        return w[:, :-1], w[:, 1:]

    def val_batches(self, n, B, T, seed=1234):
        """The fixed validation batches, the same for every run."""
        g = torch.Generator().manual_seed(seed)
        return [self.batch('val', B, T, g) for _ in range(n)]
