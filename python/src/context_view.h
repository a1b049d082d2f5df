#pragma once
// What a Python policy holds during one call: views of the node's NodeContext and of
// its random stream that stop working when the call returns, so a policy that keeps
// them gets a Python error instead of a dangling pointer.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>

#include "fogsched/core/policy.h"
#include "fogsched/core/rng.h"

namespace fogsched::python {

// fogsched.Rng: a random stream, either owned (Rng(seed), for tests) or a view of a
// context's stream, valid while that context is.
class RngView {
 public:
  explicit RngView(std::uint64_t seed) : owned_(seed), rng_(&*owned_) {}
  explicit RngView(Rng* rng) : rng_(rng) {}
  RngView(const RngView&) = delete;
  RngView& operator=(const RngView&) = delete;

  Rng& get() const;
  void point_to(Rng* rng) { rng_ = rng; }

 private:
  std::optional<Rng> owned_;
  Rng* rng_;
};

// fogsched.Context: the NodeContext of the call under way, or nothing once it returned.
class ContextView {
 public:
  NodeContext& get() const;
  // The view of ctx.rng(), made on first use in a call.
  pybind11::object rng();

  void bind(NodeContext& ctx) { ctx_ = &ctx; }
  void release();
  // Whether someone besides this view holds the rng it handed out.
  bool rng_kept() const { return rng_view_ && rng_view_.ref_count() > 1; }

 private:
  NodeContext* ctx_ = nullptr;
  pybind11::object rng_view_;
};

// Binds Context, Rng and fogsched.testing's FakeContext.
void bind_contexts(pybind11::module_& m);

}  // namespace fogsched::python
