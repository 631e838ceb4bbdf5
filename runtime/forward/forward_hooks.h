// Callbacks from the forward pass to whoever watches it: the expert
// prefetcher (predicts and prefetches from each routing) and the profiler
// (records routing and per-layer compute time). Hooks run on the forward
// pass's thread, synchronously, and must not change what is computed.
#ifndef STRATA_RUNTIME_FORWARD_FORWARD_HOOKS_H_
#define STRATA_RUNTIME_FORWARD_FORWARD_HOOKS_H_

#include <cstdint>
#include <vector>

#include "moe/router.h"

namespace strata {

class ForwardHooks {
 public:
  virtual ~ForwardHooks() = default;
  // A batch of `n_tokens` tokens at positions [pos0, pos0 + n_tokens) starts.
  virtual void OnBatchBegin(int64_t pos0, int64_t n_tokens) {}
  virtual void OnLayerBegin(int64_t layer) {}
  virtual void OnLayerEnd(int64_t layer) {}
  // The routing of the token at position `pos` in `layer`. `residual` is its
  // residual stream after the layer's attention ([n_embd]); `last` is true for
  // the last token of the batch (the one decoding continues from).
  virtual void OnRouted(int64_t layer, int64_t pos, const moe::TokenRoute& route,
                        const float* residual, bool last) {}
  virtual void OnBatchEnd() {}
};

// Forwards every call to each of `hooks` in order.
class HookList : public ForwardHooks {
 public:
  void Add(ForwardHooks* hooks) {
    if (hooks != nullptr) hooks_.push_back(hooks);
  }
  bool empty() const { return hooks_.empty(); }
  void OnBatchBegin(int64_t pos0, int64_t n) override {
    for (ForwardHooks* h : hooks_) h->OnBatchBegin(pos0, n);
  }
  void OnLayerBegin(int64_t layer) override {
    for (ForwardHooks* h : hooks_) h->OnLayerBegin(layer);
  }
  void OnLayerEnd(int64_t layer) override {
    for (ForwardHooks* h : hooks_) h->OnLayerEnd(layer);
  }
  void OnRouted(int64_t layer, int64_t pos, const moe::TokenRoute& route, const float* residual,
                bool last) override {
    for (ForwardHooks* h : hooks_) h->OnRouted(layer, pos, route, residual, last);
  }
  void OnBatchEnd() override {
    for (ForwardHooks* h : hooks_) h->OnBatchEnd();
  }

 private:
  std::vector<ForwardHooks*> hooks_;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_FORWARD_FORWARD_HOOKS_H_
