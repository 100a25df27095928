// The method registry: names to constructors.
#include "core/error.hpp"
#include "methods/factories.hpp"

namespace sslkit::methods {

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> n = {"simclr", "moco", "byol", "simsiam", "barlow", "vicreg", "rotation"};
  return n;
}

std::unique_ptr<Method> make_method(const std::string& name, const MethodParams& p, Rng& rng) {
  if (name == "simclr") return make_simclr(p, rng);
  if (name == "moco") return make_moco(p, rng);
  if (name == "byol") return make_byol(p, rng, false);
  if (name == "simsiam") return make_byol(p, rng, true);
  if (name == "barlow") return make_redundancy(p, rng, false);
  if (name == "vicreg") return make_redundancy(p, rng, true);
  if (name == "rotation") return make_classifier(p, rng, true);
  if (name == "supervised") return make_classifier(p, rng, false);
  throw UsageError("--method must be one of simclr, moco, byol, simsiam, barlow, vicreg, rotation");
}

}  // namespace sslkit::methods
