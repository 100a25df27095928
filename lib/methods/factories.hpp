// Constructors of the methods, one per file; make_method picks by name.
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

std::unique_ptr<Method> make_simclr(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_moco(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_byol(const MethodParams& p, Rng& rng, bool simsiam);
std::unique_ptr<Method> make_redundancy(const MethodParams& p, Rng& rng, bool vicreg);
std::unique_ptr<Method> make_classifier(const MethodParams& p, Rng& rng, bool rotation);
std::unique_ptr<Method> make_mlm(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_mae(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_text_classifier(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_wav2vec(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_emp(const MethodParams& p, Rng& rng);

}  // namespace sslkit::methods
