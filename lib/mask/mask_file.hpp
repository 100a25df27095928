// ssl-mask's logic: read a text, image or audio file, write it out whole
// with the masks of one scheme added (streamed in chunks, parallel across
// samples, deterministic per (seed, sample id) for any thread count), and
// show what the masks do.
#pragma once
#include "mask/mask_options.hpp"

namespace sslkit::mask {

void run_mask(const MaskOptions& opts);

}  // namespace sslkit::mask
