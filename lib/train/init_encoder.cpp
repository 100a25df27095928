#include "train/init_encoder.hpp"

#include <map>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "train/trained_model.hpp"

namespace sslkit::train {

std::string encoder_prefix(methods::Method& m) { return m.has_image_encoder() ? "encoder." : "text_encoder."; }

namespace {

// The encoder's tensors (parameters, then buffers) in the network's order,
// by their names below the prefix.
std::vector<std::pair<std::string, nn::Tensor*>> encoder_tensors(methods::Method& m) {
  const std::string prefix = encoder_prefix(m);
  std::vector<std::pair<std::string, nn::Tensor*>> out;
  for (auto& [name, p] : m.named_parameters())
    if (name.rfind(prefix, 0) == 0) out.emplace_back("params/" + name.substr(prefix.size()), &p->value());
  for (auto& [name, b] : m.named_buffers())
    if (name.rfind(prefix, 0) == 0) out.emplace_back("buffers/" + name.substr(prefix.size()), b);
  return out;
}

}  // namespace

void init_encoder_from(const std::string& path, methods::Method& to, const io::DataReader& in) {
  TrainedModel t = load_trained_model(path);
  check_model_input(t, path, in);
  const auto listed = encoder_tensors(*t.method), into = encoder_tensors(to);
  const std::map<std::string, nn::Tensor*> from(listed.begin(), listed.end());
  const std::string hint = " (--init needs the same encoder; leave out --arch to take the model's)";
  // In the run's order, so the first difference named is the first tensor
  // of the network that differs.
  for (const auto& [name, dst] : into) {
    auto it = from.find(name);
    if (it == from.end()) throw Error(path, "its encoder has no " + name + ", this run's has" + hint);
    if (it->second->shape() != dst->shape())
      throw Error(path, "its encoder's " + name + " is " + nn::shape_str(it->second->shape()) + ", this run's is " +
                            nn::shape_str(dst->shape()) + hint);
  }
  const std::map<std::string, nn::Tensor*> wanted(into.begin(), into.end());
  for (const auto& [name, src] : listed)
    if (!wanted.count(name)) throw Error(path, "its encoder has " + name + ", this run's has not" + hint);
  for (const auto& [name, dst] : into) *dst = from.at(name)->to(dst->dtype()).clone();
  // An EMA target that is a copy of the encoder (BYOL's target, MoCo's key
  // encoder) was cloned from the random one when the method was built: it
  // starts from the same weights again, as it would have from these.
  for (nn::Module* target : to.ema_targets()) {
    std::vector<std::pair<std::string, nn::Tensor*>> mine;
    for (auto& [name, p] : target->named_parameters()) mine.emplace_back("params/" + name, &p->value());
    for (auto& [name, b] : target->named_buffers()) mine.emplace_back("buffers/" + name, b);
    bool copy_of_encoder = mine.size() == into.size();
    for (size_t i = 0; copy_of_encoder && i < mine.size(); ++i)
      copy_of_encoder = mine[i].first == into[i].first && mine[i].second->shape() == into[i].second->shape();
    if (!copy_of_encoder) continue;
    for (auto& [name, dst] : mine) *dst = from.at(name)->to(dst->dtype()).clone();
  }
}

}  // namespace sslkit::train
