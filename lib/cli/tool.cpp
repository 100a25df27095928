#include "cli/tool.hpp"

#include <hdf5.h>
#include <oneapi/dnnl/dnnl.h>
#include <opencv2/core.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <iostream>

#include "core/dist.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/threads.hpp"
#include "io/files.hpp"
#include "io/h5.hpp"

namespace sslkit::cli {


static CLI::Validator number_check(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](std::string& s) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(s, v) || !std::isfinite(v) || v < 0 || (v == 0 && !allow_zero))
          return "must be a finite number " + std::string(allow_zero ? ">= 0" : "> 0") + ", not " + s;
        return "";
      },
      allow_zero ? "NUMBER >= 0" : "NUMBER > 0");
}

CLI::Validator positive() { return number_check(false); }
CLI::Validator non_negative() { return number_check(true); }

std::string version_string(const std::string& tool) {
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  // GNU's "PROGRAM (PACKAGE) VERSION": what help2man reads for the man pages.
  return tool + " (sslkit) " + SSLKIT_VERSION + "\nHDF5 " + std::to_string(maj) + "." + std::to_string(min) +
         "." + std::to_string(rel) + ", OpenCV " + CV_VERSION + ", oneDNN " + std::to_string(dnnl_version()->major) +
         "." + std::to_string(dnnl_version()->minor) + "." + std::to_string(dnnl_version()->patch);
}

// One printable line, whatever a library or a file put in the message:
// newlines become "; ", other control bytes \xNN, and it stops at 400 bytes.
static std::string one_line(const std::string& message) {
  std::string out;
  for (size_t i = 0; i < message.size() && out.size() < 400; ++i) {
    const unsigned char c = static_cast<unsigned char>(message[i]);
    if (c == '\n') {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      if (i + 1 < message.size()) out += "; ";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.size() >= 400) out += "...";
  return out;
}

void print_error(const std::string& tool, const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: error: %s\n", tool.c_str(), one_line(message).c_str());
}


static std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Tool::Tool(std::string name, const std::string& description) : name_(std::move(name)), app_(description, name_) {
  app_.set_version_flag("--version", version_string(name_));
  app_.option_defaults()->always_capture_default();
  app_.failure_message([this](const CLI::App*, const CLI::Error& e) {
    return name_ + ": error: " + e.what() + "\nTry '" + name_ + " --help' for more information.\n";
  });
}

// Input and output options carry their role in their type name, so --help
// tells a user (and the output-check test) which options read and which write.
static constexpr const char* kInputType = "FILE";
static constexpr const char* kOutputType = "OUTPUT";

// The name under which an option is known in messages: "-o" of
// "-o,--output", "--monitor", or the positional's name.
static std::string option_label(const std::string& name) { return name.substr(0, name.find(',')); }

CLI::Option* Tool::add_input(CLI::App& app, const std::string& name, std::string& path, const std::string& help,
                             const std::string& rewritten_by) {
  // Subcommands (ssl-import's modes) may declare one variable each.
  if (std::none_of(inputs_.begin(), inputs_.end(), [&](const Input& i) { return i.path == &path; }))
    inputs_.push_back({option_label(name), &path, nullptr, rewritten_by});
  return app.add_option(name, path, help)->type_name(kInputType);
}

CLI::Option* Tool::add_inputs(CLI::App& app, const std::string& name, std::vector<std::string>& paths,
                              const std::string& help) {
  if (std::none_of(inputs_.begin(), inputs_.end(), [&](const Input& i) { return i.paths == &paths; }))
    inputs_.push_back({option_label(name), nullptr, &paths, ""});
  return app.add_option(name, paths, help)->type_name(kInputType);
}

CLI::Option* Tool::add_output(CLI::App& app, const std::string& name, std::string& path, const std::string& help,
                              bool binary) {
  if (std::none_of(outputs_.begin(), outputs_.end(), [&](const Output& o) { return o.path == &path; }))
    outputs_.push_back({option_label(name), &path, binary});
  return app.add_option(name, path, help)->type_name(kOutputType);
}

void Tool::add_common(CLI::App& app, bool output, bool output_required) {
  if (output) {
    auto* o = add_output(app, "-o,--output", common_.output, "Output file ('-' for stdout)");
    if (output_required) o->required();
  }
  app.add_option("--seed", common_.seed, "Seed for every random choice")->capture_default_str();
  app.add_option("--threads", common_.threads, "Worker threads (0 = OMP_NUM_THREADS if set, else one per core)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_flag("-q,--quiet", common_.quiet, "No progress and no warnings");
  app.add_flag("--progress", common_.progress, "Progress lines even when stderr is not a terminal");
}

int Tool::run(int argc, char** argv, const std::function<void()>& body) {
  // argv[0] may be a path (./build/ssl-import); history records the tool name.
  set_log_identity(name_, false);
  // Under mpirun/srun: one of the job's processes (MPI takes its own options
  // out of argv first). Without them: nothing.
  dist::init(argc, argv);
  command_line_ = name_;
  for (int i = 1; i < argc; ++i) command_line_ += " " + shell_quote(argv[i]);
  try {
    app_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Every rank parses the same command line: rank 0 speaks for them all.
    int rc = dist::is_root() ? app_.exit(e) : (e.get_exit_code() == 0 ? 0 : 1);
    if (rc != 0 && dist::size() > 1) dist::abort_job("", kUsage);
    return rc == 0 ? kOk : kUsage;
  }
  // Rank 0 alone talks: warnings, notes and progress of the other ranks would
  // only repeat its own.
  const bool quiet = common_.quiet || !dist::is_root();
  set_log_identity(name_, quiet);
  Progress::configure(quiet, common_.progress);
  set_thread_count(common_.threads);
  io::install_cleanup_handlers();
  io::silence_hdf5_errors();
  dist::on_abort([] { io::abandon_run(); });
  int rc = kOk;
  std::string error;  // a failure's message, for a job of several ranks
  // One process prints its error line here; a job of several ranks ends as a
  // whole below, with one line naming the rank.
  auto fail = [&](const std::string& message) {
    if (dist::size() == 1)
      print_error(name_, message);
    else
      error = one_line(message);
  };
  try {
    // Every file of the run is checked before any work, in one place.
    std::vector<io::RunInput> in;
    for (const auto& i : inputs_) {
      if (i.path) in.push_back({i.option, *i.path, i.rewritten_by});
      if (i.paths)
        for (const auto& p : *i.paths) in.push_back({i.option, p, i.rewritten_by});
    }
    std::vector<io::RunOutput> out;
    for (const auto& o : outputs_) out.push_back({o.option, *o.path, o.binary});
    io::check_run_files(in, out);
    io::begin_run();
    body();
    io::finish_run();
  } catch (const Interrupted& e) {
    // The shell's convention for a death by signal, after a clean stop.
    fail(e.what());
    rc = 128 + e.signal();
  } catch (const UsageError& e) {
    fail(e.what());
    if (dist::size() == 1) std::fprintf(stderr, "Try '%s --help' for more information.\n", name_.c_str());
    rc = kUsage;
  } catch (const Error& e) {
    fail(e.message());
    rc = kFailure;
  } catch (const std::bad_alloc&) {
    fail("out of memory");
    rc = kFailure;
  } catch (const cv::Exception& e) {
    fail("OpenCV: " + (e.err.empty() ? e.msg : e.err));
    rc = kFailure;
  } catch (const std::exception& e) {
    fail(e.what());
    rc = kFailure;
  }
  if (rc != kOk) io::abandon_run();
  // A rank that fails alone must not leave the others waiting in a collective.
  if (rc != kOk && dist::size() > 1) dist::abort_job(error, rc);
  io::remove_input_spools();
  // Delayed write errors (a full disk) surface only here. A reader that
  // stopped early (ssl-info | head) is not an error for text, as for cat;
  // data written with -o - was checked when it was copied out.
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  const int flush_errno = errno;
  if ((!flushed || std::fclose(stdout) != 0) && (flushed ? errno : flush_errno) != EPIPE && rc == kOk) {
    print_error(name_, std::string("standard output: ") + std::strerror(flushed ? errno : flush_errno));
    rc = kFailure;
  }
  // A failed run ends here, without the libraries' exit handlers: HDF5 1.10
  // crashes at exit when it closes a file whose write failed (a full disk).
  // Its outputs and temp files are already gone.
  if (rc != kOk) {
    std::fflush(stderr);
    _exit(rc);
  }
  return rc;
}

std::set<std::string> Tool::given_options() const {
  std::set<std::string> given;
  for (const auto* opt : app_.get_options())
    if (opt->count() > 0 && !opt->get_lnames().empty()) given.insert("--" + opt->get_lnames()[0]);
  return given;
}

}  // namespace sslkit::cli
