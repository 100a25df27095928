// Constructors of the methods, one per file; make_method picks by name.
#pragma once
#include <memory>

#include "core/error.hpp"
#include "methods/method.hpp"

namespace sslkit::methods {

std::unique_ptr<Method> make_simclr(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_moco(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_byol(const MethodParams& p, Rng& rng, bool simsiam);
std::unique_ptr<Method> make_redundancy(const MethodParams& p, Rng& rng, bool vicreg);
std::unique_ptr<Method> make_classifier(const MethodParams& p, Rng& rng, bool rotation);
std::unique_ptr<Method> make_mlm(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_mae(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_text_classifier(const MethodParams& p, Rng& rng);

}  // namespace sslkit::methods
