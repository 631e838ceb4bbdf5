#include "runtime/sampling/dist.h"

#include <chrono>
#include <cstddef>
#include <sstream>

namespace strata::sampling {
namespace {

uint32_t ResolveSeed(uint32_t seed) {
  if (seed != kRandomSeed) return seed;
  std::random_device device;
  // Some platforms implement random_device as a fixed PRNG and say so with entropy() == 0; every
  // "random" run would then repeat, so fall back to the clock.
  if (device.entropy() == 0) {
    return static_cast<uint32_t>(std::chrono::system_clock::now().time_since_epoch().count());
  }
  return device();
}

}  // namespace

DistSampler::DistSampler(uint32_t seed)
    : requested_seed_(seed), seed_in_use_(ResolveSeed(seed)), rng_(seed_in_use_) {}

void DistSampler::Reset() {
  seed_in_use_ = ResolveSeed(requested_seed_);
  rng_.seed(seed_in_use_);
}

std::string DistSampler::SaveState() const {
  std::ostringstream out;
  out << seed_in_use_ << ' ' << rng_;
  return out.str();
}

absl::Status DistSampler::RestoreState(absl::string_view state) {
  std::istringstream in{std::string(state)};
  uint32_t seed = 0;
  std::mt19937 rng;
  if (!(in >> seed >> rng)) {
    return absl::InvalidArgumentError("unreadable random generator state");
  }
  seed_in_use_ = seed;
  rng_ = rng;
  return absl::OkStatus();
}

void DistSampler::Apply(Candidates& candidates) {
  std::vector<TokenData>& data = candidates.data;
  if (data.empty()) {
    candidates.selected = -1;
    return;
  }
  Softmax(candidates);
  // Always consume exactly one draw, even for a single candidate, so that the RNG position (and
  // so every later draw) does not depend on how many tokens earlier filters left.
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);

  // The probabilities sum to 1 only up to rounding; scale the target by their actual sum so the
  // last nonzero entry is reachable and nothing past it is.
  double total = 0.0;
  for (const TokenData& t : data) total += t.prob;
  const double target = u * total;

  // Strict '>' so a zero-probability entry is never chosen, even when u == 0.
  double running = 0.0;
  size_t last_nonzero = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i].prob <= 0.0f) continue;
    running += data[i].prob;
    last_nonzero = i;
    if (running > target) {
      candidates.selected = static_cast<int64_t>(i);
      return;
    }
  }
  // Only reachable through rounding (u * total == total); the top of the CDF belongs to the last
  // nonzero entry.
  candidates.selected = static_cast<int64_t>(last_nonzero);
}

}  // namespace strata::sampling
