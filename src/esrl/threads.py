"""torch's thread count for the length of a run, then the caller's again."""

import torch


class TorchThreads:
    """Sets torch's thread count for a run (`set`) and puts the caller's back (`restore`)."""

    def __init__(self) -> None:
        self.before = torch.get_num_threads()

    def set(self, threads: int) -> None:
        torch.set_num_threads(threads)

    def restore(self) -> None:
        torch.set_num_threads(self.before)
