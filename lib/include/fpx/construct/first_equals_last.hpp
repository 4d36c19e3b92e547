#pragma once
/// A one-layer softmax transformer that decides first = last, FEL(t) = [t_0 = t_{n-1}], over
/// the tokens 0 .. V-1 at length n (proofs/first_equals_last.md).
///
/// d_model = 2: token t embeds as (t, 0) and position 0 adds the flag (0, 1). One head: the
/// query is the constant logit scale s (its bias), the key reads the flag, so the last query
/// gives position 0 the logit s and every other position 0; the value reads the token. The
/// output map writes minus the attended value into the first coordinate, so with the residual
/// the last position holds d = t_{n-1} - m, m the attention average. An MLP without residual
/// computes -|d| = -(relu(d) + relu(-d)), and the readout 1/2 - |d|. In exact arithmetic
/// m = (e^s t_0 + sum_{i >= 1} t_i) / (e^s + n - 1) is within L = (n-1)(V-1) / (e^s + n - 1) of
/// t_0, so the output is at least 1/2 - L > 0 when t_0 = t_{n-1} and at most L - 1/2 < 0 when
/// they differ (|t_{n-1} - t_0| >= 1), as soon as L < 1/2: read it with threshold 0.

#include "fpx/model/network.hpp"

namespace fpx {

/// The smallest integer logit scale s with leak (n-1)(V-1) / (e^s + n - 1) < 1/4 (a margin of
/// 1/4 on either side of the threshold).
int first_equals_last_scale(int vocabulary, int length);

/// The construction for V = vocabulary >= 2 tokens and length n >= 2 (positions 0 .. n-1),
/// with the logit scale s (default: first_equals_last_scale). Throws std::invalid_argument for
/// V < 2, n < 2 or s < 1.
transformer first_equals_last(int vocabulary, int length, int scale = 0);

}  // namespace fpx
