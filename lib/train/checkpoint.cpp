#include "train/checkpoint.hpp"

#include <cmath>
#include <cstring>
#include <algorithm>
#include <sstream>

#include "core/error.hpp"
#include "core/log.hpp"
#include "io/model_file.hpp"
#include "methods/method.hpp"

namespace sslkit::train {

static void put(io::ModelWriter& w, const std::string& group, const std::string& name, const nn::Tensor& t) {
  nn::Tensor f = t.to(nn::DType::f32);
  w.tensor(group, name, f.shape(), f.f32());
}

static void get(const io::ModelReader& r, const std::string& group, const std::string& name, nn::Tensor& t) {
  // The shape is checked before the values are read: a tensor that declares
  // a terabyte is refused by name, not by an allocation that fails.
  const std::vector<int64_t> stored = r.shape(group, name);
  if (stored != t.shape())
    throw Error(r.name(), group + "/" + name + " has shape " + nn::shape_str(stored) + ", the model expects " +
                              nn::shape_str(t.shape()));
  auto s = r.tensor(group, name);
  // A weight that is NaN or infinite makes every output NaN without a word
  // (a run that diverged, or a damaged file whose checksum still holds).
  if (group == "params" && !std::all_of(s.values.begin(), s.values.end(), [](float v) { return std::isfinite(v); }))
    throw Error(r.name(), group + "/" + name + " holds NaN or infinite values: the model is unusable (a run that diverged?)");
  nn::Tensor f(t.shape(), nn::DType::f32);
  std::memcpy(f.f32(), s.values.data(), s.values.size() * 4);
  t = f.to(t.dtype());
}

// An index (nn::ModuleVisitor::index) from /state/<name>, or, in a model
// file written before indices were integers, from the float32 buffer of
// that name; either way it must name one of its `size` positions.
static void get_index(const io::ModelReader& r, const nn::NamedIndex& ix) {
  const std::string where = std::string(r.has("state", ix.name) ? "state/" : "buffers/") + ix.name;
  double v = 0;
  if (r.has("state", ix.name)) {
    const auto ints = r.ints(ix.name);
    if (ints.size() != 1) throw Error(r.name(), where + " holds " + std::to_string(ints.size()) + " values, not one");
    v = static_cast<double>(ints[0]);
  } else if (r.has("buffers", ix.name)) {
    const auto old = r.tensor("buffers", ix.name);
    if (old.values.size() != 1) throw Error(r.name(), where + " has shape " + nn::shape_str(old.shape) + ", not [1]");
    v = old.values[0];
    std::ostringstream shown;
    shown << v;
    if (!std::isfinite(v) || v != std::floor(v)) throw Error(r.name(), where + " is " + shown.str() + ", not a whole number");
  } else {
    throw Error(r.name(), "has no state/" + ix.name + " (a model of another method?)");
  }
  if (v < 0 || v >= static_cast<double>(ix.size))
    throw Error(r.name(), where + " is " + std::to_string(static_cast<int64_t>(v)) + ", outside 0.." +
                              std::to_string(ix.size - 1));
  *ix.value = static_cast<int64_t>(v);
}

void save_checkpoint(const std::string& path, nn::Module& model, const CheckpointExtras& x, io::Commit when) {
  io::ModelWriter w(path, when);
  w.set_config(x.config);
  for (auto& [name, p] : model.named_parameters()) put(w, "params", name, p->value());
  for (auto& [name, b] : model.named_buffers()) put(w, "buffers", name, *b);
  for (const auto& ix : model.named_indices()) w.ints(ix.name, {*ix.value});
  for (auto& [name, t] : x.optimizer) put(w, "optimizer", name, *t);
  w.ints("step", {x.step});
  w.ints("epoch", {x.epoch});
  w.ints("milliseconds", {static_cast<int64_t>(x.seconds * 1000)});
  // How many of /params the optimizer trains: the rest are EMA targets
  // (BYOL's, MoCo's), which ssl-info must not count as the model's size.
  // Declared by the method, as the optimizer chooses them, not by name.
  if (auto* method = dynamic_cast<methods::Method*>(&model)) {
    int64_t trained = 0;
    for (const nn::Var* p : methods::trainable_parameters(*method)) trained += p->value().numel();
    w.ints("trained_parameters", {trained});
  }
  w.series("loss", x.loss);
  w.series("lr", x.lr);
  for (const auto& [name, values] : x.series) w.series(name, values);
  if (!x.tokenizer.empty()) w.bytes("tokenizer", x.tokenizer);
  w.set_history(x.history);
  w.commit();
}

std::string load_checkpoint(const std::string& path, nn::Module& model, CheckpointExtras* x) {
  io::ModelReader r(path);
  for (auto& [name, p] : model.named_parameters()) get(r, "params", name, p->value());
  // State the model declares as added after files were written without it
  // (nn::ModuleVisitor::added_later: wav2vec's step and Gumbel temperature)
  // keeps the value the model was built with when the file lacks it; any
  // other buffer or index missing is an error naming the file.
  const std::vector<std::string> later = model.added_later();
  auto lacks_later = [&](const char* group, const std::string& name) {
    return std::find(later.begin(), later.end(), name) != later.end() && !r.has(group, name) &&
           !(std::string(group) == "state" && r.has("buffers", name));
  };
  std::vector<std::string> absent;
  for (auto& [name, b] : model.named_buffers()) {
    if (lacks_later("buffers", name))
      absent.push_back("buffers/" + name);
    else
      get(r, "buffers", name, *b);
  }
  for (const auto& ix : model.named_indices()) {
    if (lacks_later("state", ix.name))
      absent.push_back("state/" + ix.name);
    else
      get_index(r, ix);
  }
  std::string config = r.config();
  if (x && !absent.empty()) {
    std::string names;
    for (const std::string& a : absent) names += (names.empty() ? "" : ", ") + a;
    warn(r.name() + ": has no " + names + " (written by an older sslkit): the run resumes from their initial values, "
         "not exactly where it stopped");
  }
  if (x) {
    for (auto& [name, t] : x->optimizer) get(r, "optimizer", name, *t);
    x->step = r.ints("step").at(0);
    x->epoch = r.ints("epoch").at(0);
    x->seconds = r.has("state", "milliseconds") ? r.ints("milliseconds").at(0) / 1000.0 : 0.0;
    // Files written before 2026-12-05 hold an empty /state/rng (no run ever
    // stored a generator there or read one back): ignored.
    x->loss = r.series("loss");
    x->lr = r.series("lr");
    for (const std::string& name : r.names("train"))
      if (name != "loss" && name != "lr") x->series[name] = r.series(name);
    x->tokenizer = r.bytes("tokenizer");
    x->config = config;
  }
  return config;
}

void load_checkpoint_part(const std::string& path, const std::string& prefix, nn::Module& part) {
  io::ModelReader r(path);
  for (auto& [name, p] : part.named_parameters()) {
    if (!r.has("params", prefix + name)) throw Error(r.name(), "has no " + prefix + name + " (a different architecture?)");
    get(r, "params", prefix + name, p->value());
  }
  for (auto& [name, b] : part.named_buffers()) get(r, "buffers", prefix + name, *b);
  for (auto ix : part.named_indices()) {
    ix.name = prefix + ix.name;
    get_index(r, ix);
  }
}

void load_checkpoint_prefix(const std::string& path, const std::string& prefix, nn::Module& model) {
  io::ModelReader r(path);
  auto wanted = [&](const std::string& name) { return name.rfind(prefix, 0) == 0; };
  for (auto& [name, p] : model.named_parameters()) {
    if (!wanted(name)) continue;
    if (!r.has("params", name)) throw Error(r.name(), "has no " + name + " (a different architecture?)");
    get(r, "params", name, p->value());
  }
  for (auto& [name, b] : model.named_buffers())
    if (wanted(name)) get(r, "buffers", name, *b);
  for (const auto& ix : model.named_indices())
    if (wanted(ix.name)) get_index(r, ix);
}

}  // namespace sslkit::train
