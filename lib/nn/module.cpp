#include "nn/module.hpp"

#include <cmath>

#include "core/error.hpp"

namespace sslkit::nn {

void ModuleVisitor::module(const std::string& name, Module& m) {
  std::string saved = prefix;
  prefix += name + ".";
  m.visit(*this);
  prefix = saved;
}

namespace {

struct Collect : ModuleVisitor {
  std::vector<std::pair<std::string, Var*>> params;
  std::vector<std::pair<std::string, Tensor*>> buffers;
  std::vector<NamedIndex> indices;
  std::vector<Module*> modules;
  std::vector<std::string> later;
  void param(const std::string& name, Var& v) override { params.emplace_back(prefix + name, &v); }
  void buffer(const std::string& name, Tensor& t) override { buffers.emplace_back(prefix + name, &t); }
  void index(const std::string& name, int64_t& value, int64_t size) override {
    indices.push_back({prefix + name, &value, size});
  }
  void added_later(const std::string& name) override { later.push_back(prefix + name); }
  void module(const std::string& name, Module& m) override {
    modules.push_back(&m);
    ModuleVisitor::module(name, m);
  }
};

Collect collect(Module& m) {
  Collect c;
  m.visit(c);
  return c;
}

}  // namespace

std::vector<std::pair<std::string, Var*>> Module::named_parameters() { return collect(*this).params; }

std::vector<Var*> Module::parameters() {
  std::vector<Var*> out;
  for (auto& [n, p] : named_parameters()) out.push_back(p);
  return out;
}

std::vector<std::pair<std::string, Tensor*>> Module::named_buffers() { return collect(*this).buffers; }

std::vector<NamedIndex> Module::named_indices() { return collect(*this).indices; }

std::vector<std::string> Module::added_later() { return collect(*this).later; }

int64_t Module::parameter_count() {
  int64_t n = 0;
  for (auto* p : parameters()) n += p->value().numel();
  return n;
}

void Module::set_training(bool on) {
  training_ = on;
  for (auto* m : collect(*this).modules) m->training_ = on;
}

void Module::zero_grad() {
  for (auto* p : parameters()) p->zero_grad();
}

void deep_copy_tensors(Module& m) {
  struct Copier : ModuleVisitor {
    void param(const std::string&, Var& v) override { v = Var(v.value().clone(), v.requires_grad()); }
    void buffer(const std::string&, Tensor& t) override { t = t.clone(); }
  } c;
  m.visit(c);
}

Tensor init_uniform_fan_in(const Shape& shape, int64_t fan_in, Rng& rng) {
  Tensor t(shape, DType::f32);
  double bound = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(1, fan_in)));
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = static_cast<float>(rng.uniform(-bound, bound));
  return t;
}

}  // namespace sslkit::nn
