"""Image embedding speed on this machine: EfficientNet-Lite0 on MNIST-5k digits at 112 and 224 px,
encode() as it was (Pillow resize + numpy normalise, fp32) against encode() now (uint8 to the
device, torch resize + normalise there; bf16 + channels_last on CUDA), in the same run.

    .venv/bin/python -m bench.embedding_speed --threads 1     # CPU
The GPU figures come with python -m bench.gpu_check.
"""

import argparse
import dataclasses

import torch

from bench import report
from bench.gpu_check import SMOKE, Check, Timer
from bench.gpu_figures import embedding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--images", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sizes = dataclasses.replace(SMOKE, images=args.images, image_sizes=(112, 224), repeats=3)
    check = Check(Timer(torch.device("cpu"), sizes.repeats), sizes)
    check.section("embedding", embedding)
    rows = [{k: v for k, v in row.items() if k not in ("floor ms", "x floor")} for row in check.rows]
    report.write("embedding-speed-cpu", rows, {"torch threads": args.threads, "images": args.images,
                                               "failed": check.errors or "none"})  # fmt: skip


if __name__ == "__main__":
    main()
