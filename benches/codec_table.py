#!/usr/bin/env python3
"""Prints the codec table of BENCHMARKS.md from criterion's results of one run.

Usage: cargo bench -p mqtt-benches --bench codec && python3 benches/codec_table.py
Each benchmark iteration handles STREAM packets (see benches/codec.rs); criterion stores the
mean time per iteration and the bytes per iteration.
"""
import json
import os
import sys

STREAM = 64
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")
GROUPS = [
    "decode/publish-16", "decode/publish-1024", "decode/publish-65536", "decode/connect",
    "decode/subscribe", "decode/byte-at-a-time-publish-16",
    "encode/publish-16", "encode/publish-1024", "encode/publish-65536", "encode/connect",
    "encode/subscribe",
]


def result(group, implementation):
    # criterion turns "/" in group names into "_" for directories
    path = os.path.join(ROOT, group.replace("/", "_"), implementation)
    with open(os.path.join(path, "new", "estimates.json")) as f:
        mean_ns = json.load(f)["mean"]["point_estimate"]
    with open(os.path.join(path, "new", "benchmark.json")) as f:
        bytes_per_iter = json.load(f)["throughput"]["Bytes"]
    return mean_ns / STREAM, bytes_per_iter / mean_ns  # ns per packet, GB/s (bytes per ns)


def main():
    print("| operation | mqtt-proto ns/packet | mqtt-proto GB/s | rumqttc ns/packet | rumqttc GB/s | speed-up |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for group in GROUPS:
        try:
            ours, ours_gbs = result(group, "mqtt-proto")
            theirs, theirs_gbs = result(group, "rumqttc")
        except FileNotFoundError as e:
            sys.exit(f"missing result for {group}: {e.filename}")
        print(f"| {group} | {ours:.1f} | {ours_gbs:.2f} | {theirs:.1f} | {theirs_gbs:.2f} | {theirs / ours:.2f}x |")


if __name__ == "__main__":
    main()
