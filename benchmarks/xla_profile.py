"""Where a jitted computation's time goes on XLA's CPU backend: the thunks
of a `jax.profiler` trace summed by operation, and each operation's
convolution and dot FLOPs read from the optimised HLO, so a profile can say
how fast each operation ran against the matmul peak (peak.py).

Thread-ms are summed over XLA's worker threads: they add up to more than
the wall time when operations run side by side. A `while` loop's thunk
also spans the operations of its body, which are listed on their own.
"""

import collections
import math
import os
import pathlib
import re
import tempfile

import jax

# XLA's per-operation events on CPU live on its Eigen worker threads.
_XLA_THREADS = "tf_XLAEigen"
_WRAPPERS = ("ThunkExecutor::Execute",)


_INSTRUCTION = re.compile(
    r"^\s*(?:ROOT )?%([\w.-]+) = (\w+)\[([\d,]*)\]\S* ([\w-]+)\(([^)]*)\)(.*)$")


def _dims(text: str) -> list[int]:
  return [int(d) for d in text.split(",") if d]


def operation_flops(hlo_text: str) -> dict[str, float]:
  """FLOPs of one execution of each instruction of an optimised HLO module.

  Counts convolutions and dots (a multiply and an add per output element
  and contraction element; for an input dilated with zeros, only the
  products with its real entries), directly or inside a fusion's
  computation; the thunks the profiler names are these instructions.
  Elementwise work is not counted: the figure is the matmul-like work an
  operation did.
  """
  shapes, own, calls, members, current = {}, {}, {}, {}, None
  for line in hlo_text.splitlines():
    # Computations are blocks "%name (...) -> ... {"; a fusion's work is
    # its computation's instructions'.
    header = re.match(r"^(?:ENTRY )?%([\w.-]+) \(.*\{\s*$", line)
    if header:
      current = header.group(1)
      members[current] = []
      continue
    match = _INSTRUCTION.match(line)
    if not match:
      continue
    name, _, dims, opcode, operands, attributes = match.groups()
    if current:
      members[current].append(name)
    shapes[name] = _dims(dims)
    out = math.prod(shapes[name])
    operand_names = re.findall(r"%([\w.-]+)", operands)
    flops = 0.0
    if opcode == "convolution" and len(operand_names) == 2:
      kernel = shapes.get(operand_names[1], [])
      labels = re.search(r"dim_labels=\w+_(\w+)->", attributes)
      if kernel and labels:
        out_features = kernel[labels.group(1).index("o")]
        size = math.prod(kernel)
        # The input gradient of a strided convolution runs on an input
        # dilated with zeros; only the products with real entries count.
        dilation = re.search(r"lhs_dilate=([\dx]+)", attributes)
        for factor in (dilation.group(1).split("x") if dilation else ()):
          size /= int(factor)
        flops = 2.0 * out * size / out_features
    elif opcode == "dot" and operand_names:
      lhs = shapes.get(operand_names[0], [])
      contracting = re.search(r"lhs_contracting_dims=\{([\d,]*)\}",
                              attributes)
      if lhs and contracting:
        flops = 2.0 * out * math.prod(
            lhs[d] for d in _dims(contracting.group(1)))
    own[name] = flops
    called = re.search(r"calls=%([\w.-]+)", attributes)
    if called:
      calls[name] = called.group(1)
  totals = dict(own)
  for name, computation in calls.items():
    totals[name] = own[name] + sum(own.get(member, 0.0)
                                   for member in members.get(computation, ()))
  return totals


def traced_thunks(run):
  """({operation name: ns}, {operation name: executions}) of the XLA CPU
  thunks that `run()` executes (it must block until its work is done)."""
  directory = tempfile.mkdtemp()
  with jax.profiler.trace(directory):
    run()
  trace = next(pathlib.Path(directory).rglob("*.xplane.pb"))
  totals, counts = collections.Counter(), collections.Counter()
  for plane in jax.profiler.ProfileData.from_file(str(trace)).planes:
    for line in plane.lines:
      if not line.name.startswith(_XLA_THREADS):
        continue
      for event in line.events:
        if not event.name.startswith(_WRAPPERS):
          totals[event.name] += event.duration_ns
          counts[event.name] += 1
  return totals, counts


def report(compiled, run, calls: int, peak_gflops: float, top: int,
           unit: str = "step") -> None:
  """Prints where `calls` calls of `compiled` (done by `run()`) spend time:
  thread-ms by operation kind and by network, the convolutions' and dots'
  FLOP rate, and the `top` operations with their GFLOP/s against the
  process's float32 matmul peak."""
  hlo_text = compiled.as_text()
  flops = operation_flops(hlo_text)
  where = dict(re.findall(r"%([\w.-]+) = .*?op_name=\"([^\"]+)\"", hlo_text))
  totals, counts = traced_thunks(run)
  total = sum(totals.values())
  per_call = 1e6 * calls
  kinds, modules = collections.Counter(), collections.Counter()
  for name, nanoseconds in totals.items():
    kinds[re.sub(r"[.\d]+$", "", name)] += nanoseconds
    module = re.search(r"([A-Z]\w+)\)*/", where.get(name, ""))
    modules[module.group(1) if module else "(unnamed)"] += nanoseconds

  def shares(counter):
    return ", ".join(f"{key} {ns / per_call:.1f} ms ({100 * ns / total:.0f}%)"
                     for key, ns in counter.most_common(8))

  print(f"  {total / per_call:.1f} thread-ms a {unit}")
  print(f"  by kind: {shares(kinds)}")
  print(f"  by network: {shares(modules)}")
  matmul_ns = sum(ns for name, ns in totals.items() if flops.get(name))
  done = sum(flops.get(name, 0.0) * counts[name] for name in totals)
  print(f"  convolutions and dots: {matmul_ns / per_call:.1f} thread-ms "
        f"({100 * matmul_ns / max(total, 1):.0f}%), "
        f"{done / calls / 1e9:.2f} GFLOP a {unit}, "
        f"{done / max(matmul_ns, 1):.1f} GFLOP/s a thread while in them "
        f"(float32 matmul peak {peak_gflops:.1f} GFLOP/s over "
        f"{os.cpu_count()} threads)")
  print(f"  top operations (thread-ms a {unit}, GFLOP/s while running, "
        "share of the process's peak, what):")
  for name, ns in totals.most_common(top):
    rate = flops.get(name, 0.0) * counts[name] / ns if ns else 0.0
    rate_text = (f"{rate:6.1f} GFLOP/s {100 * rate / peak_gflops:3.0f}%"
                 if rate else " " * 18)
    what = where.get(name, "").split("/", 1)[-1][-70:]
    print(f"    {name:36s} {ns / per_call:7.1f} ms  {rate_text}  {what}")
