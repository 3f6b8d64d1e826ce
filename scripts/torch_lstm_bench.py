"""PyTorch CPU reference for scripts/bench/training.ts: the same 2x64 BiLSTM classifier
(49x40 input, mean pooling, 64 ReLU hidden, 12 classes, dropout 0.1), batch 64, Adam.
Prints one JSON line: {"msPerStep": median ms, "steps": n, "threads": torch threads}."""
import argparse
import json
import statistics
import time

import torch
from torch import nn


class BiLstmClassifier(nn.Module):
    def __init__(self, frames, dim, units, layers, hidden, classes, dropout):
        super().__init__()
        self.lstm = nn.LSTM(dim, units, num_layers=layers, bidirectional=True, batch_first=True, dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.hidden = nn.Linear(2 * units, hidden)
        self.out = nn.Linear(hidden, classes)

    def forward(self, x):
        h, _ = self.lstm(x)
        pooled = self.drop(h.mean(dim=1))
        return self.out(torch.relu(self.hidden(pooled)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    a = p.parse_args()
    torch.manual_seed(0)
    model = BiLstmClassifier(49, 40, 64, 2, 64, 12, 0.1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(a.batch, 49, 40)
    y = torch.randint(0, 12, (a.batch,))
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for step in range(a.warmup + a.steps):
        start = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        if step >= a.warmup:
            times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"msPerStep": statistics.median(times), "steps": a.steps, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
