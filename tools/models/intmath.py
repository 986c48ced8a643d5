"""Integer arithmetic of the int8 kernels, exactly as firmware/kernels implements it.

TFLite-compatible requantization: a real multiplier M = q * 2^(shift - 31) with
q in [2^30, 2^31); SaturatingRoundingDoublingHighMul then RoundingDivideByPOT,
both rounding half away from zero. Arrays are int64 numpy arrays holding
int32 values, so no intermediate overflows.
"""
import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def quantize_multiplier(real: float):
    """Returns (q, shift) with real ~= q * 2^(shift - 31), q in [2^30, 2^31) (or (0, 0) for 0)."""
    if real <= 0.0:
        if real == 0.0:
            return 0, 0
        raise ValueError(f"negative multiplier {real}")
    mantissa, exponent = math.frexp(real)
    q = int(math.floor(mantissa * (1 << 31) + 0.5))
    if q == 1 << 31:
        q //= 2
        exponent += 1
    if exponent < -31:
        return 0, 0
    return q, exponent


def saturating_rounding_doubling_high_mul(a: np.ndarray, b: int) -> np.ndarray:
    ab = a.astype(np.int64) * np.int64(b)
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    v = ab + nudge
    return np.where(v >= 0, v >> 31, -((-v) >> 31))


def rounding_divide_by_pot(x: np.ndarray, exponent: int) -> np.ndarray:
    if exponent == 0:
        return x
    mask = np.int64((1 << exponent) - 1)
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).astype(np.int64)
    return (x >> exponent) + (remainder > threshold).astype(np.int64)


def requantize(acc: np.ndarray, q: int, shift: int) -> np.ndarray:
    left = max(shift, 0)
    right = max(-shift, 0)
    x = np.clip(acc.astype(np.int64) * np.int64(1 << left), INT32_MIN, INT32_MAX)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, q), right)


def requantize_per_channel(acc: np.ndarray, qs, shifts) -> np.ndarray:
    """acc [..., C]; one (q, shift) per channel on the last axis."""
    out = np.empty_like(acc, dtype=np.int64)
    for c in range(acc.shape[-1]):
        out[..., c] = requantize(acc[..., c], int(qs[c]), int(shifts[c]))
    return out
