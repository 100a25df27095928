#!/usr/bin/env python3
"""The spoken-digit demo's log-mel baseline: how far a linear model on
hand-made features gets, so a learned encoder has a figure to beat.

    python3 data/digits-baseline.py demo/digits-train.h5 demo/digits-test.h5

Features are lib/data/log_mel.hpp's log_mel_stats in numpy: a 40-band
log-mel spectrogram (25 ms periodic Hann windows every 10 ms, power
spectrum, HTK mel triangles, log(x + 1e-6)) over each clip's /lengths
samples, then the per-band mean and std over frames. Standardised on the
training set; scikit-learn's logistic regression (C=1). Needs python3-h5py,
python3-numpy and python3-sklearn.
"""
import sys

import h5py
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

RATE, N_FFT, HOP, N_MELS = 16000, 400, 160, 40


def filterbank():
    hz_to_mel = lambda f: 2595 * np.log10(1 + f / 700)
    mel_to_hz = lambda m: 700 * (10 ** (m / 2595) - 1)
    pts = mel_to_hz(np.linspace(0, hz_to_mel(RATE / 2), N_MELS + 2))
    f = np.arange(N_FFT // 2 + 1) * RATE / N_FFT
    down = (f[:, None] - pts[None, :-2]) / (pts[1:-1] - pts[:-2])
    up = (pts[None, 2:] - f[:, None]) / (pts[2:] - pts[1:-1])
    return np.maximum(0, np.minimum(down, up))


FB = filterbank()
WINDOW = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)


def log_mel_stats(w):
    if len(w) < N_FFT:
        w = np.pad(w, (0, N_FFT - len(w)))
    frames = 1 + (len(w) - N_FFT) // HOP
    idx = np.arange(frames)[:, None] * HOP + np.arange(N_FFT)[None, :]
    power = np.abs(np.fft.rfft(w[idx].astype(np.float64) * WINDOW, axis=1)) ** 2
    s = np.log(power @ FB + 1e-6)
    return np.concatenate([s.mean(0), s.std(0)])


def features(path):
    with h5py.File(path, "r") as f:
        if int(f["audio"].attrs.get("sample_rate", RATE)) != RATE:
            sys.exit(f"{path}: expected {RATE} Hz audio")
        audio, lengths, labels = f["audio"][:], f["lengths"][:], f["labels"][:]
    return np.array([log_mel_stats(a[:n]) for a, n in zip(audio, lengths)]), labels


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: digits-baseline.py TRAIN.h5 TEST.h5")
    xtr, ytr = features(sys.argv[1])
    xte, yte = features(sys.argv[2])
    scale = StandardScaler().fit(xtr)
    clf = LogisticRegression(C=1.0, max_iter=3000).fit(scale.transform(xtr), ytr)
    print("log-mel baseline (logistic regression on 80 log-mel statistics): train %.3f, test %.3f (%d / %d clips)"
          % (clf.score(scale.transform(xtr), ytr), clf.score(scale.transform(xte), yte), len(ytr), len(yte)))


if __name__ == "__main__":
    main()
