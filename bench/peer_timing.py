"""What the PyTorch peers in bench/ share: one training step timed after
warm-up steps (median of the timed ones), the process's peak RSS, and the
CPU's name."""
import resource
import statistics
import time


def median_step_seconds(step, warmup_iters, iters):
    """Runs step() warmup_iters + iters times; the median seconds of the last iters."""
    times = []
    for i in range(warmup_iters + iters):
        t0 = time.perf_counter()
        step()
        if i >= warmup_iters:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()
