// How many bytes of weight one decode step of one sequence reads: the
// figure that turns a decode rate into memory bandwidth (GB/s = bytes per
// token × tokens/s) and so puts it next to the machine's read ceiling.
#pragma once

#include <cstdint>

#include "model/weights.h"

namespace keel::bench {

// Every matrix a token is multiplied by — each layer's Q, K, V, O, gate, up
// and down projections and the output matrix — in its stored encoding, plus
// the one embedding row the token is looked up in. Norm vectors and biases
// (a few KB) are left out, as llama.cpp's figure leaves them out.
int64_t weight_bytes_per_token(const Weights& weights);

}  // namespace keel::bench
