"""The headless command line: ``seggan info`` (later issues add training and run subcommands)."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from importlib import metadata

import core


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def collect_info(with_tensorflow: bool = True) -> dict:
    from core.runtime import default_thread_settings

    settings = default_thread_settings()
    info = {
        "seggan-studio": core.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in (
            "numpy", "Pillow", "scipy", "tensorflow", "keras", "tensorboard",
            "PySide6-Essentials", "superqt", "pyqtgraph", "platformdirs")},
        "threads": {"cpu_count": settings.cpu_count, "intra_op": settings.intra_op,
                    "inter_op": settings.inter_op, "reserved_for_ui": settings.reserved_for_ui},
    }
    if with_tensorflow:
        from core.runtime import device_report

        report = device_report()
        info["tensorflow"] = {
            "version": report.tensorflow, "keras": report.keras,
            "devices": [{"name": n, "type": t} for n, t in report.devices],
            "intra_op_threads": report.intra_op_threads, "inter_op_threads": report.inter_op_threads,
            "built_with_cuda": report.built_with_cuda,
        }
    return info


def _print_info(info: dict) -> None:
    print(f"SegGAN Studio {info['seggan-studio']}  (Python {info['python']}, {info['platform']})")
    print("packages:")
    for name, version in info["packages"].items():
        print(f"  {name:<20} {version}")
    threads = info["threads"]
    print(f"threads: {threads['cpu_count']} cores; TensorFlow intra-op {threads['intra_op']}, inter-op "
          f"{threads['inter_op']}, {threads['reserved_for_ui']} kept for the UI")
    tf_info = info.get("tensorflow")
    if tf_info:
        print(f"TensorFlow {tf_info['version']} (Keras {tf_info['keras']}), "
              f"built with CUDA: {'yes' if tf_info['built_with_cuda'] else 'no'}")
        print(f"  threads in use: intra-op {tf_info['intra_op_threads']}, inter-op {tf_info['inter_op_threads']}")
        for device in tf_info["devices"]:
            print(f"  device {device['name']} ({device['type']})")


def cmd_info(args: argparse.Namespace) -> int:
    info = collect_info(with_tensorflow=not args.no_tensorflow)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        _print_info(info)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seggan", description="SegGAN Studio command line (headless).")
    parser.add_argument("--version", action="version", version=f"seggan-studio {core.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    info = sub.add_parser("info", help="print versions, TensorFlow devices and thread settings")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.add_argument("--no-tensorflow", action="store_true", help="skip importing TensorFlow")
    info.set_defaults(func=cmd_info)
    from core.cli.training import add_subcommands

    add_subcommands(sub)
    from core.cli import seg as cli_seg

    cli_seg.add_subcommands(sub)
    from core.cli.gan import add_subcommands as add_gan_subcommands

    add_gan_subcommands(sub)
    from core.cli import formats as cli_formats

    cli_formats.add_subcommands(sub)
    from core.cli import propagate as cli_propagate

    cli_propagate.add_subcommands(sub)
    from core.cli import stacks as cli_stacks

    cli_stacks.add_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from core.runtime import set_headless

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    # No window to keep a core free for: TensorFlow gets them all (SEGGAN_*_THREADS still win).
    previous = set_headless(True)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        set_headless(previous)


if __name__ == "__main__":
    sys.exit(main())
