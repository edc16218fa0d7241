// ReferenceBackend: the oracle every faster backend is held to.
//
// Plain scalar C++, one loop per formula, sums in double, weights decoded
// by core's portable codec, attention as the textbook softmax over an
// explicit score vector. It is slow and allocates freely inside its ops
// (it is never used for serving where the step loop must not allocate);
// what it buys is being obviously right. tests/backend runs every op of a
// backend against it.
#pragma once

#include <memory>

#include "backend/backend.h"

namespace keel {

std::unique_ptr<Backend> make_reference_backend();

}  // namespace keel
