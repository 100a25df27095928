// Modules hold named parameters (f32 master weights, Vars with gradients)
// and buffers (running statistics). Each module lists what it holds in
// visit(); named_parameters, train/eval and deep copies (EMA targets) are
// all walks over that list, so a new module only writes visit().
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.hpp"
#include "nn/var.hpp"

namespace sslkit::nn {

class Module;

// An integer position a module keeps (ModuleVisitor::index), by dotted path.
struct NamedIndex {
  std::string name;
  int64_t* value;
  int64_t size;  // valid values are 0 .. size - 1
};

class ModuleVisitor {
 public:
  virtual ~ModuleVisitor() = default;
  virtual void param(const std::string& name, Var& v) = 0;
  virtual void buffer(const std::string& name, Tensor& t) { (void)name; (void)t; }
  // An integer position in [0, size) kept between steps (MoCo's queue
  // pointer). Not a buffer: tensors are floats, exact only up to 2^24, and
  // checkpoints store these as int64.
  virtual void index(const std::string& name, int64_t& value, int64_t size) {
    (void)name;
    (void)value;
    (void)size;
  }
  // Says that buffer or index `name` (listed next) was added after model
  // files were written without it (wav2vec's step and Gumbel temperature,
  // 2026-12-05): a checkpoint that lacks it loads with the value the model
  // was built with. Every other buffer and index must be in the file.
  virtual void added_later(const std::string& name) { (void)name; }
  // Called for each child module; the default walks into it with the name as prefix.
  virtual void module(const std::string& name, Module& m);
  std::string prefix;
};

class Module {
 public:
  virtual ~Module() = default;
  // Lists parameters, buffers and child modules (in a fixed order).
  virtual void visit(ModuleVisitor& v) = 0;
  // A deep copy: same structure, its own copies of every tensor.
  virtual std::unique_ptr<Module> clone() const = 0;

  std::vector<std::pair<std::string, Var*>> named_parameters();
  std::vector<Var*> parameters();
  std::vector<std::pair<std::string, Tensor*>> named_buffers();
  std::vector<NamedIndex> named_indices();
  // The buffers and indices (by dotted path) that older model files lack (ModuleVisitor::added_later).
  std::vector<std::string> added_later();
  int64_t parameter_count();
  // Training mode of this module and all children (batchnorm, dropout).
  void set_training(bool on);
  bool training() const { return training_; }
  void zero_grad();

 protected:
  bool training_ = true;
};

// A deep copy typed as what it was (an Encoder stays an Encoder); nullptr
// stays nullptr.
template <class T>
std::unique_ptr<T> clone_as(const T* m) {
  return std::unique_ptr<T>(m ? static_cast<T*>(m->clone().release()) : nullptr);
}

// CRTP helper: clone() by copy construction, then every tensor deep-copied.
template <class Derived, class Base = Module>
class ModuleImpl : public Base {
 public:
  std::unique_ptr<Module> clone() const override {
    auto copy = std::make_unique<Derived>(static_cast<const Derived&>(*this));
    deep_copy_tensors(*copy);
    return copy;
  }
};
// Replaces every parameter and buffer of `m` with a private copy.
void deep_copy_tensors(Module& m);

// Parameter initialisers (PyTorch's defaults, so results compare).
// Uniform(-bound, bound) with bound = 1/sqrt(fan_in) (kaiming_uniform with a=sqrt(5)).
Tensor init_uniform_fan_in(const Shape& shape, int64_t fan_in, Rng& rng);

}  // namespace sslkit::nn
