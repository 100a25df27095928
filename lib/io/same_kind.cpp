#include "io/same_kind.hpp"

#include "core/error.hpp"
#include "io/h5.hpp"

namespace sslkit::io {

namespace {

std::string a_modality(Modality m) {
  const std::string name = modality_name(m);
  return (std::string("aeiou").find(name[0]) != std::string::npos ? "an " : "a ") + name;
}

// An attribute as text ("" when absent): strings as they are, numbers printed.
std::string attr_or(const DataReader& r, const std::string& dataset, const std::string& attr) {
  if (!r.has(dataset) || !has_attr(r.dataset(dataset), attr)) return "";
  const hid_t ds = r.dataset(dataset);
  return attr == "normalized" ? std::to_string(attr_int(ds, attr)) : attr_string(ds, attr);
}

std::string short_hash(const std::string& sha) { return sha.substr(0, 12); }

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 4; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 4) out += ", ...";
  return out;
}

void check_embeddings(const DataReader& tr, const DataReader& ev) {
  const std::string sha_tr = attr_or(tr, "/embeddings", "model_sha256"),
                    sha_ev = attr_or(ev, "/embeddings", "model_sha256");
  if (!sha_tr.empty() && !sha_ev.empty() && sha_tr != sha_ev)
    throw UsageError(ev.name() + " holds embeddings of " + attr_or(ev, "/embeddings", "model") + " (sha256 " +
                     short_hash(sha_ev) + "), " + tr.name() + " of " + attr_or(tr, "/embeddings", "model") +
                     " (sha256 " + short_hash(sha_tr) + "): embed both with one model");
  for (const char* attr : {"layer", "normalized"}) {
    const std::string a = attr_or(tr, "/embeddings", attr), b = attr_or(ev, "/embeddings", attr);
    if (!a.empty() && !b.empty() && a != b)
      throw UsageError(ev.name() + " holds embeddings with " + attr + " " + b + ", " + tr.name() + " with " + a +
                       ": embed both with the same ssl-embed options");
  }
}

}  // namespace

void check_same_tokenizer(const DataReader& a, const DataReader& b, const std::string& b_label) {
  if (a.has("/tokenizer") != b.has("/tokenizer") ||
      (a.has("/tokenizer") && a.read_all<uint8_t>("/tokenizer") != b.read_all<uint8_t>("/tokenizer")))
    throw UsageError(b_label + " was not tokenized as " + a.name() +
                     " (import both with one tokenizer: ssl-import text --tokenizer)");
}

void check_same_sample_rate(const DataReader& a, const DataReader& b, const std::string& b_label) {
  if (a.sample_rate() != b.sample_rate())
    throw UsageError(b_label + " is audio at " + std::to_string(b.sample_rate()) + " Hz, " + a.name() + " at " +
                     std::to_string(a.sample_rate()) + " Hz: import both at one --sample-rate");
}

void check_same_kind(const DataReader& tr, const DataReader& ev) {
  if (tr.modality() != ev.modality())
    throw UsageError(ev.name() + " is " + a_modality(ev.modality()) + " file; " + tr.name() + " is " +
                     a_modality(tr.modality()) + " file");
  switch (tr.modality()) {
    case Modality::embedding: check_embeddings(tr, ev); break;
    case Modality::audio: check_same_sample_rate(tr, ev, ev.name()); break;
    case Modality::text: check_same_tokenizer(tr, ev, ev.name()); break;
    case Modality::image: break;  // shapes: a model takes any size; raw pixels are checked by their width
  }
  const auto a = tr.class_names(), b = ev.class_names();
  if (!a.empty() && !b.empty() && a != b)
    throw UsageError(ev.name() + " names its classes " + joined(b) + "; " + tr.name() + " names them " + joined(a) +
                     " (labels are compared by number: give both files one set of class names)");
}

}  // namespace sslkit::io
