"""Small character-level language models for the ptq_predictability experiment: the corpus
(Debian's license texts), two model families, seeded training on the CPU, and weight files.

The corpus is every regular file under /usr/share/common-licenses (symlinks skipped), in name
order, mapped onto 96 symbols (newline and printable ASCII; anything else becomes a space). It
is cut into chunks of 1,000 characters; every tenth chunk is validation text, the rest train.

Both families predict the next character and are scored on the same validation targets:
  mlp          the previous 16 characters, embedded (16 each), two ReLU layers of width h, logits
  transformer  2 pre-LayerNorm blocks of width d (heads of 16 to 24 dimensions, ReLU MLP of 4d), causal, 32
               positions; validation windows of 32 characters, every position scored
Every nn.Linear weight is a quantized layer; embeddings, biases and LayerNorms stay in float.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

CORPUS_DIR = Path("/usr/share/common-licenses")
VOCAB = ["\n"] + [chr(c) for c in range(32, 127)]
CONTEXT = 32       # the transformer's window; validation windows have this length
MLP_CONTEXT = 16
CHUNK = 1000


def corpus_text(directory: Path = CORPUS_DIR) -> str:
    files = sorted(p for p in directory.iterdir() if p.is_file() and not p.is_symlink())
    if not files:
        raise FileNotFoundError(f"no license texts under {directory} (Debian's base-files)")
    text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
    return "".join(ch if ch in INDEX else " " for ch in text.replace("\t", " "))


INDEX = {ch: i for i, ch in enumerate(VOCAB)}


def corpus_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def splits(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) as int64 symbol arrays."""
    codes = np.array([INDEX[ch] for ch in text], dtype=np.int64)
    chunks = [codes[i:i + CHUNK] for i in range(0, len(codes), CHUNK)]
    train = np.concatenate([c for k, c in enumerate(chunks) if k % 10 != 9])
    val = np.concatenate([c for k, c in enumerate(chunks) if k % 10 == 9])
    return train, val


def windows(codes: np.ndarray, count: int | None = None, rng: np.random.Generator | None = None):
    """Windows of CONTEXT inputs with their CONTEXT next-symbol targets. Without rng: every
    non-overlapping window from position MLP_CONTEXT on (so the MLP sees a full context for every
    target); with rng: `count` windows at random starts."""
    if rng is None:
        starts = np.arange(MLP_CONTEXT, len(codes) - CONTEXT - 1, CONTEXT)
    else:
        starts = rng.integers(MLP_CONTEXT, len(codes) - CONTEXT - 1, size=count)
    index = starts[:, None] + np.arange(CONTEXT)[None, :]
    # columns: the MLP_CONTEXT symbols before the window, then the window
    history = starts[:, None] + np.arange(-MLP_CONTEXT, CONTEXT)[None, :]
    return torch.from_numpy(codes[history]), torch.from_numpy(codes[index + 1])


@dataclass(frozen=True)
class ModelConfig:
    family: str     # "mlp" or "transformer"
    width: int      # h for mlp, d for transformer
    seed: int = 1
    steps: int = 1500
    batch: int = 32
    learning_rate: float = 3e-3

    @property
    def architecture(self) -> str:
        return f"{self.family}_{self.width}"

    @property
    def name(self) -> str:
        return f"{self.architecture}_seed{self.seed}"


class CharMLP(nn.Module):
    def __init__(self, width: int, embed: int = 16):
        super().__init__()
        self.embed = nn.Embedding(len(VOCAB), embed)
        self.fc1 = nn.Linear(MLP_CONTEXT * embed, width)
        self.fc2 = nn.Linear(width, width)
        self.head = nn.Linear(width, len(VOCAB))

    def forward(self, history: torch.Tensor) -> torch.Tensor:
        """history: (batch, MLP_CONTEXT + CONTEXT) symbols -> logits (batch, CONTEXT, V), one
        per window position, each from the MLP_CONTEXT symbols up to and including it."""
        ctx = history.unfold(1, MLP_CONTEXT, 1)[:, 1:CONTEXT + 1]  # (batch, CONTEXT, MLP_CONTEXT)
        x = self.embed(ctx).flatten(2)
        return self.head(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class Block(nn.Module):
    def __init__(self, d: int):
        super().__init__()
        self.heads = max(1, d // 16)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        shape = (b, t, self.heads, d // self.heads)
        q, k, v = (z.view(shape).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / (d // self.heads) ** 0.5
        attended = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1) @ v
        x = x + self.proj(attended.transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(torch.relu(self.fc1(self.ln2(x))))


class CharTransformer(nn.Module):
    def __init__(self, d: int, layers: int = 2):
        super().__init__()
        self.embed = nn.Embedding(len(VOCAB), d)
        self.position = nn.Parameter(torch.zeros(CONTEXT, d))
        self.blocks = nn.ModuleList(Block(d) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, len(VOCAB))
        mask = torch.triu(torch.ones(CONTEXT, CONTEXT, dtype=torch.bool), diagonal=1)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, history: torch.Tensor) -> torch.Tensor:
        tokens = history[:, MLP_CONTEXT:MLP_CONTEXT + CONTEXT]
        x = self.embed(tokens) + self.position
        for block in self.blocks:
            x = block(x, self.mask)
        return self.head(self.ln(x))


def build(config: ModelConfig) -> nn.Module:
    if config.family == "mlp":
        return CharMLP(config.width)
    if config.family == "transformer":
        if config.width % max(1, config.width // 16):
            raise ValueError(f"transformer width {config.width} does not split into heads of 16+")
        return CharTransformer(config.width)
    raise ValueError(f"unknown model family '{config.family}' (mlp, transformer)")


def quantized_layers(model: nn.Module) -> dict[str, nn.Linear]:
    """The layers whose weights are quantized: every nn.Linear, by its parameter-path name."""
    return {name: m for name, m in model.named_modules() if isinstance(m, nn.Linear)}


def mean_loss(model: nn.Module, history: torch.Tensor, targets: torch.Tensor,
              batch: int = 256) -> float:
    """Mean cross-entropy (nats per character) over every target, in the model's dtype."""
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(history), batch):
            logits = model(history[i:i + batch])
            total += nn.functional.cross_entropy(
                logits.flatten(0, 1), targets[i:i + batch].flatten(), reduction="sum").item()
    return total / targets.numel()


def train(config: ModelConfig, train_codes: np.ndarray) -> tuple[nn.Module, float]:
    """Adam on random windows; the learning rate decays linearly to 0 over the last half."""
    torch.manual_seed(config.seed)
    model = build(config)
    rng = np.random.default_rng(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    half = config.steps // 2
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 1.0 if s < half else max(0.0, (config.steps - s) / half))
    started = time.perf_counter()
    for _ in range(config.steps):
        history, targets = windows(train_codes, config.batch, rng)
        loss = nn.functional.cross_entropy(model(history).flatten(0, 1), targets.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    return model, time.perf_counter() - started


def save(model: nn.Module, config: ModelConfig, path: Path, metadata: dict) -> None:
    """The float32 state dict and a JSON header (config and metadata) in one .npz."""
    arrays = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    header = json.dumps({"config": asdict(config), **metadata}, sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    np.savez_compressed(temporary, __header__=np.array(header), **arrays)
    temporary.replace(path)


def load(path: Path) -> tuple[nn.Module, ModelConfig, dict]:
    """The model in float64 (quantized weights are exact in double, not always in float)."""
    with np.load(path) as f:
        header = json.loads(str(f["__header__"]))
        config = ModelConfig(**header.pop("config"))
        model = build(config)
        model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files if k != "__header__"})
    return model.double().eval(), config, header
