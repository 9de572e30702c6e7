"""The run config of a GAN run with this app's defaults, shared by the CLI and the GUI's setup dialog."""

from __future__ import annotations

from core.training.config import Budget, RunConfig


def gan_config(data: str, *, size: int = 32, channels: int | None = None, conditional="auto",
               latent_dim: int = 64, width: int = 32, loss: str = "nonsaturating", ema: float = 0.999,
               r1: float = 0.0, spectral_norm: bool = False, batch_size: int = 64, lr_g: float = 2e-4,
               lr_d: float = 2e-4, seed: int = 0, budget=None, sample_every: int = 250,
               quality_every: int = 500, checkpoint_every: int = 1000, strategy: str = "auto",
               precision: str = "auto") -> RunConfig:
    """Defaults sized for a laptop CPU: 32 px, width 32, batch 64, Adam 2e-4 (beta1 0.5), EMA 0.999."""
    return RunConfig(
        task="gan",
        task_params={"data": str(data), "size": int(size), "channels": channels, "conditional": conditional,
                     "latent_dim": int(latent_dim), "width": int(width), "loss": loss, "ema": float(ema),
                     "r1": float(r1), "spectral_norm": bool(spectral_norm), "quality_every": int(quality_every)},
        seed=int(seed), batch_size=int(batch_size), learning_rates={"generator": lr_g, "discriminator": lr_d},
        budget=budget or Budget(minutes=10), log_every=25, sample_every=int(sample_every),
        checkpoint_every=int(checkpoint_every), strategy=strategy, precision=precision,
        data_source=str(data))
