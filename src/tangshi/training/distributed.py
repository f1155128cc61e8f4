"""Data-parallel training under torchrun: process group, ranks, and which process writes.

`train.processes: N` makes the train stage re-launch itself with
`python -m torch.distributed.run --standalone --nproc_per_node N`; each process
then trains on its share of every global batch (DistributedSampler), gradients
are averaged by DistributedDataParallel (gloo on the CPU, NCCL on GPUs), and
rank 0 alone writes checkpoints, metrics and DVCLive logs.
"""

import os
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ..errors import TangshiError


@dataclass
class Ranks:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init(device: torch.device) -> tuple[Ranks, torch.device]:
    """Join the process group when launched by torchrun; return ranks and this process's device."""
    if not launched_by_torchrun():
        return Ranks(), device
    ranks = Ranks(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0)))
    if device.type == "cuda":
        device = torch.device("cuda", ranks.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return ranks, device


def relaunch(processes: int, argv: list[str]) -> None:
    """Replace this process by torchrun running the same script on `processes` processes."""
    if processes < 1:
        raise TangshiError(f"train.processes must be at least 1, not {processes}")
    os.execv(
        sys.executable,
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}", *argv],
    )


def barrier(ranks: Ranks) -> None:
    if ranks.distributed:
        dist.barrier()


def mean_over_ranks(ranks: Ranks, value: float) -> float:
    """The mean of a number over all processes (each saw its share of every batch)."""
    if not ranks.distributed:
        return value
    tensor = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(tensor)
    return float(tensor.item()) / ranks.world


def shutdown(ranks: Ranks) -> None:
    if ranks.distributed and dist.is_initialized():
        dist.destroy_process_group()
