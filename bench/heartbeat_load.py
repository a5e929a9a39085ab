#!/usr/bin/env python3
# Heartbeat load for bench/controlplane.ts from gRPC C-core (Debian's python3-grpcio), so the load
# generator is not a second copy of the grpc-js stack it measures. Requests arrive pre-encoded (the
# driver encodes them with the same protos), so Python only moves bytes.
#   python3 heartbeat_load.py <host:port> <concurrency> <requests-file> <method-path>
# requests-file: 4-byte big-endian length + message bytes, repeated; the calls cycle through them.
# stdin: "run <seconds>" → one JSON line {count, errors, first_error, wall_s, cpu_s, p50_us, p99_us};
#        "quit" → exit. One channel (one HTTP/2 connection) per process, kept across windows.
import asyncio
import json
import resource
import struct
import sys
import time

import grpc


def read_requests(path):
    out = []
    with open(path, 'rb') as f:
        data = f.read()
    i = 0
    while i < len(data):
        (n,) = struct.unpack('>I', data[i:i + 4])
        out.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return out


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def window(call, requests, concurrency, seconds):
    end = time.monotonic() + seconds
    lat = []
    state = {'k': 0, 'errors': 0, 'first_error': None}
    n = len(requests)

    async def worker():
        while time.monotonic() < end:
            state['k'] += 1
            req = requests[state['k'] % n]
            t0 = time.perf_counter_ns()
            try:
                await call(req)
                lat.append(time.perf_counter_ns() - t0)
            except grpc.RpcError as err:  # counted, reported, never fatal
                state['errors'] += 1
                if state['first_error'] is None:
                    state['first_error'] = f'{err.code()}: {err.details()}'

    c0 = cpu_seconds()
    t0 = time.monotonic()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    wall = time.monotonic() - t0
    cpu = cpu_seconds() - c0
    lat.sort()

    def q(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] / 1000 if lat else None

    return {
        'count': len(lat),
        'errors': state['errors'],
        'first_error': state['first_error'],
        'wall_s': wall,
        'cpu_s': cpu,
        'p50_us': q(0.5),
        'p99_us': q(0.99),
    }


async def main():
    target, concurrency, req_file, method = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    requests = read_requests(req_file)
    channel = grpc.aio.insecure_channel(target)
    call = channel.unary_unary(method)  # no serializers: bytes in, bytes out
    await channel.channel_ready()
    print(json.dumps({'ready': True}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() == 'quit':
            break
        cmd, arg = (line.strip().split(' ', 1) + [''])[:2]
        if cmd == 'run':
            result = await window(call, requests, concurrency, float(arg))
            print(json.dumps(result), flush=True)
    await channel.close()


if __name__ == '__main__':
    asyncio.run(main())
