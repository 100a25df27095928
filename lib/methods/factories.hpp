// What the methods' files share to build their parts. Their factories are
// declared beside the registry rows that name them (method.cpp).
#pragma once
#include <memory>

#include "core/error.hpp"
#include "methods/method.hpp"
#include "models/encoders.hpp"

namespace sslkit::methods {

// The image (or audio) encoder of the parameters' shape (a ViT cut and
// pooled as they say).
inline std::unique_ptr<models::Encoder> make_image_encoder(const MethodParams& p, Rng& rng) {
  return models::make_encoder(encoder_shape(p), p.in_channels, rng, p.pool);
}

}  // namespace sslkit::methods
