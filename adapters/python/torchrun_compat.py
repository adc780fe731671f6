#!/usr/bin/env python3
"""torchrun, made to work where it is broken: PyTorch 1.13 under Python 3.11 (Debian 12's
python3-torch). There ``torchrun`` dies at start with ``AttributeError: 'NoneType' object has no
attribute 'get'``: its ``Std.from_str("0")`` finds no flag for 0 because Python 3.11 no longer
lists the zero and multi-bit members of an IntFlag (fixed in PyTorch 2.0). This launcher patches
that one function when (and only when) it is broken, then runs torchrun's own ``main`` with the
same arguments; use its options with underscores (``--nproc_per_node``), which every version
accepts:

    python3 adapters/python/torchrun_compat.py --nproc_per_node 2 examples/pytorch_train.py --batch-size 64
"""

import re
import sys


def _patch() -> None:
    from torch.distributed.elastic.multiprocessing import api  # noqa: PLC0415

    if api.Std.from_str("0") is not None:
        return  # not broken
    original = api.Std.from_str.__func__

    def from_str(cls, vm):
        if re.match(r"^[0123]$", vm):
            return cls(int(vm))
        if re.match(r"^(\d:[0123],)*(\d:[0123])$", vm):
            return {int(i): cls(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
        return original(cls, vm)

    api.Std.from_str = classmethod(from_str)


if __name__ == "__main__":
    _patch()
    from torch.distributed.run import main  # noqa: PLC0415

    sys.argv[0] = "torchrun"
    main()
