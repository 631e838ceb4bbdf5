// Feed-forward blocks: the dense SwiGLU FFN and the sparse mixture of experts.
#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/activations.h"
#include "runtime/forward/forward_pass.h"

namespace strata {
namespace {

// h = SiLU(W_gate x) * (W_up x); out = W_down h, for x [m, n_embd] (`act`
// is used as scratch). `h` and `up` are [m, n_ff] buffers.
void SwiGluFfn(const TensorView& gate, const TensorView& up, const TensorView& down, const float* x,
               int64_t m, float* h, float* up_out, float* out, cpu::QuantizedActivations* act,
               cpu::ThreadPool* pool) {
  const int64_t n_ff = gate.ne[1];
  act->Quantize(cpu::ActivationTypeFor(gate.type), x, m, gate.ne[0], pool);
  cpu::MatMulQuantized(gate, *act, h, n_ff, pool);
  if (cpu::ActivationTypeFor(up.type) != act->type()) {
    act->Quantize(cpu::ActivationTypeFor(up.type), x, m, up.ne[0], pool);
  }
  cpu::MatMulQuantized(up, *act, up_out, n_ff, pool);
  // Row by row: llama.cpp's SwiGLU restarts its 16-element chunks per row.
  for (int64_t t = 0; t < m; ++t) cpu::SwiGlu(h + t * n_ff, up_out + t * n_ff, n_ff, h + t * n_ff);
  cpu::MatMul(down, h, m, out, act, pool);
}

}  // namespace

void ForwardPass::FeedForward(int64_t il) {
  const LayerWeights& w = layer(il);
  if (!status_.ok()) return;
  SwiGluFfn(w.ffn_gate, w.ffn_up, w.ffn_down, buf_.xb.data(), n_tokens_, buf_.ffn_gate.data(),
            buf_.ffn_up.data(), buf_.out.data(), &buf_.act, pool_);
}

void ForwardPass::MixtureOfExperts(int64_t il) {
  const LayerWeights& w = layer(il);
  if (!status_.ok()) return;
  const int64_t n = n_tokens_;
  const int64_t n_embd = hp_.n_embd;
  const int64_t n_expert = hp_.n_expert;
  const int64_t k = hp_.n_expert_used;

  // Route every token: router logits → gate probabilities → top-k.
  cpu::MatMul(w.ffn_gate_inp, buf_.xb.data(), n, buf_.router.data(), &buf_.act, pool_);
  moe::RouterOptions options;
  options.n_expert = n_expert;
  options.n_expert_used = k;
  options.gating = hp_.expert_gating == ExpertGating::kSigmoid ? moe::GatingFunction::kSigmoid
                                                               : moe::GatingFunction::kSoftmax;
  options.normalize_weights = hp_.expert_weights_norm;
  options.weights_scale = hp_.expert_weights_scale;
  for (int64_t t = 0; t < n; ++t) {
    moe::RouteToken(options, buf_.router.data() + t * n_expert, &buf_.routes[t]);
  }

  if (hooks_ != nullptr) {
    for (int64_t t = 0; t < n; ++t) {
      hooks_->OnRouted(il, row_pos0_ + t, buf_.routes[t], buf_.x.data() + t * n_embd, t == n - 1);
    }
  }

  // The router was the last use of the layer's dense block.
  pinned_layer_ = PinnedLayer();
  pinned_layer_index_ = -1;

  std::vector<bool> routed(n_expert, false);
  for (int64_t t = 0; t < n; ++t) {
    for (int32_t e : buf_.routes[t].experts) routed[e] = true;
  }
  std::vector<int32_t> used;
  for (int64_t e = 0; e < n_expert; ++e) {
    if (routed[e]) used.push_back(static_cast<int32_t>(e));
  }

  // Runs expert e on all the tokens routed to it, so its weights are read
  // once per batch; results land in expert_out[token, slot].
  std::vector<int64_t> rows;  // token * k + slot, for the current expert.
  auto run_expert = [&](int32_t e, const PinnedExpert& x) {
    rows.clear();
    for (int64_t t = 0; t < n; ++t) {
      for (int64_t s = 0; s < k; ++s) {
        if (buf_.routes[t].experts[s] == e) rows.push_back(t * k + s);
      }
    }
    const int64_t m = static_cast<int64_t>(rows.size());
    for (int64_t i = 0; i < m; ++i) {
      std::memcpy(buf_.expert_in.data() + i * n_embd, buf_.xb.data() + (rows[i] / k) * n_embd,
                  n_embd * sizeof(float));
    }
    // The gathered input is consumed by the gate/up products before the down
    // product writes its output over it.
    SwiGluFfn(x.gate, x.up, x.down, buf_.expert_in.data(), m, buf_.ffn_gate.data(),
              buf_.ffn_up.data(), buf_.expert_in.data(), &buf_.act, pool_);
    for (int64_t i = 0; i < m; ++i) {
      std::memcpy(buf_.expert_out.data() + rows[i] * n_embd, buf_.expert_in.data() + i * n_embd,
                  n_embd * sizeof(float));
    }
  };

  WeightStore& store = model_.store();
  if (static_cast<int64_t>(used.size()) <= k) {
    // Decoding: compute the experts that are already resident while the
    // missing ones are read, then each missing one as it lands. (Pinning the
    // resident ones first keeps the reads from evicting them.)
    std::vector<int32_t> resident, missing;
    for (int32_t e : used) (store.IsExpertResident(il, e) ? resident : missing).push_back(e);
    absl::StatusOr<std::vector<PinnedExpert>> pinned = store.PinExperts(il, resident);
    if (!pinned.ok()) {
      Fail(pinned.status());
      return;
    }
    store.RequestExperts(il, missing);
    for (size_t j = 0; j < resident.size(); ++j) {
      run_expert(resident[j], (*pinned)[j]);
      (*pinned)[j].block.Release();
    }
    for (int32_t e : missing) {
      absl::StatusOr<std::vector<PinnedExpert>> one =
          store.PinExperts(il, absl::MakeConstSpan(&e, 1));
      if (!one.ok()) {
        Fail(one.status());
        return;
      }
      run_expert(e, (*one)[0]);
    }
  } else {
    // Prefill: experts k at a time (the smallest budget holds k), the missing
    // ones of each group read in one batch.
    for (size_t first = 0; first < used.size(); first += k) {
      const size_t count = std::min<size_t>(k, used.size() - first);
      absl::StatusOr<std::vector<PinnedExpert>> experts =
          store.PinExperts(il, absl::MakeConstSpan(used.data() + first, count));
      if (!experts.ok()) {
        Fail(experts.status());
        return;
      }
      for (size_t j = 0; j < count; ++j) run_expert(used[first + j], (*experts)[j]);
    }
  }

  // out = Σ_slot weight · expert output, summed in slot order as llama.cpp does.
  for (int64_t t = 0; t < n; ++t) {
    float* out = buf_.out.data() + t * n_embd;
    for (int64_t s = 0; s < k; ++s) {
      const float weight = buf_.routes[t].weights[s];
      const float* y = buf_.expert_out.data() + (t * k + s) * n_embd;
      if (s == 0) {
        for (int64_t i = 0; i < n_embd; ++i) out[i] = y[i] * weight;
      } else {
        for (int64_t i = 0; i < n_embd; ++i) out[i] += y[i] * weight;
      }
    }
  }
}

}  // namespace strata
