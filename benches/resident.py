#!/usr/bin/env python3
"""Resident pages of a running program's binary, put down to the crate whose symbols fill most
of each page (a page of no symbol: read-only data, unwind tables, relocations).

Usage: python3 benches/resident.py BINARY PID

Reads /proc/PID/maps and /proc/PID/pagemap (root, or the program's owner with the capability
to read page frame flags) and the symbols of BINARY (`nm`, `readelf`). Prints the resident KiB
of the binary by mapping permission, then by crate, largest first.
"""
import bisect
import collections
import re
import struct
import subprocess
import sys


def main():
    binary, pid = sys.argv[1], int(sys.argv[2])
    maps = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5] == binary:
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                maps.append((lo, hi, int(parts[2], 16), parts[1]))
    resident = []
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for lo, hi, offset, perm in maps:
            for va in range(lo, hi, 4096):
                pagemap.seek(va // 4096 * 8)
                (entry,) = struct.unpack("<Q", pagemap.read(8))
                if entry >> 63 & 1:
                    resident.append((offset + va - lo, perm))
    symbols = []
    nm = subprocess.run(["nm", "-S", "-C", "--defined-only", binary], capture_output=True, text=True)
    for line in nm.stdout.splitlines():
        p = line.split(None, 3)
        if len(p) < 4:
            continue
        name = re.sub(r"^<", "", p[3])
        crate = name.split("::")[0].lstrip("<&").split(" ")[0]
        symbols.append((int(p[0], 16), int(p[1], 16), crate))
    symbols.sort()
    starts = [s[0] for s in symbols]
    loads = []
    readelf = subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True)
    for line in readelf.stdout.splitlines():
        if line.strip().startswith("LOAD"):
            f = line.split()
            loads.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))

    def address(offset):
        for file_offset, vaddr, size in loads:
            if file_offset <= offset < file_offset + size:
                return vaddr + offset - file_offset
        return None

    by_perm, by_crate = collections.Counter(), collections.Counter()
    for offset, perm in resident:
        by_perm[perm] += 4
        va = address(offset)
        filled = collections.Counter()
        if va is not None:
            i = bisect.bisect_right(starts, va + 4096) - 1
            while i >= 0 and symbols[i][0] >= va - 65536:
                start, size, crate = symbols[i]
                if start < va + 4096 and start + size > va:
                    filled[crate] += min(start + size, va + 4096) - max(start, va)
                i -= 1
        by_crate[filled.most_common(1)[0][0] if filled else "(no symbol)"] += 4
    print("resident KiB by permission:", dict(by_perm))
    for crate, kib in by_crate.most_common(25):
        print(f"{kib:6} {crate}")


if __name__ == "__main__":
    main()
