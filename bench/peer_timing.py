"""What the PyTorch peers in bench/ share: one training step timed after
warm-up steps (median of the timed ones), and the process's peak RSS."""
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
