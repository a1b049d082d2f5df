// The C++ face of a Python policy: the GIL is taken for every call (the simulator
// runs replications on worker threads with it released, live mode on its own
// threads), and whatever the Python code raises leaves as a C++ exception carrying
// its text, so no Python object crosses to a thread that does not hold the GIL.
#include "python_policy.h"

#include <pybind11/stl.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "context_view.h"
#include "fogsched/core/errors.h"
#include "policy_values.h"

namespace py = pybind11;

namespace fogsched::python {

void RunFailure::record(std::exception_ptr error) {
  {
    std::lock_guard lock(mutex_);
    if (!first_) first_ = std::move(error);
  }
  cancel_.store(true);
}

void RunFailure::rethrow_if_any() {
  std::lock_guard lock(mutex_);
  if (first_) std::rethrow_exception(first_);
}

namespace {

// A Python object whose handle may be copied and dropped on any thread: the last
// copy takes the GIL to release it.
class SharedObject {
 public:
  explicit SharedObject(py::object object)
      : object_(new py::object(std::move(object)), [](py::object* o) {
          py::gil_scoped_acquire gil;
          delete o;
        }) {}
  const py::object& get() const { return *object_; }

 private:
  std::shared_ptr<py::object> object_;
};

// Keeps the Python thread state of a thread Python did not start (the simulator's
// workers, live mode's) from one call to the next: Python 3.11 maps and unmaps a
// frame stack with every new thread state, which cost about 80 us a call. Made on
// the thread's first call, deleted when the thread ends.
class KeptThreadState {
 public:
  KeptThreadState() {
    if (PyGILState_GetThisThreadState() != nullptr) return;  // Python's own thread
    py::gil_scoped_acquire gil;
    gil.inc_ref();
    kept_ = true;
  }
  KeptThreadState(const KeptThreadState&) = delete;
  KeptThreadState& operator=(const KeptThreadState&) = delete;
  ~KeptThreadState() {
    if (!kept_ || Py_IsInitialized() == 0 || _Py_IsFinalizing() != 0) return;
    try {
      py::gil_scoped_acquire gil;
      gil.dec_ref();
    } catch (...) {  // Python could not be entered: the thread state stays, unused
    }
  }

 private:
  bool kept_ = false;
};

void keep_thread_state() { thread_local const KeptThreadState kept; }

std::string traceback_text(py::error_already_set& error) {
  std::string text;
  const py::object format = py::module_::import("traceback").attr("format_exception");
  for (const py::handle line : format(error.type(), error.value(), error.trace())) text += line.cast<std::string>();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

bool is_contract_error(py::error_already_set& error) {
  return error.matches(py::module_::import("fogsched._core").attr("PolicyContractError"));
}

// The method `hook` of `instance`, or None when the class keeps fogsched.Policy's
// no-op (so the runtime does not pay for calling it).
py::object overridden(const py::object& instance, const char* hook) {
  const py::object base = py::module_::import("fogsched._policy").attr("Policy");
  const py::object own = py::getattr(py::type::of(instance), hook, py::none());
  if (own.is_none() || own.is(py::getattr(base, hook, py::none()))) return py::none();
  return instance.attr(hook);
}

class PythonPolicy final : public Policy {
 public:
  // With the GIL held.
  PythonPolicy(std::string name, py::object instance, std::shared_ptr<RunFailure> failure)
      : name_(std::move(name)),
        instance_(std::move(instance)),
        decide_(instance_.attr("decide")),
        on_start_(overridden(instance_, "on_start")),
        on_timer_(overridden(instance_, "on_timer")),
        on_complete_(overridden(instance_, "on_complete")),
        failure_(std::move(failure)) {}

  PythonPolicy(const PythonPolicy&) = delete;
  PythonPolicy& operator=(const PythonPolicy&) = delete;

  ~PythonPolicy() override {
    try {
      py::gil_scoped_acquire gil;
      if (view_) view_.cast<ContextView&>().release();
      view_ = py::object();
      decide_ = on_start_ = on_timer_ = on_complete_ = py::object();
      instance_ = py::object();
    } catch (...) {  // Python could not be entered: its objects are left to it
    }
  }

  Decision decide(const Invocation& invocation, NodeContext& ctx) override {
    return call(
        "decide", ctx, [&] { return fmt::format(", deciding {}", describe(invocation)); },
        [&](const py::object& view) { return to_decision(decide_(py::cast(invocation), view), name_); });
  }
  void on_start(NodeContext& ctx) override { call_hook(on_start_, "on_start", ctx); }
  void on_timer(NodeContext& ctx) override { call_hook(on_timer_, "on_timer", ctx); }
  void on_complete(const Completion& completion, NodeContext& ctx) override {
    if (!has(on_complete_)) return;
    call(
        "on_complete", ctx,
        [&] {
          return fmt::format(", on the completion of invocation {} (function {}, executed on {}, {})",
                             completion.id.value, completion.function.value, completion.executed_on.value,
                             to_string(completion.outcome));
        },
        [&](const py::object& view) {
          on_complete_(py::cast(completion), view);
          return 0;
        });
  }

 private:
  static std::string describe(const Invocation& invocation) {
    return fmt::format("invocation {} (function {}, hops {})", invocation.id.value, invocation.function.value,
                       invocation.hops);
  }

  // Whether the Python object is set; read without the GIL (no reference changes).
  static bool has(const py::object& hook) { return !hook.is_none(); }

  void call_hook(const py::object& hook, const char* what, NodeContext& ctx) {
    if (!has(hook)) return;
    call(
        what, ctx, [] { return std::string(); },
        [&](const py::object& view) {
          hook(view);
          return 0;
        });
  }

  // Runs `body(view)` with the GIL held and `ctx` bound to the view for that call
  // only. The view is reused while nobody kept it (or its rng), else dropped so a
  // kept one stays expired. Failures are recorded for the run and rethrown as C++.
  template <typename Context, typename Body>
  std::invoke_result_t<Body&, const py::object&> call(const char* hook, NodeContext& ctx, Context context, Body body) {
    keep_thread_state();
    py::gil_scoped_acquire gil;
    try {
      if (!view_) view_ = py::cast(ContextView{});
      auto& view = view_.cast<ContextView&>();
      view.bind(ctx);
      struct Unbind {
        py::object& view_object;
        ContextView& view;
        ~Unbind() {
          view.release();
          if (view_object.ref_count() > 1 || view.rng_kept()) view_object = py::object();
        }
      };
      const Unbind unbind{view_, view};
      return body(view_);
    } catch (py::error_already_set& error) {
      if (is_contract_error(error)) fail(PolicyContractError(py::str(error.value()).cast<std::string>()));
      fail(PythonPolicyError(fmt::format("policy '{}' (Python) raised in {} on node {}{}:\n{}", name_, hook,
                                         ctx.self().value, context(), traceback_text(error))));
    } catch (const std::exception& error) {  // DecisionTypeError, PolicyContractError
      report(error, std::current_exception());
      throw;
    }
  }

  template <typename Error>
  [[noreturn]] void fail(Error error) {
    report(error, std::make_exception_ptr(error));
    throw error;
  }
  // In a run, the failure cancels it; live (no RunFailure), the node answers the call
  // 500 and goes on, so the message (with the traceback) goes to stderr.
  void report(const std::exception& error, std::exception_ptr thrown) const {
    if (failure_) {
      failure_->record(std::move(thrown));
    } else {
      std::fprintf(stderr, "fogsched: %s\n", error.what());
    }
  }

  std::string name_;
  py::object instance_;
  py::object decide_;
  py::object on_start_;  // None for the no-ops of fogsched.Policy
  py::object on_timer_;
  py::object on_complete_;
  py::object view_;  // the fogsched.Context handed to the calls
  std::shared_ptr<RunFailure> failure_;
};

}  // namespace

PolicyInfo python_policy_info(const std::string& name, py::object factory, std::shared_ptr<RunFailure> failure) {
  const py::object doc = py::getattr(factory, "__doc__", py::none());
  std::string first_line = doc.is_none() ? std::string() : doc.cast<std::string>();
  first_line = first_line.substr(0, first_line.find('\n'));
  PolicyMaker make = [name, factory = SharedObject(std::move(factory)), failure]() -> std::unique_ptr<Policy> {
    keep_thread_state();
    py::gil_scoped_acquire gil;
    try {
      return std::make_unique<PythonPolicy>(name, factory.get()(), failure);
    } catch (py::error_already_set& error) {
      PythonPolicyError made(
          fmt::format("policy '{}' (Python): making a node's instance raised:\n{}", name, traceback_text(error)));
      if (failure) failure->record(std::make_exception_ptr(made));
      throw made;
    }
  };
  return PolicyInfo{.name = name,
                    .doc = first_line.empty() ? "a policy written in Python" : first_line,
                    .params = {},
                    .configure = [make = std::move(make)](const ParamValues&) { return make; }};
}

}  // namespace fogsched::python
